import { describe, expect, it } from 'vitest';
import { SIM_USAGE, parseSimArgs, workerArgv, type SimArgs } from './cli-args.js';

const parsed = (argv: string[]): SimArgs => {
  const result = parseSimArgs(argv);
  if (!result.ok) throw new Error(result.problem);
  return result.args;
};
const problem = (argv: string[]): string => {
  const result = parseSimArgs(argv);
  if (result.ok) throw new Error(`accepted ${argv.join(' ')}`);
  return result.problem;
};

describe("the simulator's command line", () => {
  it('has the defaults of a plain run', () => {
    expect(parsed([])).toEqual({ seeds: 100, from: 1, seed: undefined, peers: undefined, plant: undefined, storage: undefined, worlds: undefined, workers: 0, verbose: false, shrink: true, all: false, minCaught: 1, worker: undefined });
  });

  it("reads every flag the gate uses, and a package manager's bare --", () => {
    const args = parsed(['--', '--plant', 'skip-dedupe', '--seeds', '200', '--peers', '5', '--min-caught', '60']);
    expect(args).toMatchObject({ plant: 'skip-dedupe', seeds: 200, peers: 5, minCaught: 60, all: true });
    expect(parsed(['--seed', '0', '--from', '7', '--storage', 'mixed', '--worlds', 'original', '--workers', '3', '--verbose', '--no-shrink', '--all'])).toMatchObject({
      seed: 0,
      from: 7,
      storage: 'mixed',
      worlds: 'original',
      workers: 3,
      verbose: true,
      shrink: false,
      all: true,
    });
    expect(parsed(['--worlds', 'current']).worlds).toBeUndefined();
    expect(parsed(['--seeds=12']).seeds).toBe(12);
    expect(parsed(['--worker', '3,5,9']).worker).toEqual([3, 5, 9]);
  });

  it('takes --storage indexeddb (wal-indexeddb over fake-indexeddb) and hands it to the workers', () => {
    expect(parsed(['--storage', 'indexeddb', '--seeds', '200'])).toMatchObject({ storage: 'indexeddb', seeds: 200 });
    expect(parsed(['--storage=indexeddb']).storage).toBe('indexeddb');
    expect(workerArgv(parsed(['--storage', 'indexeddb', '--seeds', '200']), [1, 3])).toEqual(['--storage', 'indexeddb', '--worker', '1,3']);
    expect(problem(['--storage', 'idb'])).toBe('--storage takes memory, file, indexeddb or mixed');
    expect(problem(['--storage', 'IndexedDB'])).toBe('--storage takes memory, file, indexeddb or mixed');
  });

  it('takes the planted policy bugs of typed collections, and names them in its usage', () => {
    for (const plant of ['counter-sum', 'set-remove-wins', 'mv-lww', 'map-whole', 'ignore-deps'] as const) {
      expect(parsed(['--plant', plant, '--seeds', '100', '--peers', '5', '--min-caught', '10'])).toMatchObject({ plant, seeds: 100, all: true, minCaught: 10 });
      expect(SIM_USAGE).toContain(plant);
    }
    expect(problem(['--plant', 'counter'])).toContain('--plant takes one of');
  });

  it('refuses what it cannot run, saying which flag is wrong', () => {
    expect(problem(['--seeds', '0'])).toBe('--seeds needs an integer >= 1, got 0');
    expect(problem(['--peers', '1'])).toBe('--peers needs an integer >= 2, got 1');
    expect(problem(['--from', '1.5'])).toContain('--from');
    expect(problem(['--plant', 'nonsense'])).toContain('--plant takes one of');
    expect(problem(['--storage', 'tape'])).toContain('--storage');
    expect(problem(['--worlds', 'future'])).toContain('--worlds');
    expect(problem(['--frobnicate'])).toContain('--frobnicate');
    expect(problem(['--seeds'])).toContain('--seeds');
    expect(problem(['300'])).toContain('300');
  });

  it("gives a worker the scenario flags and its seeds, not the parent's range", () => {
    const args = parsed(['--seeds', '200', '--from', '4', '--workers', '2', '--peers', '5', '--plant', 'early-covered', '--storage', 'file', '--min-caught', '3']);
    const argv = workerArgv(args, [4, 6, 8]);
    expect(argv).toEqual(['--peers', '5', '--plant', 'early-covered', '--storage', 'file', '--worker', '4,6,8']);
    expect(parsed(argv)).toMatchObject({ peers: 5, plant: 'early-covered', storage: 'file', worker: [4, 6, 8] });
  });
});
