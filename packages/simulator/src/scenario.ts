import { createSeededRandom, type OperationType } from '@softadastra/sync-core';
import type { PlantedBug } from '@softadastra/sync-engine';
import type { FileWalPlantedBug } from '@softadastra/wal-file';
import { HOSTILE_VALUES, type HostileValue } from './hostile.js';
import type { SimStorage } from './sim-disk.js';

/** A known defect the simulator can switch on: in every engine, or in every file WAL. */
export type SimPlant = PlantedBug | FileWalPlantedBug;

/** Every planted defect, in the order the gate runs them. */
export const PLANTS: readonly SimPlant[] = [
  'skip-dedupe',
  'send-before-durable',
  'early-covered',
  'receiver-tiebreak',
  'compare-operations',
  'torn-tail-over-truncation',
  'drop-after-retries',
  'counter-sum',
  'set-remove-wins',
  'mv-lww',
  'map-whole',
  'ignore-deps',
  'skip-horizon-reset',
];

/** How the peers of a simulation are linked. */
export type Topology = 'mesh' | 'star' | 'chain' | 'ring';

/** Network fault rates of a simulation (0 = off). */
export interface SimFaults {
  readonly loss: number;
  readonly duplicate: number;
  readonly reorder: number;
  readonly corrupt: number;
  /** Probability that a sent message is sent again much later (replay of an old message). */
  readonly replay: number;
  readonly latency: { readonly min: number; readonly max: number };
}

/**
 * One write of a typed collection, as the application means it: the world
 * turns it into the policy's payload from the key's state at the writing
 * peer (with the reconciler's helpers, as an application does), and the
 * oracle checks the result against its own reference of the policy.
 */
export type TypedWrite =
  /** Adds `amount` to a counter (subtracts when negative). */
  | { readonly policy: 'counter'; readonly amount: number }
  /** Adds a value to a set, or removes it as the writer sees it. */
  | { readonly policy: 'set'; readonly action: 'add' | 'remove'; readonly value: string }
  /** Writes a multi-value register (replacing every value the writer sees). */
  | { readonly policy: 'mv'; readonly value: number }
  /** Sets some fields of a map and deletes others. */
  | { readonly policy: 'map'; readonly set: Readonly<Record<string, number>>; readonly del: readonly string[] };

/** A typed write of a power cut: the key and what is written. */
export interface TypedUpdate {
  readonly collection: string;
  readonly key: string;
  readonly write: TypedWrite;
}

/** One scheduled event of the fault phase. */
export type SimAction =
  | { readonly at: number; readonly kind: 'write'; readonly peer: number; readonly collection: string; readonly key: string; readonly del: boolean; readonly value: number }
  | { readonly at: number; readonly kind: 'burst'; readonly peers: readonly number[]; readonly collection: string; readonly key: string; readonly value: number }
  /** One peer writes the same key several times in the same millisecond (typing, autosave): the last one must win. */
  | { readonly at: number; readonly kind: 'rapid'; readonly peer: number; readonly collection: string; readonly key: string; readonly values: readonly number[] }
  | { readonly at: number; readonly kind: 'crash'; readonly peer: number; readonly inFlight: 'lose' | 'keep' | 'tear'; readonly restartAfter: number }
  | { readonly at: number; readonly kind: 'cut'; readonly a: number; readonly b: number }
  | { readonly at: number; readonly kind: 'heal'; readonly a: number; readonly b: number }
  | { readonly at: number; readonly kind: 'partition'; readonly groups: readonly (readonly number[])[] }
  | { readonly at: number; readonly kind: 'heal-all' }
  | { readonly at: number; readonly kind: 'block'; readonly from: number; readonly to: number }
  | { readonly at: number; readonly kind: 'clock-jump'; readonly peer: number; readonly deltaMs: number }
  | { readonly at: number; readonly kind: 'wal-failure'; readonly peer: number }
  /** The power goes while writes are on their way to disk: the append in flight is torn. */
  | {
      readonly at: number;
      readonly kind: 'power-cut';
      readonly peer: number;
      readonly writes: readonly { readonly collection: string; readonly key: string; readonly value: number }[];
      /** Typed writes issued with the others, torn with them. */
      readonly updates?: readonly TypedUpdate[];
      readonly restartAfter: number;
    }
  /** Peers write a typed key (several peers: in the same millisecond, each its own operation). */
  | { readonly at: number; readonly kind: 'update'; readonly peers: readonly number[]; readonly collection: string; readonly key: string; readonly write: TypedWrite }
  /** The peer crashes and one byte of a record in the middle of its log rots (file WAL only). */
  | { readonly at: number; readonly kind: 'bit-rot'; readonly peer: number; readonly where: readonly [number, number, number]; readonly restartAfter: number }
  /** The application writes a value at or over the limits, or one that is not JSON. */
  | { readonly at: number; readonly kind: 'hostile-write'; readonly peer: number; readonly id: number; readonly value: HostileValue }
  /** The network turns very lossy for a while (a storm), then back to its rates. */
  | { readonly at: number; readonly kind: 'storm'; readonly loss: number; readonly durationMs: number };

