/**
 * W6 (counters) and W7 (sets) of issue 15: our merge-policy core against
 * Yjs, Automerge and Loro. Every (contestant, job, run) runs in a fresh
 * child process; cells are medians.
 *
 * Run: `pnpm --filter @softadastra/bench crdt` (full: writes
 * bench/results/crdt.json and the W6/W7 section at the end of
 * bench/RESULTS.md) or `… crdt --quick` (writes bench/results/quick/crdt.json
 * and bench/results/quick/crdt.md, not kept in git).
 * Options: `--runs N`, `--only ours,yjs`, `--timeout S` (per child),
 * `--render` (measure nothing: rewrite the section from results/crdt.json).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine } from '../compare/report.ts';
import { median } from '../compare/stats.ts';
import { CONTESTANT_IDS, loadContestant } from './contestants.ts';
import { jobKey, makePlan, type CrdtJob } from './plan.ts';
import { renderSection, replaceSection, type CrdtReport, type CrdtRow } from './render.ts';

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = join(here, '..', '..');
const childScript = join(here, 'child.ts');

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    only: { type: 'string' },
    timeout: { type: 'string' },
    render: { type: 'boolean', default: false },
  },
});

const resultsMd = join(benchDir, 'RESULTS.md');

if (values.render) {
  const saved = JSON.parse(readFileSync(join(benchDir, 'results', 'crdt.json'), 'utf8')) as CrdtReport;
  writeFileSync(resultsMd, replaceSection(readFileSync(resultsMd, 'utf8'), renderSection(saved, 'results/crdt.json')));
  process.stderr.write('rewrote the W6/W7 section of bench/RESULTS.md from bench/results/crdt.json\n');
  process.exit(0);
}

const plan = makePlan(values.quick, values.runs === undefined ? undefined : Number(values.runs));
const timeoutSeconds = values.timeout === undefined ? plan.timeoutSeconds : Number(values.timeout);
const only = values.only?.split(',');
const contestants = await Promise.all(CONTESTANT_IDS.filter((id) => only === undefined || only.includes(id)).map(loadContestant));
// Only a complete full run replaces the committed results; anything else goes under results/quick/.
const complete = plan.name === 'full' && only === undefined && values.runs === undefined && values.timeout === undefined;
const outDir = complete ? join(benchDir, 'results') : join(benchDir, 'results', 'quick');
const command = `pnpm --filter @softadastra/bench crdt${process.argv.slice(2).length > 0 ? ` ${process.argv.slice(2).join(' ')}` : ''}`;

interface ChildResult {
  readonly ok: boolean;
  readonly metrics: Record<string, number>;
  readonly error?: string;
}

/** Runs one child to completion; never throws: a crash or a timeout is a failed result. */
function runChild(contestant: string, job: CrdtJob): Promise<ChildResult> {
  const args = ['--expose-gc', '--max-old-space-size=8192', '--import', 'tsx', '--conditions=@softadastra/source', childScript];
  args.push('--contestant', contestant, '--workload', job.workload, '--params', JSON.stringify(job.params));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: benchDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSeconds * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (line !== undefined) {
        try {
          resolve(JSON.parse(line.slice('RESULT '.length)) as ChildResult);
          return;
        } catch {
          // fall through to the failure below
        }
      }
      const why = timedOut ? `timed out after ${timeoutSeconds} s` : `child exited with ${signal ?? `code ${code}`}: ${stderr.trim().split('\n').slice(-3).join(' ')}`;
      resolve({ ok: false, metrics: {}, error: why.slice(0, 500) });
    });
  });
}

const started = performance.now();
const rows: CrdtRow[] = [];
const total = plan.jobs.reduce((sum, job) => sum + job.runs, 0) * contestants.length;
let done = 0;
for (const job of plan.jobs) {
  for (const contestant of contestants) {
    const samples: Record<string, number[]> = {};
    let error: string | undefined = job.skip[contestant.id];
    let runs = 0;
    const jobStarted = performance.now();
    if (error !== undefined) done += job.runs;
    for (let run = 0; run < job.runs && error === undefined; run++) {
      const runStarted = performance.now();
      const result = await runChild(contestant.id, job);
      done++;
      const seconds = ((performance.now() - runStarted) / 1000).toFixed(1);
      if (!result.ok) {
        error = result.error ?? 'failed';
        process.stderr.write(`[${done}/${total}] ${contestant.id} ${jobKey(job)} run ${run + 1}: FAILED (${seconds} s) ${error}\n`);
        done += job.runs - run - 1;
        break;
      }
      runs++;
      for (const [metric, value] of Object.entries(result.metrics)) (samples[metric] ??= []).push(value);
      process.stderr.write(`[${done}/${total}] ${contestant.id} ${jobKey(job)} run ${run + 1}: write ${result.metrics['writeMs']!.toFixed(0)} ms, converge ${result.metrics['convergeMs']!.toFixed(0)} ms (${seconds} s)\n`);
    }
    rows.push({
      contestant: contestant.id,
      label: contestant.label,
      family: contestant.family,
      job: jobKey(job),
      runs,
      ok: error === undefined,
      ...(error !== undefined ? { error } : {}),
      skipped: job.skip[contestant.id] !== undefined,
      metrics: Object.fromEntries(Object.entries(samples).map(([metric, list]) => [metric, median(list)])),
      samples,
      seconds: (performance.now() - jobStarted) / 1000,
    });
  }
}

const report: CrdtReport = {
  command,
  date: new Date().toISOString(),
  machine: describeMachine(),
  node: process.version,
  plan: plan.name,
  jobs: plan.jobs,
  seconds: (performance.now() - started) / 1000,
  contestants: contestants.map((c) => ({ id: c.id, label: c.label, family: c.family, notes: c.notes })),
  rows,
};
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'crdt.json'), `${JSON.stringify(report, null, 2)}\n`);
if (complete) {
  writeFileSync(resultsMd, replaceSection(existsSync(resultsMd) ? readFileSync(resultsMd, 'utf8') : '', renderSection(report, 'results/crdt.json')));
  process.stderr.write(`wrote ${relative(process.cwd(), join(outDir, 'crdt.json'))} and the W6/W7 section of ${relative(process.cwd(), resultsMd)}\n`);
} else {
  writeFileSync(join(outDir, 'crdt.md'), renderSection(report, 'crdt.json'));
  process.stderr.write(`wrote ${relative(process.cwd(), join(outDir, 'crdt.json'))} and ${relative(process.cwd(), join(outDir, 'crdt.md'))} (a partial or quick run never touches RESULTS.md)\n`);
}
process.stdout.write(renderSection(report, 'crdt.json'));
// A row of ours that fails its verification is a bug (a row the plan skips is not).
const broken = rows.filter((row) => row.family === 'ours' && !row.ok && !row.skipped);
for (const row of broken) process.stderr.write(`FAILED: ${row.contestant} ${row.job}: ${row.error ?? 'failed'}\n`);
if (broken.length > 0) process.exitCode = 1;
