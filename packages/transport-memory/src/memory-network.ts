import {
  DEFAULT_LIMITS,
  SyncError,
  createSeededRandom,
  systemClock,
  type Clock,
  type Connection,
  type ConnectionCapabilities,
  type ConnectionCloseInfo,
  type SeededRandom,
} from '@softadastra/sync-core';
import { MemoryConnection, type LinkPort } from './memory-connection.js';
import { drawLatency, drawReorderDelay, resolveFaults, type NetworkFaults } from './network-faults.js';
import { Topology, checkNode, pairKey } from './topology.js';

/** Options of {@link createMemoryNetwork}: the initial faults, plus these. */
export interface MemoryNetworkOptions extends NetworkFaults {
  /**
   * The seed of every random draw (faults, latencies): the same seed, options
   * and calls give the same deliveries at the same virtual times.
   * @default 1
   */
  readonly seed?: number | string;
  /**
   * Where time comes from: every event and delivery is a `clock.setTimeout`
   * callback. Pass a virtual clock to simulate.
   * @default systemClock (from `@softadastra/sync-core`)
   */
  readonly clock?: Clock;
  /**
   * The largest message `send()` accepts, in bytes.
   * @default 1048576 (1 MiB, core's `DEFAULT_LIMITS.maxMessageBytes`)
   */
  readonly maxMessageBytes?: number;
}

/** Counters of what the network did with messages, since it was created. */
export interface NetworkStats {
  /** Messages accepted by `send()`. */
  readonly sent: number;
  /** Messages handed to a `message` listener's end (duplicates count twice). */
  readonly delivered: number;
  /** Messages lost: to `loss`, a block, or a link down or closed while in flight. */
  readonly dropped: number;
  /** Extra copies made by `duplicate`. */
  readonly duplicated: number;
  /** Messages (or copies) with a byte changed by `corrupt`. */
  readonly corrupted: number;
}

/**
 * A seeded in-memory network of named nodes, for tests and simulations.
 *
 * @remarks
 * Links are cut and healed per pair of nodes: a cut, a partition or a heal
 * applies to every link between the pair, including links connected later.
 */
export interface MemoryNetwork {
  /**
   * Makes a link between nodes `a` and `b`. Both ends start `'connecting'` and
   * emit `open` once the link is up (after a drawn latency), unless the pair
   * is cut. Several links between the same pair are independent.
   *
   * @param a - the node holding the first end
   * @param b - the node holding the second end
   * @returns the end held by `a`, then the end held by `b`
   * @throws SyncError `E_INVALID_ARGUMENT` for an empty name or `a === b`
   */
  connect(a: string, b: string): readonly [Connection, Connection];
  /**
   * Replaces every fault rate, for all links, from the next message on;
   * omitted rates go back to their defaults. Capabilities of existing
   * connections are not updated.
   *
   * @param faults - the new rates
   * @throws SyncError `E_INVALID_ARGUMENT` for a bad rate
   */
  setFaults(faults: NetworkFaults): void;
  /**
   * Takes the links between `a` and `b` down: both ends emit `close` with
   * `final: false` and go `'connecting'`; messages in flight between them are
   * lost. Links connected later between them start down.
   *
   * @param a - a node
   * @param b - another node
   */
  cut(a: string, b: string): void;
  /**
   * Brings the links between `a` and `b` back (also across a partition): both
   * ends emit `open` again, after a drawn latency.
   *
   * @param a - a node
   * @param b - another node
   */
  heal(a: string, b: string): void;
  /**
   * Splits the nodes into groups: links between groups are cut, links within
   * a group are healed. Nodes not listed — now or connected later — form one
   * more group together (so `partition([['a']])` isolates `a`). Replaces the
   * previous partition.
   *
   * @param groups - disjoint lists of node names
   * @throws SyncError `E_INVALID_ARGUMENT` when a node is listed twice
   */
  partition(groups: readonly (readonly string[])[]): void;
  /**
   * Drops every message from `from` to `to` silently (an asymmetric
   * partition); the link stays `'open'` on both sides, and messages in flight
   * that way are dropped when they would arrive.
   *
   * @param from - the sending node
   * @param to - the receiving node
   */
  block(from: string, to: string): void;
  /**
   * Lets messages from `from` to `to` through again.
   *
   * @param from - the sending node
   * @param to - the receiving node
   */
  unblock(from: string, to: string): void;
  /** Heals every cut, ends the partition and unblocks everything. */
  healAll(): void;
  /** How many messages are scheduled and not yet delivered (or dropped). */
  inFlight(): number;
  /** What happened to messages so far (a snapshot). */
  readonly stats: NetworkStats;
}