/** Everything a simulation run does, drawn from its seed. */
export interface Scenario {
  readonly seed: number;
  readonly peers: number;
  readonly topology: Topology;
  readonly faults: SimFaults;
  /** How long a WAL write (an fsync) takes, in virtual ms. */
  readonly walLatencyMs: number;
  /** Initial clock skew of each peer, in ms. */
  readonly skews: readonly number[];
  /** Length of the fault phase, in virtual ms. */
  readonly faultPhaseMs: number;
  /** The fault phase, in time order. */
  readonly actions: readonly SimAction[];
  readonly plant: SimPlant | undefined;
  /** The peers' storage: the in-memory WAL, the file WAL on a simulated file system, or some of each. */
  readonly storage: SimStorage | 'mixed';
  /** Each peer's storage. */
  readonly storages: readonly SimStorage[];
  /** How many keys the writes spread over (hundreds in wide worlds, so that catch-ups take many batches). */
  readonly keys: number;
  /**
   * Tight flow control (a small send buffer and outbox), so that peers fall
   * behind and catch up; `undefined` keeps the engine's defaults.
   */
  readonly flow: { readonly highWaterBytes: number; readonly maxQueuedOps: number } | undefined;
  /**
   * The merge policy declared for each collection (by every peer alike, but
   * {@link Scenario.relay}); a collection not named is LWW, undeclared.
   * Typed collections are named after their policy (`counter`, `set`, `mv`, `map`).
   */
  readonly collections: Readonly<Record<string, OperationType | 'lww'>>;
  /**
   * A peer that declares nothing (the hub of a star, as a relay that stores
   * and forwards every policy's operations without knowing the collections),
   * or `undefined` when every peer declares.
   */
  readonly relay: number | undefined;
  /**
   * The relay collects metadata (`gc` of the engine, with this horizon) and
   * the other peers, all its clients, trust it as their collection
   * authority; `undefined` when nothing is collected.
   */
  readonly gc: { readonly horizonMs: number } | undefined;
  /**
   * A causal space: every peer writes with `causal: true`, and the oracle
   * checks at every change a peer shows that what its writer had seen is held.
   */
  readonly causal: boolean;
}

/** Options of {@link drawScenario}. */
export interface ScenarioOptions {
  /** Number of peers; drawn in 2–7 when omitted. */
  readonly peers?: number;
  /** A known defect to switch on in every engine (or every file WAL). */
  readonly plant?: SimPlant;
  /** The peers' storage; drawn when omitted (all file WALs in 1 seed of 2, a mix of both in about 1 of 3, all memory WALs in the rest). */
  readonly storage?: SimStorage | 'mixed';
  /**
   * `'original'` draws the worlds as before the wide worlds, power cuts, bit
   * rot, hostile values, rapid writes and storms were added (with `storage`
   * given, the same schedule as then), so that a regression seed found then
   * replays the world it failed in.
   * @default 'current'
   */
  readonly worlds?: 'original' | 'current';
}

const COLLECTIONS = ['todos', 'notes'];

/**
 * Draws a scenario from a seed: which faults are on and at what rates, the
 * topology, and the schedule of writes and faults of the fault phase. The
 * same seed and options always give the same scenario.
 */
