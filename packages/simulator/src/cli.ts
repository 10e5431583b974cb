/**
 * The simulator's command line:
 *
 *   pnpm sim --seeds N [--peers P] [--from F] [--seed S] [--plant BUG [--all] [--min-caught K]] [--storage memory|file|indexeddb|mixed] [--worlds original|current] [--workers W] [--verbose] [--no-shrink]
 *
 * Ends with exactly one summary line:
 *   sim: seeds=N peers=P steps=S ops=O divergent=D lost=L violations=V
 * and exits 0 only when D, L and V are all 0 — or, with --plant, only when the
 * planted bug was caught. With --plant and --all, every seed runs (not only
 * up to the first catch) and the catch count is printed; --min-caught K (which
 * implies --all) exits 0 only when at least K seeds caught it — a gate on the
 * simulator's power, not only on its ability to fail once.
 */
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { SIM_USAGE, parseSimArgs, workerArgv, type SimArgs as Args } from './cli-args.js';
import { failed, runSimulation, type SimulationResult } from './run.js';
import { describeAction, drawScenario, type ScenarioOptions } from './scenario.js';
import { shrinkScenario } from './shrink.js';

interface SeedSummary {
  readonly seed: number;
  readonly steps: number;
  readonly ops: number;
  readonly divergent: number;
  readonly lost: number;
  readonly violations: number;
  readonly gc: boolean;
  readonly resets: number;
}

function usage(problem: string): never {
  console.error(`sim: ${problem}\n${SIM_USAGE}`);
  process.exit(2);
}

function scenarioOptions(args: Args): ScenarioOptions {
  return {
    ...(args.peers !== undefined ? { peers: args.peers } : {}),
    ...(args.plant ? { plant: args.plant } : {}),
    ...(args.storage ? { storage: args.storage } : {}),
    ...(args.worlds ? { worlds: args.worlds } : {}),
  };
}

function summarize(result: SimulationResult): SeedSummary {
  return { seed: result.seed, steps: result.steps, ops: result.ops, divergent: result.divergent, lost: result.lost, violations: result.violations.length, gc: result.scenario.gc !== undefined, resets: result.resets };
}

function replayCommand(seed: number, args: Args): string {
  return `pnpm sim --seed ${seed}${args.peers !== undefined ? ` --peers ${args.peers}` : ''}${args.plant ? ` --plant ${args.plant}` : ''}${args.storage ? ` --storage ${args.storage}` : ''}${args.worlds ? ` --worlds ${args.worlds}` : ''}`;
}

/** Prints what went wrong in a failing seed, how to replay it, and a shrunk trace. */
async function report(seed: number, args: Args): Promise<void> {
  const options = scenarioOptions(args);
  const result = await runSimulation(seed, options);
  const { scenario } = result;
  // With a planted bug, a failing seed is the catch the run is looking for: say so, so nobody takes its LOST lines for a regression.
  console.log(`\n${args.plant ? `caught (expected: the planted bug ${args.plant}) ` : 'FAIL '}seed=${seed} peers=${scenario.peers} topology=${scenario.topology}: divergent=${result.divergent} lost=${result.lost} violations=${result.violations.length}`);
  for (const violation of result.violations.slice(0, 10)) console.log(`  ${violation.kind}: ${violation.message}`);
  console.log(`  replay: ${replayCommand(seed, args)}`);
  if (args.verbose) {
    console.log('  full trace:');
    for (const line of result.trace) console.log(`    ${line}`);
  }
  if (!args.shrink) return;
  const shrunk = await shrinkScenario(drawScenario(seed, options));
  console.log(`  shrunk trace (${shrunk.scenario.actions.length} of ${scenario.actions.length} scheduled events still fail, ${shrunk.runs} replays):`);
  for (const action of shrunk.scenario.actions) console.log(`    +${String(action.at).padStart(6)}ms ${describeAction(action)}`);
  const tail = shrunk.result.trace.filter((line) => /LOST|converge|heal/.test(line));
  for (const line of tail) console.log(`    ${line}`);
}

async function runWorker(seeds: readonly number[], args: Args): Promise<void> {
  const options = scenarioOptions(args);
  for (const seed of seeds) {
    const result = await runSimulation(seed, options);
    process.stdout.write(`${JSON.stringify(summarize(result))}\n`);
  }
}

