/** The sizes of W6/W7: the full plan (`crdt`, at most ~3 minutes here) and the quick one (`crdt --quick`, under 30 s). */
import type { W6Params, W7Params, WorkloadId } from './workloads.ts';

export interface CrdtJob {
  readonly workload: WorkloadId;
  readonly params: W6Params | W7Params;
  readonly runs: number;
  /** Contestants left out of this job, and why (shown in the table). */
  readonly skip: Readonly<Record<string, string>>;
}

export interface CrdtPlan {
  readonly name: 'full' | 'quick';
  readonly jobs: readonly CrdtJob[];
  /** Seconds before a child is killed and its row marked failed. */
  readonly timeoutSeconds: number;
}

export const jobKey = (job: CrdtJob): string => `${job.workload}@${Object.values(job.params).join('x')}`;

export function describeJob(job: CrdtJob): string {
  if (job.workload === 'w6') {
    const p = job.params as W6Params;
    return `W6 counters — ${p.peers} peers × ${p.increments.toLocaleString('en-US')} increments on ${p.counters} counters (${(p.peers * p.increments).toLocaleString('en-US')} in all), then all-to-all converge`;
  }
  const p = job.params as W7Params;
  return `W7 sets — ${p.peers} peers × (${p.adds.toLocaleString('en-US')} adds + ${p.removes.toLocaleString('en-US')} removes) on one set (${(p.peers * p.adds).toLocaleString('en-US')} adds, ${(p.peers * p.removes).toLocaleString('en-US')} removes in all), then all-to-all converge`;
}

/**
 * Why Automerge does not run the 100-peer W6: all-to-all, each of 100 peers
 * applies 99 × 1,000 changes (9.9 M in all); measured here at ~55 µs per
 * applied change (the 10-peer job: 90,000 changes in ~5 s), that is ~9
 * minutes for one run, three times the whole run's budget.
 */
const AUTOMERGE_W6_SKIP = 'skipped: 9.9 M changes to apply all-to-all, ~55 µs each here (the 10-peer table: 90,000 in ~5 s), so ~9 min for one run';
/** Why `ours-apply` does not run the full W7: folding ~900 ops into a ~5,000-op set state with `apply` is O(state) per op. */

export function makePlan(quick: boolean, runsOverride: number | undefined): CrdtPlan {
  const runs = (n: number): number => runsOverride ?? n;
  if (quick) {
    return {
      name: 'quick',
      jobs: [
        { workload: 'w6', params: { peers: 10, increments: 200, counters: 10 }, runs: runs(1), skip: {} },
        { workload: 'w7', params: { peers: 4, adds: 300, removes: 60 }, runs: runs(1), skip: {} },
      ],
      timeoutSeconds: 20,
    };
  }
  return {
    name: 'full',
    jobs: [
      {
        workload: 'w6',
        params: { peers: 100, increments: 1000, counters: 10 },
        // One run: Loro alone takes ~90 s here (Yjs ~30 s), which is the run's budget.
        runs: runs(1),
        skip: { automerge: AUTOMERGE_W6_SKIP },
      },
      // The same writes per peer with 10 peers: where Automerge finishes, so that it has ratios too.
      { workload: 'w6', params: { peers: 10, increments: 1000, counters: 10 }, runs: runs(3), skip: {} },
      { workload: 'w7', params: { peers: 10, adds: 1000, removes: 200 }, runs: runs(3), skip: {} },
    ],
    timeoutSeconds: 180,
  };
}