export function drawScenario(seed: number, options: ScenarioOptions = {}): Scenario {
  const rng = createSeededRandom(seed);
  const peers = options.peers ?? rng.int(2, 7);
  const drawn = rng.pick<Topology>(['mesh', 'star', 'chain', 'ring']);
  // The planted defect of metadata collection needs a relay that collects: a star (the draws stay as they were).
  const horizonPlant = options.plant === 'skip-horizon-reset';
  const topology: Topology = horizonPlant ? 'star' : drawn;
  const on = (p: number): boolean => rng.chance(p);
  const faults: SimFaults = {
    loss: on(0.5) ? rng.next() * 0.3 : 0,
    duplicate: on(0.4) ? rng.next() * 0.3 : 0,
    reorder: on(0.5) ? rng.next() * 0.4 : 0,
    corrupt: on(0.3) ? rng.next() * 0.05 : 0,
    replay: on(0.3) ? rng.next() * 0.05 : 0,
    latency: on(0.7) ? { min: rng.int(0, 5), max: rng.int(5, 80) } : { min: 0, max: 0 },
  };
  const crashes = on(0.6);
  const crashLoops = crashes && on(0.3);
  const partitions = on(0.5);
  const cuts = on(0.5);
  const blocks = on(0.3);
  const skewed = on(0.5);
  const jumps = on(0.3);
  const walFailures = on(0.15);
  const bursts = on(0.5);
  const walLatencyMs = rng.int(0, 15);
  const skews = Array.from({ length: peers }, () => (skewed ? rng.int(-20_000, 20_000) : 0));
  const faultPhaseMs = rng.int(3_000, 12_000);
  const keys = rng.int(2, 12);
  const writes = rng.int(20, 60 + peers * 25);
  const actions: SimAction[] = [];
  const time = (): number => rng.int(0, faultPhaseMs);
  const key = (): string => `k${rng.int(0, keys - 1)}`;
  const pair = (): [number, number] => {
    const a = rng.int(0, peers - 1);
    let b = rng.int(0, peers - 2);
    if (b >= a) b++;
    return [a, b];
  };
  for (let i = 0; i < writes; i++) {
    actions.push({ at: time(), kind: 'write', peer: rng.int(0, peers - 1), collection: rng.pick(COLLECTIONS), key: key(), del: rng.chance(0.2), value: i });
  }
  if (bursts) {
    for (let i = rng.int(1, 6); i > 0; i--) {
      const group = Array.from({ length: peers }, (_, p) => p).filter(() => rng.chance(0.7));
      if (group.length >= 2) actions.push({ at: time(), kind: 'burst', peers: group, collection: rng.pick(COLLECTIONS), key: key(), value: 1000 + i });
    }
  }
  if (crashes) {
    for (let i = rng.int(1, 2 + peers); i > 0; i--) {
      const peer = rng.int(0, peers - 1);
      const at = time();
      const inFlight = rng.pick<'lose' | 'keep' | 'tear'>(['lose', 'keep', 'tear']);
      actions.push({ at, kind: 'crash', peer, inFlight, restartAfter: rng.int(0, 3_000) });
      if (crashLoops) {
        // The same peer crashes again soon after each restart.
        for (let j = 1, t = at; j <= rng.int(2, 4); j++) {
          t += rng.int(50, 600);
          actions.push({ at: t, kind: 'crash', peer, inFlight: rng.pick(['lose', 'keep', 'tear']), restartAfter: rng.int(0, 200) });
        }
      }
    }
  }
  if (cuts && peers > 1) {
    for (let i = rng.int(1, 5); i > 0; i--) {
      const [a, b] = pair();
      const at = time();
      actions.push({ at, kind: 'cut', a, b });
      actions.push({ at: at + rng.int(100, 4_000), kind: 'heal', a, b });
    }
  }
  if (partitions && peers > 2) {
    for (let i = rng.int(1, 3); i > 0; i--) {
      const groups: number[][] = [[], []];
      for (let p = 0; p < peers; p++) groups[rng.int(0, 1)]!.push(p);
      const at = time();
      actions.push({ at, kind: 'partition', groups });
      actions.push({ at: at + rng.int(200, 5_000), kind: 'heal-all' });
    }
  }
  if (blocks && peers > 1) {
    for (let i = rng.int(1, 3); i > 0; i--) {
      const [from, to] = pair();
      actions.push({ at: time(), kind: 'block', from, to });
      // Blocks are lifted by the next heal-all, or at the end.
      if (rng.chance(0.5)) actions.push({ at: time(), kind: 'heal-all' });
    }
  }
  if (jumps) {
    for (let i = rng.int(1, 4); i > 0; i--) {
      const deltaMs = rng.chance(0.5) ? rng.int(1_000, 600_000) : -rng.int(1_000, 600_000);
      actions.push({ at: time(), kind: 'clock-jump', peer: rng.int(0, peers - 1), deltaMs });
    }
  }
  if (walFailures) {
    for (let i = rng.int(1, 3); i > 0; i--) actions.push({ at: time(), kind: 'wal-failure', peer: rng.int(0, peers - 1) });
  }
  // Everything below is drawn from streams of its own, so that adding it did not change the worlds of older seeds.
  const storage = options.storage ?? drawStorage(seed);
  const storages = storage === 'mixed' ? drawMix(seed, peers) : Array.from({ length: peers }, () => storage);
  const flowRng = createSeededRandom(seed).fork('flow');
  const flow = flowRng.chance(0.5) ? { highWaterBytes: flowRng.pick([200, 1_000, 4_000]), maxQueuedOps: flowRng.pick([2, 8, 32]) } : undefined;
  if (options.worlds === 'original') {
    actions.sort((x, y) => x.at - y.at);
    return { seed, peers, topology, faults, walLatencyMs, skews, faultPhaseMs, actions, plant: options.plant, storage, storages, keys, flow, collections: {}, relay: undefined, gc: undefined, causal: false };
  }
  const wide = drawWideWorld(seed, peers, faultPhaseMs, actions);
  drawRapidWrites(seed, peers, faultPhaseMs, actions);
  drawPowerCuts(seed, peers, faultPhaseMs, keys, actions);
  drawBitRot(seed, peers, faultPhaseMs, actions);
  drawHostileWrites(seed, peers, faultPhaseMs, actions);
  const stormy = drawStorms(seed, faults, faultPhaseMs, actions);
  const { collections, relay } = drawTypedWorld(seed, peers, topology, faultPhaseMs, actions, horizonPlant);
  // One seed in three is a causal space (a stream of its own: the other draws stay as they were).
  // (Always with the planted defect that ignores dependencies: there is nothing to catch otherwise.)
  const causal = options.plant === 'ignore-deps' || createSeededRandom(seed).fork('causal').chance(1 / 3);
  const gc = drawCollection(seed, relay, horizonPlant);
  actions.sort((x, y) => x.at - y.at);
  return { seed, peers, topology, faults: stormy, walLatencyMs, skews, faultPhaseMs, actions, plant: options.plant, storage, storages, keys: wide ?? keys, flow, collections, relay, gc, causal };
}

