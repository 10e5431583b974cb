import { setImmediate as nextMacrotask } from 'node:timers/promises';
import {
  HorizonResetError,
  createManualClock,
  createSeededRandom,
  isSyncError,
  opIdKey,
  type Clock,
  type Connection,
  type JsonValue,
  type Operation,
  type ManualClock,
  type SeededRandom,
  type VersionVector,
} from '@softadastra/sync-core';
import { createSyncEngine, type Change, type PlantedBug, type SyncEngine, type Timing } from '@softadastra/sync-engine';
import { counterDecrement, counterIncrement, mapWrite, mvWrite, setAdd, setRemove, type CounterState, type MvState, type SetState } from '@softadastra/sync-reconciler';
import { createMemoryNetwork, type MemoryNetwork } from '@softadastra/transport-memory';
import { History } from './history.js';
import { hostileWrite } from './hostile.js';
import { placeOf } from './oracle.js';
import { replayingConnection } from './replaying-connection.js';
import { describeAction, edgesOf, type Scenario, type SimAction, type TypedWrite } from './scenario.js';
import { fileDisk, memoryDisk, type SimDisk, type SimStorage } from './sim-disk.js';
import { indexedDbDisk } from './sim-idb-disk.js';
import { observeWal } from './sim-wal.js';

/** The payload of a typed write from the key's state at the writer. */
function payloadOf(write: TypedWrite, state: unknown, origin: string): JsonValue {
  switch (write.policy) {
    case 'counter':
      return (write.amount >= 0 ? counterIncrement(state as CounterState, origin, write.amount) : counterDecrement(state as CounterState, origin, -write.amount)) as unknown as JsonValue;
    case 'set':
      return write.action === 'add' ? setAdd(write.value) : setRemove(state as SetState, write.value);
    case 'mv':
      return mvWrite(state as MvState, write.value) as unknown as JsonValue;
    case 'map':
      return mapWrite(write.set, write.del) as unknown as JsonValue;
  }
}

/** The write of one peer of a group writing in the same millisecond: mv and map values of its own, to tell them apart. */
function distinct(write: TypedWrite, index: number, group: number): TypedWrite {
  if (group === 1) return write;
  if (write.policy === 'mv') return { ...write, value: write.value * 100 + index };
  if (write.policy === 'map') return { ...write, set: Object.fromEntries(Object.entries(write.set).map(([field, value]) => [field, value * 100 + index])) };
  return write;
}

/**
 * What of `op`'s cause `held` lacks — its writer's earlier operations and its
 * dependencies — as `origin:1..seq` prefixes; empty when all is held.
 */
export function causeMissing(held: VersionVector, op: Operation): string[] {
  const missing: string[] = [];
  if (op.seq > 1 && held.contiguous(op.origin) < op.seq - 1) missing.push(`${op.origin}:1..${op.seq - 1}`);
  for (const [origin, seq] of Object.entries(op.deps ?? {})) if (held.contiguous(origin) < seq) missing.push(`${origin}:1..${seq}`);
  return missing;
}

/** Protocol timers of simulated peers: short, so that a run covers many rounds. */
export const SIM_TIMING: Partial<Timing> = {
  resendMs: 150,
  gapMs: 250,
  maxBackoffMs: 2_000,
  coveredDelayMs: 20,
  // Longer than any run: an honest world never needs the safety valve of causal spaces.
  causalWaitMs: 3_600_000,
  stableDelayMs: 200,
};

/** A peer's view of the world clock: skewed, and dead once its process crashed. */
interface PeerClock extends Clock {
  readonly dead: boolean;
  skewMs: number;
  kill(): void;
}

function peerClock(world: ManualClock, skewMs: number): PeerClock {
  let dead = false;
  const clock: PeerClock = {
    get dead() {
      return dead;
    },
    skewMs,
    kill: () => {
      dead = true;
    },
    now: () => Math.max(0, world.now() + clock.skewMs),
    setTimeout: (callback, ms) =>
      world.setTimeout(() => {
        if (!dead) callback();
      }, ms),
    clearTimeout: (handle) => world.clearTimeout(handle),
    random: () => world.random(),
  };
  return clock;
}

