import { createSeededRandom } from '@softadastra/sync-core';
import type { PlantedBug } from '@softadastra/sync-engine';
import type { SimStorage } from './sim-disk.js';

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

/** One scheduled event of the fault phase. */
export type SimAction =
  | { readonly at: number; readonly kind: 'write'; readonly peer: number; readonly collection: string; readonly key: string; readonly del: boolean; readonly value: number }
  | { readonly at: number; readonly kind: 'burst'; readonly peers: readonly number[]; readonly collection: string; readonly key: string; readonly value: number }
  | { readonly at: number; readonly kind: 'crash'; readonly peer: number; readonly inFlight: 'lose' | 'keep' | 'tear'; readonly restartAfter: number }
  | { readonly at: number; readonly kind: 'cut'; readonly a: number; readonly b: number }
  | { readonly at: number; readonly kind: 'heal'; readonly a: number; readonly b: number }
  | { readonly at: number; readonly kind: 'partition'; readonly groups: readonly (readonly number[])[] }
  | { readonly at: number; readonly kind: 'heal-all' }
  | { readonly at: number; readonly kind: 'block'; readonly from: number; readonly to: number }
  | { readonly at: number; readonly kind: 'clock-jump'; readonly peer: number; readonly deltaMs: number }
  | { readonly at: number; readonly kind: 'wal-failure'; readonly peer: number };

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
  readonly plant: PlantedBug | undefined;
  /** The peers' storage: the in-memory WAL, or the file WAL on a simulated file system. */
  readonly storage: SimStorage;
  /**
   * Tight flow control (a small send buffer and outbox), so that peers fall
   * behind and catch up; `undefined` keeps the engine's defaults.
   */
  readonly flow: { readonly highWaterBytes: number; readonly maxQueuedOps: number } | undefined;
}

/** Options of {@link drawScenario}. */
export interface ScenarioOptions {
  /** Number of peers; drawn in 2–7 when omitted. */
  readonly peers?: number;
  /** A known defect to switch on in every engine. */
  readonly plant?: PlantedBug;
  /** The peers' storage; drawn when omitted (the file WAL in about 4 seeds of 10). */
  readonly storage?: SimStorage;
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
  const topology = rng.pick<Topology>(['mesh', 'star', 'chain', 'ring']);
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
  actions.sort((x, y) => x.at - y.at);
  // Drawn from its own stream, so that adding it did not change the worlds of older seeds.
  const storage = options.storage ?? (createSeededRandom(seed).fork('storage').chance(0.4) ? 'file' : 'memory');
  const flowRng = createSeededRandom(seed).fork('flow');
  const flow = flowRng.chance(0.5) ? { highWaterBytes: flowRng.pick([200, 1_000, 4_000]), maxQueuedOps: flowRng.pick([2, 8, 32]) } : undefined;
  return { seed, peers, topology, faults, walLatencyMs, skews, faultPhaseMs, actions, plant: options.plant, storage, flow };
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
  }
}