function drawStorage(seed: number): SimStorage | 'mixed' {
  if (createSeededRandom(seed).fork('storage').chance(0.5)) return 'file';
  return createSeededRandom(seed).fork('mixed').chance(0.7) ? 'mixed' : 'memory';
}

/** A mix of storages: each peer on the file WAL or the memory WAL, at least one of each. */
function drawMix(seed: number, peers: number): SimStorage[] {
  const rng = createSeededRandom(seed).fork('mix');
  const mix = Array.from({ length: peers }, (): SimStorage => (rng.chance(0.5) ? 'file' : 'memory'));
  const flip = rng.int(0, peers - 1);
  if (mix.every((s) => s === mix[0])) mix[flip] = mix[0] === 'file' ? 'memory' : 'file';
  return mix;
}

/**
 * In 1 seed of 4, hundreds of writes over hundreds of keys: a peer that was
 * away lacks more winners than one batch carries (64 operations under tight
 * flow control, 1,000 otherwise), so its catch-up takes many batches.
 * @returns the number of wide keys, if the world is wide
 */
function drawWideWorld(seed: number, peers: number, faultPhaseMs: number, actions: SimAction[]): number | undefined {
  const rng = createSeededRandom(seed).fork('wide');
  if (!rng.chance(0.25)) return undefined;
  const keys = rng.int(150, 400);
  const writes = rng.int(150, 250 + peers * 30);
  for (let i = 0; i < writes; i++) {
    actions.push({ at: rng.int(0, faultPhaseMs), kind: 'write', peer: rng.int(0, peers - 1), collection: rng.pick(COLLECTIONS), key: `w${rng.int(0, keys - 1)}`, del: rng.chance(0.1), value: 10_000 + i });
  }
  return keys;
}

