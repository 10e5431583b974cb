/**
 * The side-by-side benchmark of issue 8: runs every (contestant, workload)
 * in a fresh child process, several times, and writes the medians to
 * bench/results/latest.json, bench/RESULTS.md and bench/results/chart.svg.
 *
 * Run from the repository root: `pnpm bench` (full) or `pnpm bench --quick`.
 * The quick run writes to bench/results/quick/ (not kept in git), so that it
 * never overwrites the committed full table.
 * Options: `--runs N` (every job), `--only id,id` (contestants),
 * `--workloads w1,w3` (jobs of these workloads), `--timeout S` (per child),
 * `--render` (measure nothing: rewrite RESULTS.md and the chart from
 * results/latest.json, after a change to the report code).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ADAPTER_IDS, loadAdapter } from './adapters.ts';
import { jobKey, makePlan, type Job } from './plan.ts';
import { describeMachine, type ContestantInfo, type Report } from './report.ts';
import { renderMarkdown } from './results-markdown.ts';
import { renderSvg } from './results-svg.ts';
import { median, type Row } from './stats.ts';
import { checkTargets } from './targets.ts';
import type { RunResult } from './workload.ts';

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = join(here, '..', '..');
const childScript = join(here, 'child.ts');

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    only: { type: 'string' },
    workloads: { type: 'string' },
    timeout: { type: 'string' },
    render: { type: 'boolean', default: false },
  },
});

if (values.render) {
  const saved = JSON.parse(readFileSync(join(benchDir, 'results', 'latest.json'), 'utf8')) as Report;
  const savedPlan = makePlan(saved.plan === 'quick', undefined);
  writeFileSync(join(benchDir, 'results', 'chart.svg'), `${renderSvg(saved, savedPlan.w1, savedPlan.w5Bulk)}\n`);
  writeFileSync(join(benchDir, 'RESULTS.md'), renderMarkdown({ ...saved, targets: checkTargets(saved.rows, savedPlan) }, savedPlan, 'results/chart.svg'));
  process.stderr.write('rewrote bench/RESULTS.md and bench/results/chart.svg from bench/results/latest.json\n');
  process.exit(0);
}

const plan = makePlan(values.quick, values.runs === undefined ? undefined : Number(values.runs));
const timeoutSeconds = values.timeout === undefined ? plan.timeoutSeconds : Number(values.timeout);
const only = values.only?.split(',');
const ids = ADAPTER_IDS.filter((id) => (only === undefined ? !plan.skip.includes(id) : only.includes(id)));
const workloads = values.workloads?.split(',');
const jobs = plan.jobs.filter((job) => workloads === undefined || workloads.includes(job.workload));
const output =
  plan.name === 'full'
    ? { results: join(benchDir, 'results'), markdown: join(benchDir, 'RESULTS.md'), chartLink: 'results/chart.svg' }
    : { results: join(benchDir, 'results', 'quick'), markdown: join(benchDir, 'results', 'quick', 'RESULTS.md'), chartLink: 'chart.svg' };
const command = `pnpm bench${process.argv.slice(2).length > 0 ? ` ${process.argv.slice(2).join(' ')}` : ''}`;

/** Runs one child to completion; never throws: a crash or a timeout is a failed result. */
function runChild(adapter: string, job: Job): Promise<RunResult> {
  const args = ['--expose-gc', '--max-old-space-size=12288', '--import', 'tsx', '--conditions=@softadastra/source', childScript];
  args.push('--adapter', adapter, '--workload', job.workload, '--ops', String(job.ops), '--keys', String(job.keys), '--delta', String(job.delta), '--batch', String(job.batch));
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
          resolve(JSON.parse(line.slice('RESULT '.length)) as RunResult);
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
const contestants: ContestantInfo[] = [];
for (const id of ids) {
  const adapter = await loadAdapter(id);
  contestants.push({ id, label: adapter.label, family: adapter.family, notes: adapter.notes });
}

const rows: Row[] = [];
const total = jobs.reduce((sum, job) => sum + job.runs, 0) * contestants.length;
let done = 0;
/** Per contestant and workload, the largest size measured so far: seconds per run, or a timeout. */
const history = new Map<string, { ops: number; secondsPerRun?: number; timedOut: boolean }>();
for (const job of jobs) {
  for (const contestant of contestants) {
    const samples: Record<string, number[]> = {};
    let error: string | undefined = tooSlow(contestant.id, job);
    let runs = 0;
    const jobStarted = performance.now();
    if (error !== undefined) {
      done += job.runs;
      process.stderr.write(`[${done}/${total}] ${contestant.id} ${jobKey(job)}: ${error}\n`);
    }
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
      const headline = result.metrics['totalMs'] ?? result.metrics['syncMs'] ?? result.metrics['usPerSet'] ?? 0;
      process.stderr.write(`[${done}/${total}] ${contestant.id} ${jobKey(job)} run ${run + 1}: ${headline.toFixed(1)} (${seconds} s)\n`);
    }
    const seen = history.get(`${contestant.id} ${job.workload}`);
    if (seen === undefined || job.ops >= seen.ops) {
      const timedOut = error !== undefined && (error.startsWith('timed out') || error.startsWith('skipped'));
      history.set(`${contestant.id} ${job.workload}`, { ops: job.ops, timedOut, ...(runs > 0 ? { secondsPerRun: (performance.now() - jobStarted) / 1000 / runs } : {}) });
    }
    const metrics = Object.fromEntries(Object.entries(samples).map(([metric, list]) => [metric, median(list)]));
    rows.push({
      adapter: contestant.id,
      label: contestant.label,
      family: contestant.family,
      job: jobKey(job),
      runs,
      ok: error === undefined,
      ...(error !== undefined ? { error } : {}),
      metrics,
      samples,
      seconds: (performance.now() - jobStarted) / 1000,
    });
  }
  writeOutputs(true);
}