interface SimPeer {
  readonly index: number;
  /** `p<index>`, then `p<index>r<n>` once its disk was replaced n times (a new disk is a new peer id). */
  id: string;
  disk: SimDisk;
  /** What rotted on its disk, until its next start shows whether the WAL refused it. */
  rotted: string | undefined;
  replacements: number;
  clock: PeerClock;
  engine: SyncEngine | undefined;
  state: 'starting' | 'up' | 'down';
  generation: number;
}

/**
 * The simulated world of one run: peers with their storage, a seeded network
 * on virtual time, and the history of what happened.
 * @internal
 */
export class SimWorld {
  readonly clock: ManualClock;
  readonly network: MemoryNetwork;
  readonly history = new History();
  readonly trace: string[] = [];
  readonly peers: SimPeer[];
  readonly start: number;
  steps = 0;
  readonly #scenario: Scenario;
  readonly #edges: Array<readonly [number, number]>;
  readonly #links = new Map<string, readonly [Connection, Connection]>();
  readonly #replayRandom: SeededRandom;
  #replayRate: number;
  #healing = false;
  #finished = false;
  readonly #faults: Omit<Scenario['faults'], 'replay'>;
  readonly #enginePlant: PlantedBug | undefined;

  constructor(scenario: Scenario) {
    this.#scenario = scenario;
    const random = createSeededRandom(scenario.seed).fork('world');
    this.clock = createManualClock({ random: () => random.next() });
    this.start = this.clock.now();
    const { replay, ...faults } = scenario.faults;
    this.#faults = faults;
    this.network = createMemoryNetwork({ seed: scenario.seed, clock: this.clock, ...faults });
    this.#enginePlant = scenario.plant === 'torn-tail-over-truncation' ? undefined : scenario.plant;
    this.#replayRate = replay;
    this.#replayRandom = createSeededRandom(scenario.seed).fork('replay');
    this.#edges = edgesOf(scenario.topology, scenario.peers);
    this.peers = Array.from({ length: scenario.peers }, (_, index) => ({
      index,
      id: `p${index}`,
      disk: this.#newDisk(scenario.storages[index] ?? 'memory', index),
      rotted: undefined,
      replacements: 0,
      clock: peerClock(this.clock, scenario.skews[index] ?? 0),
      engine: undefined,
      state: 'down' as const,
      generation: 0,
    }));
  }

  #newDisk(kind: SimStorage, index: number): SimDisk {
    if (kind === 'memory') return memoryDisk();
    if (kind === 'indexeddb') return indexedDbDisk((message) => this.log(`${this.peers[index]?.id ?? `p${index}`}: ${message}`));
    return fileDisk(this.#scenario.plant === 'torn-tail-over-truncation' ? 'torn-tail-over-truncation' : undefined);
  }

  log(message: string): void {
    if (this.trace.length >= 20_000) return;
    this.trace.push(`+${String(this.clock.now() - this.start).padStart(6)}ms ${message}`);
  }

  /** Starts every peer and waits until all are up. */
  async boot(): Promise<void> {
    for (const peer of this.peers) this.#launch(peer);
    while (this.peers.some((peer) => peer.state !== 'up')) await this.#step();
  }

  /** Runs timers and microtasks until virtual time `at` (relative to the start). */
  async runUntil(at: number): Promise<void> {
    const until = this.start + at;
    for (;;) {
      await nextMacrotask();
      const next = this.clock.nextAt();
      if (next === undefined || next > until) break;
      this.clock.runNext();
      this.steps++;
    }
    if (this.clock.now() < until) this.clock.advance(until - this.clock.now());
    await nextMacrotask();
  }