/**
 * In 7 seeds of 10, peers write one key 2–4 times within one millisecond,
 * 1–6 times over the run, each on a key of its own (a form field being
 * typed into): the clocks of these writes differ only by their counter.
 */
function drawRapidWrites(seed: number, peers: number, faultPhaseMs: number, actions: SimAction[]): void {
  const rng = createSeededRandom(seed).fork('rapid');
  if (!rng.chance(0.7)) return;
  for (let i = rng.int(1, 6); i > 0; i--) {
    const values = Array.from({ length: rng.int(2, 4) }, (_, j) => 30_000 + i * 10 + j);
    actions.push({ at: rng.int(0, faultPhaseMs), kind: 'rapid', peer: rng.int(0, peers - 1), collection: rng.pick(COLLECTIONS), key: `r${i}`, values });
  }
}

/** In 17 seeds of 20, the power goes 2–5 times right after a peer issued writes (their append is in flight). */
function drawPowerCuts(seed: number, peers: number, faultPhaseMs: number, keys: number, actions: SimAction[]): void {
  const rng = createSeededRandom(seed).fork('power');
  if (!rng.chance(0.85)) return;
  for (let i = rng.int(2, 5); i > 0; i--) {
    const writes = Array.from({ length: rng.int(1, 3) }, (_, j) => ({ collection: rng.pick(COLLECTIONS), key: `k${rng.int(0, keys - 1)}`, value: 20_000 + i * 10 + j }));
    actions.push({ at: rng.int(200, faultPhaseMs), kind: 'power-cut', peer: rng.int(0, peers - 1), writes, restartAfter: rng.int(0, 1_500) });
  }
}

/** In 1 seed of 5, a peer's disk rots once: one byte of a record in the middle of its log. */
function drawBitRot(seed: number, peers: number, faultPhaseMs: number, actions: SimAction[]): void {
  const rng = createSeededRandom(seed).fork('rot');
  if (!rng.chance(0.2)) return;
  actions.push({ at: rng.int(500, faultPhaseMs), kind: 'bit-rot', peer: rng.int(0, peers - 1), where: [rng.next(), rng.next(), rng.next()], restartAfter: rng.int(0, 2_000) });
}


/** In 3 seeds of 10, the application writes values at and over the limits, and values that are not JSON. */
function drawHostileWrites(seed: number, peers: number, faultPhaseMs: number, actions: SimAction[]): void {
  const rng = createSeededRandom(seed).fork('hostile');
  if (!rng.chance(0.3)) return;
  for (let i = rng.int(1, 5); i > 0; i--) {
    actions.push({ at: rng.int(0, faultPhaseMs), kind: 'hostile-write', peer: rng.int(0, peers - 1), id: i, value: rng.pick(HOSTILE_VALUES) });
  }
}

/**
 * In 17 seeds of 20, the network turns very lossy 1–4 times for 1.5–8 s
 * (operations go unacknowledged through several resends). A storm needs
 * links that may lose messages: in a world drawn without loss, the links
 * get a small loss rate.
 */
function drawStorms(seed: number, faults: SimFaults, faultPhaseMs: number, actions: SimAction[]): SimFaults {
  const rng = createSeededRandom(seed).fork('storm');
  if (!rng.chance(0.85)) return faults;
  for (let i = rng.int(1, 4); i > 0; i--) {
    actions.push({ at: rng.int(0, faultPhaseMs), kind: 'storm', loss: 0.6 + rng.next() * 0.35, durationMs: rng.int(1_500, 8_000) });
  }
  return faults.loss > 0 || faults.corrupt > 0 ? faults : { ...faults, loss: 0.01 + rng.next() * 0.04 };
}

