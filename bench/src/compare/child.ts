/**
 * One run of one (contestant, workload), in a fresh process started by the
 * runner (`node --expose-gc --import tsx --conditions=@softadastra/source`).
 * Prints one line `RESULT {json}` and exits; a failure is a result too.
 *
 * Usage: `child.ts --adapter yjs-v1 --workload w1 --ops 100000 --keys 10000 --delta 1000 --batch 1000`
 */
import { parseArgs } from 'node:util';
import type { Adapter } from './adapter.ts';
import { loadAdapter } from './adapters.ts';
import { runBulk } from './w1-bulk.ts';
import { runIncremental } from './w2-incremental.ts';
import { runConcurrent } from './w3-concurrent.ts';
import { runLive } from './w4-live.ts';
import type { RunResult, WorkloadId, WorkloadParams } from './workload.ts';

const WORKLOADS: Record<WorkloadId, (adapter: Adapter, params: WorkloadParams) => Promise<Record<string, number>>> = {
  w1: runBulk,
  w2: runIncremental,
  w3: runConcurrent,
  w4: runLive,
};

function isWorkload(id: string): id is WorkloadId {
  return Object.hasOwn(WORKLOADS, id);
}

async function main(): Promise<RunResult> {
  const { values } = parseArgs({
    options: {
      adapter: { type: 'string' },
      workload: { type: 'string' },
      ops: { type: 'string' },
      keys: { type: 'string' },
      delta: { type: 'string', default: '1000' },
      batch: { type: 'string', default: '1000' },
    },
  });
  const workload = values.workload ?? '';
  if (!isWorkload(workload)) throw new Error(`--workload must be one of ${Object.keys(WORKLOADS).join(', ')}`);
  const params: WorkloadParams = {
    ops: Number(values.ops),
    keys: Number(values.keys),
    delta: Number(values.delta),
    batch: Number(values.batch),
  };
  for (const [name, value] of Object.entries(params)) if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  const adapter = await loadAdapter(values.adapter ?? '');
  return { ok: true, metrics: await WORKLOADS[workload](adapter, params) };
}

let result: RunResult;
try {
  result = await main();
} catch (error) {
  result = { ok: false, metrics: {}, error: error instanceof Error ? error.message : String(error) };
}
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
process.exit(0);
