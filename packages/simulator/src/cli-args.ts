import { parseArgs } from 'node:util';
import { PLANTS, type SimPlant } from './scenario.js';
import type { SimStorage } from './sim-disk.js';

/** The simulator's command line, parsed (see cli.ts for what each flag does). */
export interface SimArgs {
  seeds: number;
  from: number;
  seed: number | undefined;
  peers: number | undefined;
  plant: SimPlant | undefined;
  storage: SimStorage | 'mixed' | undefined;
  worlds: 'original' | undefined;
  workers: number;
  verbose: boolean;
  shrink: boolean;
  all: boolean;
  minCaught: number;
  /** Internal: the seeds a forked worker runs. */
  worker: number[] | undefined;
}

/** The usage line printed with every command-line mistake. */
export const SIM_USAGE = `usage: pnpm sim --seeds N [--peers P] [--from F] [--seed S] [--plant ${PLANTS.join('|')} [--all] [--min-caught K]] [--storage memory|file|indexeddb|mixed] [--worlds original|current] [--workers W] [--verbose] [--no-shrink]`;

/**
 * Parses the simulator's arguments with `node:util`'s `parseArgs`, as the
 * relay and the CLI do.
 *
 * @param argv - the arguments after the script (a bare `--`, as package managers forward, is ignored)
 * @returns the arguments, or what is wrong with them
 */
export function parseSimArgs(argv: readonly string[]): { readonly ok: true; readonly args: SimArgs } | { readonly ok: false; readonly problem: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv.filter((arg) => arg !== '--'),
      options: {
        seeds: { type: 'string' },
        from: { type: 'string' },
        seed: { type: 'string' },
        peers: { type: 'string' },
        workers: { type: 'string' },
        plant: { type: 'string' },
        storage: { type: 'string' },
        worlds: { type: 'string' },
        verbose: { type: 'boolean' },
        'no-shrink': { type: 'boolean' },
        all: { type: 'boolean' },
        'min-caught': { type: 'string' },
        worker: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return { ok: false, problem: (error as Error).message };
  }
  const problems: string[] = [];
  const integer = (name: string, value: string | undefined, min: number): number | undefined => {
    if (value === undefined) return undefined;
    const n = value.trim() === '' ? NaN : Number(value);
    if (!Number.isSafeInteger(n) || n < min) {
      problems.push(`--${name} needs an integer >= ${min}, got ${value}`);
      return undefined;
    }
    return n;
  };
  const seeds = integer('seeds', values.seeds, 1);
  const from = integer('from', values.from, 0);
  const seed = integer('seed', values.seed, 0);
  const peers = integer('peers', values.peers, 2);
  const workers = integer('workers', values.workers, 1);
  const minCaught = integer('min-caught', values['min-caught'], 1);
  if (values.plant !== undefined && !PLANTS.includes(values.plant as SimPlant)) problems.push(`--plant takes one of ${PLANTS.join(', ')}`);
  const storage = values.storage;
  if (storage !== undefined && storage !== 'memory' && storage !== 'file' && storage !== 'indexeddb' && storage !== 'mixed') problems.push('--storage takes memory, file, indexeddb or mixed');
  if (values.worlds !== undefined && values.worlds !== 'original' && values.worlds !== 'current') problems.push('--worlds takes original or current');
  const first = problems[0];
  if (first !== undefined) return { ok: false, problem: first };
  return {
    ok: true,
    args: {
      seeds: seeds ?? 100,
      from: from ?? 1,
      seed,
      peers,
      plant: values.plant as SimPlant | undefined,
      storage: storage as SimStorage | 'mixed' | undefined,
      worlds: values.worlds === 'original' ? 'original' : undefined,
      workers: workers ?? 0,
      verbose: values.verbose === true,
      shrink: values['no-shrink'] !== true,
      // --min-caught K implies --all.
      all: values.all === true || minCaught !== undefined,
      minCaught: minCaught ?? 1,
      worker: values.worker === undefined ? undefined : values.worker.split(',').filter(Boolean).map(Number),
    },
  };
}

/**
 * The arguments a forked worker needs to draw the same scenarios: the
 * scenario flags, not the seed range nor the worker count.
 *
 * @param args - the parent's arguments
 * @param seeds - the seeds this worker runs
 */
export function workerArgv(args: SimArgs, seeds: readonly number[]): string[] {
  return [
    ...(args.peers !== undefined ? ['--peers', String(args.peers)] : []),
    ...(args.plant !== undefined ? ['--plant', args.plant] : []),
    ...(args.storage !== undefined ? ['--storage', args.storage] : []),
    ...(args.worlds !== undefined ? ['--worlds', args.worlds] : []),
    '--worker',
    seeds.join(','),
  ];
}