/** The typed policies, each drawn as a collection named after it. */
const TYPED: readonly OperationType[] = ['counter', 'set', 'mv', 'map'];
/** The values a set's writes draw from: few, so that adds and removes of one value meet. */
const SET_VALUES = ['a', 'b', 'c'];
/** The fields a map's writes draw from. */
const MAP_FIELDS = ['f0', 'f1', 'f2', 'f3'];

/**
 * In 17 seeds of 20, typed collections: each policy in about 3 seeds of 5,
 * as a collection named after it (`counter`, `set`, `mv`, `map`), declared
 * by every peer — but, in half the stars, the hub, which declares nothing
 * (a relay). `todos` is declared LWW explicitly in 1 of 3 such seeds
 * (`notes` stays undeclared), so the LWW writes keep all their weight.
 * Typed writes are spread over the fault phase on 1–3 keys per collection,
 * some by several peers in one millisecond, some torn by a power cut.
 */
function drawTypedWorld(
  seed: number,
  peers: number,
  topology: Topology,
  faultPhaseMs: number,
  actions: SimAction[],
  withRelaySet = false,
): { collections: Record<string, OperationType | 'lww'>; relay: number | undefined } {
  const rng = createSeededRandom(seed).fork('typed');
  if (!rng.chance(0.85) && !withRelaySet) return { collections: {}, relay: undefined };
  let policies = TYPED.filter(() => rng.chance(0.6));
  if (policies.length === 0) policies = [rng.pick(TYPED)];
  if (withRelaySet && !policies.includes('set')) policies.push('set');
  const collections: Record<string, OperationType | 'lww'> = {};
  if (rng.chance(1 / 3)) collections['todos'] = 'lww';
  const keysOf = new Map<string, number>();
  for (const policy of policies) {
    collections[policy] = policy;
    // Few keys, so that writes meet on them: a set's adds and removes of one value, an mv register's concurrent writes.
    keysOf.set(policy, rng.int(1, policy === 'set' || policy === 'mv' ? 2 : 3));
  }
  const relay = topology === 'star' && (rng.chance(0.5) || withRelaySet) ? 0 : undefined;
  let unique = 40_000;
  const draw = (policy: OperationType): TypedWrite => {
    switch (policy) {
      case 'counter':
        return { policy, amount: rng.int(1, 5) * (rng.chance(0.35) ? -1 : 1) };
      case 'set':
        return { policy, action: rng.chance(0.6) ? 'add' : 'remove', value: rng.pick(SET_VALUES) };
      case 'mv':
        return { policy, value: unique++ };
      case 'map': {
        const set: Record<string, number> = {};
        const del: string[] = [];
        for (const field of MAP_FIELDS) {
          const r = rng.next();
          if (r < 0.4) set[field] = unique++;
          else if (r < 0.55) del.push(field);
        }
        if (Object.keys(set).length + del.length === 0) set[rng.pick(MAP_FIELDS)] = unique++;
        return { policy, set, del };
      }
    }
  };
  const target = (): { collection: string; key: string; write: TypedWrite } => {
    const policy = rng.pick(policies);
    return { collection: policy, key: `t${rng.int(0, keysOf.get(policy)! - 1)}`, write: draw(policy) };
  };
  for (let i = rng.int(10, 16 + peers * 6); i > 0; i--) {
    const at = rng.int(0, faultPhaseMs);
    const group = rng.chance(0.15) ? Array.from({ length: peers }, (_, p) => p).filter(() => rng.chance(0.7)) : [];
    actions.push({ at, kind: 'update', peers: group.length >= 2 ? group : [rng.int(0, peers - 1)], ...target() });
  }
  if (rng.chance(0.5)) {
    for (let i = rng.int(1, 3); i > 0; i--) {
      const updates = Array.from({ length: rng.int(1, 3) }, target);
      actions.push({ at: rng.int(200, faultPhaseMs), kind: 'power-cut', peer: rng.int(0, peers - 1), writes: [], updates, restartAfter: rng.int(0, 1_500) });
    }
  }
  return { collections, relay };
}

/**
 * Metadata collection, in 3 of 4 worlds with a relay (a stream of its own:
 * the other draws stay as they were): half with a horizon past any run, so
 * that everything is collected once every peer holds it, half with one of a
 * few seconds, so that a peer down or cut off for longer is forgotten and,
 * when it comes back holding what it should not, reset.
 */