writeOutputs(false);
// Targets are findings, never failures; a row of ours that fails its verification is a bug.
const broken = rows.filter((row) => row.family === 'ours' && !row.ok);
for (const row of broken) process.stderr.write(`FAILED: ${row.adapter} ${row.job}: ${row.error ?? 'failed'}\n`);
if (broken.length > 0) process.exitCode = 1;
process.stdout.write(`${readFileSync(output.markdown, 'utf8')}\n`);
process.stderr.write(`wrote ${relative(process.cwd(), output.markdown)} and ${relative(process.cwd(), output.results)}/{latest.json,chart.svg} (${Math.round((performance.now() - started) / 1000)} s)\n`);

/**
 * Why a job is not worth running, if it is not: the contestant timed out on
 * the same workload at a smaller size, or its time there, scaled linearly to
 * this size, is over the limit. (Keeps the full run from spending its 1M-op
 * jobs waiting for timeouts; the row is marked failed with the reason.)
 */
function tooSlow(adapter: string, job: Job): string | undefined {
  const seen = history.get(`${adapter} ${job.workload}`);
  if (seen === undefined || seen.ops >= job.ops) return undefined;
  if (seen.timedOut) return `skipped: timed out at ${seen.ops.toLocaleString('en-US')} ops`;
  if (seen.secondsPerRun === undefined) return undefined;
  const predicted = (seen.secondsPerRun * job.ops) / seen.ops;
  if (predicted <= timeoutSeconds) return undefined;
  return `skipped: ~${Math.round(predicted)} s predicted (${seen.secondsPerRun.toFixed(1)} s at ${seen.ops.toLocaleString('en-US')} ops), over the ${timeoutSeconds} s limit`;
}

/** Writes the results so far; called after every job, so an interrupted run still leaves what it measured. */
function writeOutputs(partial: boolean): void {
  const report: Report = {
    command: partial ? `${command} (interrupted: partial results)` : command,
    date: new Date().toISOString(),
    machine: describeMachine(),
    node: process.version,
    plan: plan.name,
    jobs,
    seconds: (performance.now() - started) / 1000,
    contestants,
    rows,
    targets: checkTargets(rows, plan),
  };
  mkdirSync(output.results, { recursive: true });
  writeFileSync(join(output.results, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(output.results, 'chart.svg'), `${renderSvg(report, plan.w1, plan.w5Bulk)}\n`);
  writeFileSync(output.markdown, renderMarkdown(report, plan, output.chartLink));
}