/** Runs seeds in worker processes; calls `onResult` as each finishes; resolves when all are done or `stop()` returned true. */
async function runParallel(seeds: readonly number[], args: Args, onResult: (summary: SeedSummary) => boolean): Promise<void> {
  const workers = Math.max(1, Math.min(args.workers || Math.min(2, availableParallelism()), seeds.length));
  const children = Array.from({ length: workers }, (_, w) => seeds.filter((_, i) => i % workers === w));
  let stopped = false;
  await Promise.all(
    children.map(
      (list) =>
        new Promise<void>((resolve, reject) => {
          const child = fork(process.argv[1]!, workerArgv(args, list), { execArgv: process.execArgv, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
          const lines = createInterface({ input: child.stdout! });
          lines.on('line', (line) => {
            if (stopped || !line.startsWith('{')) return;
            if (onResult(JSON.parse(line) as SeedSummary)) {
              stopped = true;
              for (const c of active) c.kill();
            }
          });
          active.push(child);
          child.on('exit', (code, signal) => {
            if (code === 0 || stopped || signal === 'SIGTERM') resolve();
            else reject(new Error(`simulator worker exited with ${code ?? signal}`));
          });
        }),
    ),
  );
}
const active: Array<{ kill(): boolean }> = [];

async function main(): Promise<void> {
  const parsed = parseSimArgs(process.argv.slice(2));
  if (!parsed.ok) usage(parsed.problem);
  const { args } = parsed;
  if (args.worker !== undefined) {
    await runWorker(args.worker, args);
    return;
  }
  const seeds = args.seed !== undefined ? [args.seed] : Array.from({ length: args.seeds }, (_, i) => args.from + i);
  if (args.plant !== undefined) console.log(`sim: planting the bug ${args.plant} on purpose — the failures it causes (LOST writes, divergence, violations) are expected; this run passes only if the simulator catches it`);
  const totals = { seeds: 0, steps: 0, ops: 0, divergent: 0, lost: 0, violations: 0, gcSeeds: 0, resets: 0 };
  const failing: number[] = [];
  const started = Date.now();
  const onResult = (summary: SeedSummary): boolean => {
    totals.seeds++;
    totals.steps += summary.steps;
    totals.ops += summary.ops;
    totals.divergent += summary.divergent;
    totals.lost += summary.lost;
    totals.violations += summary.violations;
    if (summary.gc) totals.gcSeeds++;
    totals.resets += summary.resets;
    const bad = summary.divergent > 0 || summary.lost > 0 || summary.violations > 0;
    if (bad) failing.push(summary.seed);
    if (args.verbose || (bad && !(args.plant && args.all))) console.log(`seed ${summary.seed}: steps=${summary.steps} ops=${summary.ops} divergent=${summary.divergent} lost=${summary.lost} violations=${summary.violations}`);
    // With a planted bug, the first failing seed is the catch (unless --all counts them).
    return args.plant !== undefined && !args.all && bad;
  };
  if (seeds.length === 1) {
    const options = scenarioOptions(args);
    const result = await runSimulation(seeds[0]!, options);
    onResult(summarize(result));
    if (args.verbose && !failed(result)) for (const line of result.trace) console.log(`  ${line}`);
  } else {
    await runParallel(seeds, args, onResult);
  }
  failing.sort((a, b) => a - b);
  const reported = args.plant ? (args.all ? [] : failing.slice(0, 1)) : failing.slice(0, 3);
  for (const seed of reported) await report(seed, args);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  let ok: boolean;
  if (args.plant !== undefined) {
    ok = failing.length >= args.minCaught;
    if (args.all) {
      console.log(`\nplanted bug ${args.plant} caught in ${failing.length} of ${totals.seeds} seeds (${seconds} s)${failing.length ? `, first at seed ${failing[0]!}` : ''}`);
      if (!ok) console.log(`the simulator has gone blind to ${args.plant}: fewer than the ${args.minCaught} catches required`);
    }
    else console.log(ok ? `\nplanted bug ${args.plant} caught at seed ${failing[0]!} (${totals.seeds} seeds run, ${seconds} s)` : `\nplanted bug ${args.plant} NOT caught in ${totals.seeds} seeds (${seconds} s): the simulator is blind to it`);
    console.log(ok ? `expected: the planted bug ${args.plant} caused the failures counted below — PASS, the simulator caught it` : `FAIL: the simulator did not catch the planted bug ${args.plant} often enough`);
  } else {
    ok = failing.length === 0;
    console.log(`\n${totals.seeds} seeds in ${seconds} s${failing.length ? `; failing seeds: ${failing.join(', ')}` : ''}`);
  }
  console.log(`metadata collection: in ${totals.gcSeeds} seeds, ${totals.resets} peers reset from the relay after its horizon`);
  console.log(`sim: seeds=${totals.seeds} peers=${args.peers ?? '2-7'} steps=${totals.steps} ops=${totals.ops} divergent=${totals.divergent} lost=${totals.lost} violations=${totals.violations}`);
  process.exitCode = ok ? 0 : 1;
}

await main();