  async #step(): Promise<void> {
    await nextMacrotask();
    if (this.clock.runNext()) this.steps++;
  }

  execute(action: SimAction): void {
    const peerOf = (i: number): SimPeer => this.peers[i]!;
    this.log(describeAction(action));
    switch (action.kind) {
      case 'write':
        this.#write(peerOf(action.peer), action.collection, action.key, action.del ? undefined : action.value);
        return;
      case 'burst':
        for (const index of action.peers) this.#write(peerOf(index), action.collection, action.key, action.value * 100 + index);
        return;
      case 'rapid':
        for (const value of action.values) this.#write(peerOf(action.peer), action.collection, action.key, value);
        return;
      case 'update':
        for (const index of action.peers) this.#update(peerOf(index), action.collection, action.key, distinct(action.write, index, action.peers.length));
        return;
      case 'crash': {
        const peer = peerOf(action.peer);
        if (peer.state === 'down') return;
        this.crash(peer, action.inFlight);
        this.clock.setTimeout(() => this.#restart(peer), action.restartAfter);
        return;
      }
      case 'cut':
        this.network.cut(peerOf(action.a).id, peerOf(action.b).id);
        return;
      case 'heal':
        this.network.heal(peerOf(action.a).id, peerOf(action.b).id);
        return;
      case 'partition':
        this.network.partition(action.groups.map((group) => group.map((i) => peerOf(i).id)));
        return;
      case 'heal-all':
        this.network.healAll();
        return;
      case 'block':
        this.network.block(peerOf(action.from).id, peerOf(action.to).id);
        return;
      case 'clock-jump':
        peerOf(action.peer).clock.skewMs += action.deltaMs;
        return;
      case 'wal-failure':
        peerOf(action.peer).disk.failNextWrite();
        return;
      case 'power-cut': {
        const peer = peerOf(action.peer);
        if (peer.state !== 'up') return;
        for (const { collection, key, value } of action.writes) this.#write(peer, collection, key, value);
        for (const { collection, key, write } of action.updates ?? []) this.#update(peer, collection, key, write);
        const generation = peer.generation;
        // Once the writes reached the WAL (their fsync under way), before it completes.
        this.clock.setTimeout(() => {
          if (peer.generation !== generation || peer.state === 'down') return;
          this.log(`${peer.id} loses power`);
          this.crash(peer, 'tear');
          this.clock.setTimeout(() => this.#restart(peer), action.restartAfter);
        }, 0);
        return;
      }
      case 'bit-rot': {
        const peer = peerOf(action.peer);
        if (peer.state !== 'up') return;
        this.crash(peer, 'keep');
        void peer.disk.rot(action.where).then((what) => {
          peer.rotted = what;
          this.log(what === undefined ? `${peer.id}'s disk has no record in the middle of its log to rot` : `${peer.id}'s disk rots: ${what}`);
        });
        this.clock.setTimeout(() => this.#restart(peer), action.restartAfter);
        return;
      }
      case 'hostile-write':
        this.#hostileWrite(peerOf(action.peer), action);
        return;
      case 'storm': {
        this.network.setFaults({ ...this.#faults, loss: Math.max(this.#faults.loss, action.loss) });
        this.clock.setTimeout(() => {
          if (this.#healing) return;
          this.log('the storm passes');
          this.network.setFaults(this.#faults);
        }, action.durationMs);
        return;
      }
    }
  }

  #hostileWrite(peer: SimPeer, action: Extract<SimAction, { kind: 'hostile-write' }>): void {
    const engine = peer.engine;
    if (peer.state !== 'up' || engine === undefined) return;
    const write = hostileWrite(action.value, action.id);
    const place = placeOf(write);
    const refusedWith = write.refusedWith;
    this.history.writesIssued++;
    if (refusedWith !== undefined) this.history.refused.set(place, `${action.value} by ${peer.id}`);
    const stored = (op: Operation): void => {
      if (refusedWith === undefined) this.history.acked.push(op);
      else this.history.violate('hostile-accepted', `${peer.id} accepted a hostile value (${action.value}) at ${place.slice(0, 60)}: it must be refused with ${refusedWith.join(' or ')}`);
    };
    const refused = (error: unknown): void => {
      const code = isSyncError(error) ? error.code : undefined;
      if (refusedWith?.includes(code as never) === true) {
        this.log(`${peer.id}'s hostile write (${action.value}) refused: ${code}`);
        return;
      }
      if (code === 'E_WAL_FAILED' || code === 'E_CLOSED') return;
      this.history.violate(
        refusedWith === undefined ? 'engine-error' : 'hostile-accepted',
        `${peer.id}: the ${action.value} write ${refusedWith === undefined ? 'is within the limits and must be accepted' : `must be refused with ${refusedWith.join(' or ')}`}, got ${String(error).slice(0, 200)}`,
      );
    };
    try {
      // Invalid input throws synchronously (nothing written, no seq taken); engine state comes through the promise.
      engine.put(write.collection, write.key, write.value as JsonValue).then(stored, refused);
    } catch (error) {
      refused(error);
    }
  }

  /**
   * The operator's answer to a disk that rotted (its WAL refused to open with
   * E_WAL_CORRUPT): a new, empty disk and a new peer id — an id whose storage
   * was lost is never reused (docs/design.md) — and the peer resyncs from the others.
   * What only the rotten disk held is lost with it; it leaves the expectations.
   */
  #replace(peer: SimPeer): void {
    const onlyThere = this.history.destroy(peer.id);
    const old = peer.id;
    peer.replacements++;
    peer.id = `p${peer.index}r${peer.replacements}`;
    peer.disk = this.#newDisk(peer.disk.kind, peer.index);
    peer.rotted = undefined;
    this.log(`${old} refused its rotten WAL (E_WAL_CORRUPT); replaced by ${peer.id} on a new disk (${onlyThere} operations lived only on the old one)`);
    this.#launch(peer);
  }

  #write(peer: SimPeer, collection: string, key: string, value: number | undefined): void {
    const engine = peer.engine;
    if (peer.state !== 'up' || engine === undefined) return;
    this.history.writesIssued++;
    const write = value === undefined ? engine.delete(collection, key) : engine.put(collection, key, value);
    write.then(
      (op) => this.history.acked.push(op),
      (error: unknown) => {
        // A failed WAL write fails the write, honestly; anything else is a bug.
        if (!(isSyncError(error) && (error.code === 'E_WAL_FAILED' || error.code === 'E_CLOSED'))) {
          this.history.violate('engine-error', `${peer.id}: a write failed unexpectedly: ${String(error)}`);
        }
      },
    );
  }

  /**
   * A typed write, as an application makes it: the payload from the key's
   * state at this peer, with the reconciler's helpers. The history keeps
   * what each acknowledged write meant (the oracle checks its effect).
   */
  #update(peer: SimPeer, collection: string, key: string, write: TypedWrite): void {
    const engine = peer.engine;
    if (peer.state !== 'up' || engine === undefined) return;
    this.history.writesIssued++;
    const failed = (error: unknown): void => {
      if (!(isSyncError(error) && (error.code === 'E_WAL_FAILED' || error.code === 'E_CLOSED'))) {
        this.history.violate('engine-error', `${peer.id}: a ${write.policy} write to ${collection}/${key} failed unexpectedly: ${String(error)}`);
      }
    };
    try {
      engine.update(collection, key, write.policy, (state, origin) => payloadOf(write, state, origin)).then((op) => {
        this.history.acked.push(op);
        this.history.intents.set(opIdKey(op), write);
      }, failed);
    } catch (error) {
      failed(error);
    }
  }

  /**
   * Causal consistency, checked at every change a peer shows: each operation's
   * writer's earlier operations and its dependencies are held there.
   */
  #checkCausal(peer: string, engine: SyncEngine, changes: readonly Change[]): void {
    let held: VersionVector | undefined;
    for (const { op } of changes) {
      if (op.origin === peer || op.deps === undefined) continue;
      held ??= engine.heldVector();
      // A key that vanished (a WAL reopened after a failure lost what was on its way) is reported with its old op: not shown.
      if (!held.has(op)) continue;
      const missing = causeMissing(held, op);
      if (missing.length > 0) {
        this.history.violate('causal', `${peer} shows ${op.origin}:${op.seq} (${op.collection}/${op.key}) before what its writer had seen: it lacks ${missing.join(', ')}`);
      }
    }
  }

  /** Kills a peer's process: its timers stop, its links drop, its storage keeps what was durable. */
  crash(peer: SimPeer, inFlight: 'lose' | 'keep' | 'tear'): void {
    peer.clock.kill();
    peer.disk.crash(inFlight);
    peer.engine = undefined;
    peer.state = 'down';
    peer.generation++;
    for (const [key, [a, b]] of this.#links) {
      const [x, y] = key.split('-').map(Number);
      if (x === peer.index || y === peer.index) {
        (x === peer.index ? a : b).close(1006, 'process crashed');
        this.#links.delete(key);
      }
    }
  }

  #restart(peer: SimPeer): void {
    if (peer.state !== 'down' || this.#finished) return;
    peer.clock = peerClock(this.clock, peer.clock.skewMs);
    this.log(`p${peer.index} restarts from its WAL`);
    this.#launch(peer);
  }

  #launch(peer: SimPeer): void {
    peer.state = 'starting';
    const generation = ++peer.generation;
    const clock = peer.clock;
    const wal = observeWal(peer.disk.wal(clock, this.#scenario.walLatencyMs), peer.id, this.history);
    createSyncEngine({
      wal,
      peerId: peer.id,
      ...(peer.index === this.#scenario.relay ? (this.#scenario.gc === undefined ? {} : { gc: this.#scenario.gc }) : { collections: this.#scenario.collections }),
      clock,
      timing: this.#scenario.flow === undefined ? SIM_TIMING : { ...SIM_TIMING, ...this.#scenario.flow },
      compaction: { minOps: 40, ratio: 2 },
      ...(this.#scenario.causal ? { causal: true } : {}),
      ...(this.#enginePlant !== undefined ? { plant: this.#enginePlant } : {}),
      onError: (error) => {
        if (clock.dead) return;
        this.log(`${peer.id} reports ${error.code}: ${error.message.slice(0, 160)}`);
        if (error instanceof HorizonResetError) this.history.resets++;
        if (error.code === 'E_EQUIVOCATION' || error.code === 'E_INTERNAL') this.history.violate('engine-error', `${peer.id}: ${error.code}: ${error.message}`);
      },
    }).then(
      (engine) => {
        if (peer.generation !== generation || clock.dead) return;
        if (this.#scenario.causal) engine.on('change', (changes) => this.#checkCausal(peer.id, engine, changes));
        if (peer.rotted !== undefined) {
          this.history.violate('corruption-accepted', `${peer.id} opened a WAL damaged in the middle (${peer.rotted}) instead of refusing it with E_WAL_CORRUPT`);
          peer.rotted = undefined;
        }
        peer.engine = engine;
        peer.state = 'up';
        this.sample(peer);
        for (const [a, b] of this.#edges) if (a === peer.index || b === peer.index) this.#connect(a, b);
      },
      (error: unknown) => {
        if (peer.generation !== generation || clock.dead) return;
        peer.state = 'down';
        if (isSyncError(error) && error.code === 'E_WAL_CORRUPT' && peer.rotted !== undefined) {
          this.#replace(peer);
          return;
        }
        if (isSyncError(error) && error.code === 'E_WAL_FAILED') {
          // The disk failed while the WAL was recovered: a supervisor starts the process again.
          this.log(`${peer.id} could not start (${error.message.slice(0, 120)}); restarting`);
          this.clock.setTimeout(() => this.#restart(peer), 100);
          return;
        }
        this.history.violate('engine-error', `${peer.id} could not start: ${String(error)}`);
      },
    );
  }

  #connect(a: number, b: number): void {
    const key = `${a}-${b}`;
    const peerA = this.peers[a]!;
    const peerB = this.peers[b]!;
    if (this.#links.has(key) || peerA.state !== 'up' || peerB.state !== 'up') return;
    const [toB, toA] = this.network.connect(peerA.id, peerB.id);
    this.#links.set(key, [toB, toA]);
    const wrap = (connection: Connection): Connection =>
      this.#healing ? connection : replayingConnection(connection, this.#replayRate, this.clock, this.#replayRandom);
    // The relay's clients trust it as their collection authority (when it collects).
    const authority = this.#scenario.gc === undefined ? undefined : this.#scenario.relay;
    peerA.engine!.connect(wrap(toB), b === authority ? { gcAuthority: true } : {});
    peerB.engine!.connect(wrap(toA), a === authority ? { gcAuthority: true } : {});
  }

  /** Records every live peer's durable vector (it must never go back) and checks queue bounds. */
  sample(only?: SimPeer): void {
    for (const peer of only ? [only] : this.peers) {
      const engine = peer.engine;
      if (peer.state !== 'up' || engine === undefined) continue;
      this.history.vector(peer.id, engine.versionVector());
      const bound = this.history.writesIssued + 16;
      for (const session of engine.sessions()) {
        if (session.pendingOps > bound) this.history.violate('unbounded-queue', `${peer.id} holds ${session.pendingOps} unacknowledged ops, more than were ever written (${bound})`);
      }
    }
  }

  /** Ends the fault phase: network healed and reliable, crashed peers restarted. */
  heal(): void {
    this.#healing = true;
    this.#replayRate = 0;
    this.network.healAll();
    this.network.setFaults({});
    for (const peer of this.peers) peer.disk.cancelFailure();
    this.log('heal: faults off, network healed, crashed peers restart');
    for (const peer of this.peers) if (peer.state === 'down') this.#restart(peer);
  }

  /** Whether every peer is up with the same state and vector, and nothing is outstanding. */
  converged(): boolean {
    const engines = this.peers.map((peer) => peer.engine);
    if (this.peers.some((peer) => peer.state !== 'up')) return false;
    const first = engines[0]!;
    const vv = first.versionVector();
    const root = first.digest().root;
    for (const engine of engines) {
      if (engine === undefined || engine.status !== 'synced') return false;
      if (engine.sessions().some((session) => session.pendingOps > 0)) return false;
      if (!engine.versionVector().equals(vv) || engine.digest().root !== root) return false;
    }
    return true;
  }

  /** Runs the world until `promise` settles, and returns its outcome. */
  async during<T>(promise: Promise<T>, maxSteps = 100_000): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => {
      settled = true;
    });
    for (let i = 0; i < maxSteps && !settled; i++) await this.#step();
    return watched;
  }

  /**
   * Closes every engine and replays each storage into a fresh engine: the
   * replay must give the same state and vector (the log is replayable).
   */
  async checkReplay(): Promise<void> {
    this.#finished = true;
    for (const peer of this.peers) {
      const engine = peer.engine;
      if (engine === undefined) continue;
      const root = engine.digest().root;
      const vv = engine.versionVector();
      await this.during(engine.close());
      peer.engine = undefined;
      peer.state = 'down';
      const collections = peer.index === this.#scenario.relay ? {} : { collections: this.#scenario.collections };
      const replayed = await this.during(createSyncEngine({ wal: peer.disk.replay(), peerId: peer.id, clock: this.clock, compaction: false, ...collections }));
      if (replayed.digest().root !== root || !replayed.versionVector().equals(vv)) {
        this.history.violate('wrong-winner', `${peer.id}: replaying its WAL does not give back the state it had (digest ${replayed.digest().root} vs ${root})`);
      }
      await this.during(replayed.close());
    }
  }

  /** The live engines. */
  engines(): SyncEngine[] {
    return this.peers.flatMap((peer) => (peer.engine ? [peer.engine] : []));
  }
}