function drawCollection(seed: number, relay: number | undefined, shortHorizon: boolean): { horizonMs: number } | undefined {
  if (relay === undefined) return undefined;
  const rng = createSeededRandom(seed).fork('gc');
  if (!rng.chance(0.75) && !shortHorizon) return undefined;
  if (shortHorizon) return { horizonMs: rng.int(300, 2_000) };
  return { horizonMs: rng.chance(0.5) ? 3_600_000 : rng.int(1_500, 8_000) };
}

/** @internal */
export function describeTypedWrite(write: TypedWrite): string {
  switch (write.policy) {
    case 'counter':
      return write.amount >= 0 ? `+${write.amount}` : `${write.amount}`;
    case 'set':
      return `${write.action} ${write.value}`;
    case 'mv':
      return `= ${write.value}`;
    case 'map':
      return `set ${JSON.stringify(write.set)}${write.del.length ? ` del ${write.del.join(',')}` : ''}`;
  }
}

/** The links of a topology, as pairs of peer indexes. */
export function edgesOf(topology: Topology, peers: number): Array<readonly [number, number]> {
  const edges: Array<readonly [number, number]> = [];
  switch (topology) {
    case 'mesh':
      for (let a = 0; a < peers; a++) for (let b = a + 1; b < peers; b++) edges.push([a, b]);
      break;
    case 'star':
      for (let p = 1; p < peers; p++) edges.push([0, p]);
      break;
    case 'chain':
      for (let p = 0; p + 1 < peers; p++) edges.push([p, p + 1]);
      break;
    case 'ring':
      for (let p = 0; p + 1 < peers; p++) edges.push([p, p + 1]);
      if (peers > 2) edges.push([peers - 1, 0]);
      break;
  }
  return edges;
}

/** @internal */
export function describeAction(action: SimAction): string {
  const p = (i: number): string => `p${i}`;
  switch (action.kind) {
    case 'write':
      return `${p(action.peer)} ${action.del ? 'deletes' : 'puts'} ${action.collection}/${action.key}${action.del ? '' : ` = ${action.value}`}`;
    case 'burst':
      return `${action.peers.map(p).join(', ')} all put ${action.collection}/${action.key} in the same millisecond`;
    case 'crash':
      return `${p(action.peer)} crashes (append in flight: ${action.inFlight}), restarts after ${action.restartAfter} ms`;
    case 'cut':
      return `link ${p(action.a)}–${p(action.b)} cut`;
    case 'heal':
      return `link ${p(action.a)}–${p(action.b)} healed`;
    case 'partition':
      return `partition ${action.groups.map((g) => `{${g.map(p).join(',')}}`).join(' | ')}`;
    case 'heal-all':
      return 'network healed';
    case 'block':
      return `messages ${p(action.from)} → ${p(action.to)} dropped (asymmetric partition)`;
    case 'clock-jump':
      return `${p(action.peer)}'s clock jumps ${action.deltaMs > 0 ? '+' : ''}${action.deltaMs} ms`;
    case 'wal-failure':
      return `${p(action.peer)}'s next WAL write fails (EIO)`;
    case 'rapid':
      return `${p(action.peer)} puts ${action.collection}/${action.key} ${action.values.length} times in the same millisecond`;
    case 'power-cut':
      return `${p(action.peer)} writes ${[...action.writes, ...(action.updates ?? [])].map((w) => `${w.collection}/${w.key}`).join(', ')} and loses power with the append in flight, restarts after ${action.restartAfter} ms`;
    case 'bit-rot':
      return `${p(action.peer)} crashes and a byte in the middle of its log rots, restarts after ${action.restartAfter} ms`;
    case 'hostile-write':
      return `${p(action.peer)} writes a hostile value (${action.value}) to hostile/h${action.id}`;
    case 'update':
      return `${action.peers.map(p).join(', ')} ${action.peers.length > 1 ? 'all write' : 'writes'} ${action.collection}/${action.key} ${describeTypedWrite(action.write)}${action.peers.length > 1 ? ' in the same millisecond' : ''}`;
    case 'storm':
      return `the network loses ${Math.round(action.loss * 100)} % of messages for ${action.durationMs} ms`;
  }
}

