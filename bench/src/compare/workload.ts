/**
 * What the workloads share: their parameters, their result, and the helpers
 * that write the seeded inputs, rebuild the expected state and read memory.
 */
import type { BenchPeer, State } from './adapter.ts';
import { itemStream, type ItemStream } from './seeded-items.ts';

export type WorkloadId = 'w1' | 'w2' | 'w3' | 'w4';

export interface WorkloadParams {
  /** W1: sets written; W2: sets of history before the delta; W3: sets per replica; W4: live sets. */
  readonly ops: number;
  /** Distinct keys the sets are drawn from. */
  readonly keys: number;
  /** W2: sets written after the history and synced as the delta. */
  readonly delta: number;
  /** Sets per commit (W1–W3; W4 commits every set). */
  readonly batch: number;
}

/** What one run of one (contestant, workload) measured. */
export interface RunResult {
  readonly ok: boolean;
  readonly metrics: Record<string, number>;
  /** Why the row failed: an exception, a state mismatch, a background error. */
  readonly error?: string;
}

/** Seed of replica `index`'s writes. */
export const seedOf = (index: number): number => 1000 + index;

/** Writes `count` sets from `stream` on `peer`, committing every `batch`; returns the time taken. */
export async function writeSets(peer: BenchPeer, stream: ItemStream, count: number, batch: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; ) {
    const end = Math.min(count, i + batch);
    for (; i < end; i++) {
      const [key, value] = stream.next();
      peer.set(key, value);
    }
    await peer.commit();
  }
  return performance.now() - started;
}

/** The state `count` sets of seed `seed` leave behind (last write wins, a single writer). */
export function expectedState(seed: number, keys: number, count: number): State {
  const stream = itemStream(seed, keys);
  const state: State = {};
  for (let i = 0; i < count; i++) {
    const [key, value] = stream.next();
    state[key] = value;
  }
  return state;
}

/** Two full collections (the child runs with `--expose-gc`). */
function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run node with --expose-gc');
  gc();
  gc();
}

/** Heap plus external memory (where WASM libraries keep their data) after two full collections. */
export function settledMemory(): number {
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/**
 * Lets the setup of a measured phase finish before the clock starts: a turn
 * of the event loop (background work the setup scheduled) and two full
 * collections (so no major GC of the setup's garbage lands in the window).
 * Called between an unmeasured setup and a measured phase, never inside one.
 */
export async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  collectGarbage();
}

/** Throws if a replica reported background errors. */
export function assertNoErrors(peers: readonly BenchPeer[]): void {
  for (const peer of peers) {
    if (peer.errors !== undefined && peer.errors.length > 0) throw new Error(`${peer.name} reported ${peer.errors.length} error(s), first: ${peer.errors[0]}`);
  }
}