/** The close code of a link cut by the network (WebSocket's "abnormal closure"). */
const CUT_CODE = 1006;

/** A message on its way. */
interface Delivery {
  handle: unknown;
  /** The end that sent it, whose `bufferedAmount` counts it until it lands or is lost. */
  readonly from: MemoryConnection;
  readonly size: number;
}

/** A link between two nodes: its two ends and its life on the network. */
interface Link {
  readonly ends: readonly [MemoryConnection, MemoryConnection];
  readonly pair: string;
  readonly random: SeededRandom;
  /** The network lets it through: not cut, not closed. */
  up: boolean;
  closed: boolean;
  /** Bumped whenever it goes down or up, so that stale timers do nothing. */
  epoch: number;
  readonly inFlight: Set<Delivery>;
}

/**
 * Creates a seeded in-memory network whose links drop, duplicate, reorder,
 * delay and corrupt messages, and can be cut, healed, partitioned and blocked.
 *
 * @remarks
 * Every random draw comes from `createSeededRandom(seed)` (each link gets its
 * own forked stream, in connect order) and every event is a `clock.setTimeout`
 * callback, so a run replays exactly from its seed on a virtual clock that
 * fires same-time timers in scheduling order. Nothing is ever emitted
 * synchronously. A listener that throws does not disturb the network: its
 * error is rethrown from the clock callback once the network's state is
 * consistent.
 *
 * @param options - the seed, clock, size limit and initial faults
 * @throws SyncError `E_INVALID_ARGUMENT` for a bad option
 */
