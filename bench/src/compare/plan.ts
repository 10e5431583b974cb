/**
 * Which jobs a run does: the full plan (`pnpm bench`) and the quick one
 * (`pnpm bench --quick`, about a minute).
 */
import type { WorkloadId } from './workload.ts';

/** One (workload, size) measured for every contestant, `runs` times each. */
export interface Job {
  readonly workload: WorkloadId;
  readonly ops: number;
  readonly keys: number;
  readonly delta: number;
  readonly batch: number;
  readonly runs: number;
}

/** How results name a job: `w1@100000`. */
export const jobKey = (job: Pick<Job, 'workload' | 'ops'>): string => `${job.workload}@${job.ops}`;

/** The sizes of each table. */
export interface Plan {
  readonly name: 'full' | 'quick';
  readonly jobs: readonly Job[];
  /** W1 (bulk) size of the W1 table and the W5 scale points. */
  readonly w1: number;
  readonly w5Bulk: readonly number[];
  readonly w2: number;
  readonly w5Incremental: readonly number[];
  readonly w3: number;
  readonly w4: number;
  /** Seconds before a child is killed and its row marked failed. */
  readonly timeoutSeconds: number;
  /** Contestants left out of this plan (all run unless `--only` says otherwise). */
  readonly skip: readonly string[];
}

const job = (workload: WorkloadId, ops: number, keys: number, runs: number, delta = 1000): Job => ({ workload, ops, keys, delta, batch: 1000, runs });

export function makePlan(quick: boolean, runsOverride: number | undefined): Plan {
  const runs = (n: number): number => runsOverride ?? n;
  if (quick) {
    return {
      name: 'quick',
      jobs: [
        job('w1', 10_000, 1_000, runs(1)),
        job('w2', 10_000, 1_000, runs(1)),
        job('w3', 1_000, 100, runs(1)),
        job('w4', 1_000, 1_000, runs(1)),
        job('w1', 1_000, 100, runs(1)),
        job('w2', 1_000, 100, runs(1)),
      ],
      w1: 10_000,
      w5Bulk: [1_000, 10_000],
      w2: 10_000,
      w5Incremental: [1_000, 10_000],
      w3: 1_000,
      w4: 1_000,
      timeoutSeconds: 60,
      // Automerge's sync protocol alone would double the quick run; the save/load row stays.
      skip: ['automerge-sync'],
    };
  }
  return {
    name: 'full',
    jobs: [
      job('w1', 100_000, 10_000, runs(3)),
      job('w2', 100_000, 10_000, runs(3)),
      job('w3', 10_000, 1_000, runs(5)),
      job('w4', 10_000, 1_000, runs(5)),
      job('w1', 10_000, 1_000, runs(5)),
      job('w1', 1_000_000, 100_000, runs(1)),
      job('w2', 1_000_000, 100_000, runs(1)),
    ],
    w1: 100_000,
    w5Bulk: [10_000, 100_000, 1_000_000],
    w2: 100_000,
    w5Incremental: [100_000, 1_000_000],
    w3: 10_000,
    w4: 10_000,
    timeoutSeconds: 300,
    skip: [],
  };
}
