/**
 * One run of one (contestant, workload), in a fresh process started by
 * run.ts (`node --expose-gc --import tsx --conditions=@softadastra/source`).
 * Prints one line `RESULT {json}` and exits; a failure is a result too.
 *
 * Usage: `child.ts --contestant yjs --workload w6 --params '{"peers":100,"increments":1000,"counters":10}'`
 */
import { parseArgs } from 'node:util';
import { loadContestant } from './contestants.ts';
import { runW6, runW7, type W6Params, type W7Params } from './workloads.ts';

async function main(): Promise<Record<string, number>> {
  const { values } = parseArgs({ options: { contestant: { type: 'string' }, workload: { type: 'string' }, params: { type: 'string' } } });
  const contestant = await loadContestant(values.contestant ?? '');
  const params = JSON.parse(values.params ?? '{}') as Record<string, unknown>;
  for (const [name, value] of Object.entries(params)) if (!Number.isInteger(value) || (value as number) < 0) throw new Error(`--params: ${name} must be a non-negative integer`);
  if (values.workload === 'w6') return runW6(contestant, params as unknown as W6Params);
  if (values.workload === 'w7') return runW7(contestant, params as unknown as W7Params);
  throw new Error('--workload must be w6 or w7');
}

let line: string;
try {
  line = JSON.stringify({ ok: true, metrics: await main() });
} catch (error) {
  line = JSON.stringify({ ok: false, metrics: {}, error: error instanceof Error ? error.message : String(error) });
}
process.stdout.write(`RESULT ${line}\n`);
process.exit(0);