export function createMemoryNetwork(options: MemoryNetworkOptions = {}): MemoryNetwork {
  const seed = options.seed ?? 1;
  if (!(typeof seed === 'string' || (typeof seed === 'number' && Number.isFinite(seed)))) {
    throw new SyncError('E_INVALID_ARGUMENT', `seed must be a number or a string, got ${String(seed)}`);
  }
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_LIMITS.maxMessageBytes;
  if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < 1) {
    throw new SyncError('E_INVALID_ARGUMENT', `maxMessageBytes must be a positive integer, got ${String(maxMessageBytes)}`);
  }
  const clock = options.clock ?? systemClock;
  const random = createSeededRandom(seed);
  let faults = resolveFaults(options);

  const links = new Set<Link>();
  const topology = new Topology();
  let linkCount = 0;
  let inFlight = 0;
  const stats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, corrupted: 0 };

  const after = (ms: number, callback: () => void): unknown => clock.setTimeout(callback, ms);

  const dropInFlight = (link: Link): void => {
    for (const delivery of link.inFlight) {
      clock.clearTimeout(delivery.handle);
      delivery.from.buffer(-delivery.size);
    }
    stats.dropped += link.inFlight.size;
    inFlight -= link.inFlight.size;
    link.inFlight.clear();
  };

  const bringUp = (link: Link): void => {
    link.up = true;
    const epoch = ++link.epoch;
    after(drawLatency(faults, link.random), () => {
      if (link.closed || !link.up || link.epoch !== epoch) return;
      const opened = link.ends.filter((end) => end.state === 'connecting');
      for (const end of opened) end.setState('open');
      rethrowFirst(opened.flatMap((end) => end.emit('open')));
    });
  };

  const takeDown = (link: Link): void => {
    link.up = false;
    link.epoch++;
    dropInFlight(link);
    after(0, () => {
      if (link.closed) return;
      const info: ConnectionCloseInfo = Object.freeze({ code: CUT_CODE, reason: 'link cut by the network', final: false });
      const dropped = link.ends.filter((end) => end.state === 'open');
      for (const end of dropped) end.setState('connecting');
      rethrowFirst(dropped.flatMap((end) => end.emit('close', info)));
    });
  };

  /** Brings every link in line with the cuts. */
  const applyCuts = (): void => {
    for (const link of links) {
      const shouldBeUp = !topology.isCut(link.pair);
      if (shouldBeUp && !link.up) bringUp(link);
      else if (!shouldBeUp && link.up) takeDown(link);
    }
  };

  const transmit = (link: Link, from: MemoryConnection, bytes: Uint8Array): void => {
    stats.sent++;
    const to = from === link.ends[0] ? link.ends[1] : link.ends[0];
    // Down but not yet noticed by this end (its `close` is on its way): the message is lost.
    if (!link.up || link.closed || topology.isBlocked(from.local, to.local) || link.random.chance(faults.loss)) {
      stats.dropped++;
      return;
    }
    const copies = [bytes];
    if (link.random.chance(faults.duplicate)) {
      copies.push(bytes.slice());
      stats.duplicated++;
    }
    const epoch = link.epoch;
    for (const copy of copies) {
      if (copy.length > 0 && link.random.chance(faults.corrupt)) {
        const at = link.random.int(0, copy.length - 1);
        copy[at] = copy[at]! ^ link.random.int(1, 255);
        stats.corrupted++;
      }
      let delay = drawLatency(faults, link.random);
      if (link.random.chance(faults.reorder)) delay += drawReorderDelay(faults, link.random);
      const delivery: Delivery = { handle: undefined, from, size: copy.length };
      delivery.handle = after(delay, () => {
        link.inFlight.delete(delivery);
        inFlight--;
        const drained = from.buffer(-copy.length) && from.state === 'open';
        const errors: unknown[] = [];
        if (link.closed || !link.up || link.epoch !== epoch || topology.isBlocked(from.local, to.local) || to.state !== 'open') {
          stats.dropped++;
        } else {
          stats.delivered++;
          errors.push(...to.emit('message', copy));
        }
        if (drained) errors.push(...from.emit('drain'));
        rethrowFirst(errors);
      });
      from.buffer(copy.length);
      link.inFlight.add(delivery);
      inFlight++;
    }
  };

  const close = (link: Link, from: MemoryConnection, code: number, reason: string): void => {
    if (link.closed) return;
    link.closed = true;
    link.up = false;
    link.epoch++;
    dropInFlight(link);
    links.delete(link);
    const info: ConnectionCloseInfo = Object.freeze({ code, reason, final: true });
    const other = from === link.ends[0] ? link.ends[1] : link.ends[0];
    after(0, () => rethrowFirst([...from.emitFinalClose(info), ...other.emitFinalClose(info)]));
  };

  return {
    connect(a, b) {
      checkNode(a, 'connect');
      checkNode(b, 'connect');
      if (a === b) throw new SyncError('E_INVALID_ARGUMENT', `cannot connect node "${a}" to itself`);
      topology.register(a);
      topology.register(b);
      const id = ++linkCount;
      const capabilities: ConnectionCapabilities = Object.freeze({
        ordered: faults.reorder === 0 && typeof faults.latency === 'number',
        reliable: faults.loss === 0 && faults.corrupt === 0,
        maxMessageBytes,
        reconnects: true,
      });
      // The ends call back only after `link` is initialised (never during construction).
      const port: LinkPort = {
        transmit: (from, bytes) => transmit(link, from, bytes),
        close: (from, code, reason) => close(link, from, code, reason),
      };
      const link: Link = {
        ends: Object.freeze([new MemoryConnection(a, b, capabilities, port), new MemoryConnection(b, a, capabilities, port)] as const),
        pair: pairKey(a, b),
        random: random.fork(`link ${id}`),
        up: false,
        closed: false,
        epoch: 0,
        inFlight: new Set(),
      };
      links.add(link);
      if (!topology.isCut(link.pair)) bringUp(link);
      return link.ends;
    },
    setFaults(next) {
      faults = resolveFaults(next);
    },
    cut(a, b) {
      topology.cut(a, b);
      applyCuts();
    },
    heal(a, b) {
      topology.heal(a, b);
      applyCuts();
    },
    partition(groups) {
      topology.partition(groups);
      applyCuts();
    },
    block(from, to) {
      topology.block(from, to);
    },
    unblock(from, to) {
      topology.unblock(from, to);
    },
    healAll() {
      topology.clear();
      applyCuts();
    },
    inFlight: () => inFlight,
    get stats() {
      return Object.freeze({ ...stats });
    },
  };
}

function rethrowFirst(errors: readonly unknown[]): void {
  if (errors.length > 0) throw errors[0];
}
