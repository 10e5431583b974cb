/** What a finished run writes: the shape of `results/latest.json` and its header facts. */
import { cpus, release, totalmem, type } from 'node:os';
import type { AdapterFamily } from './adapter.ts';
import type { Job } from './plan.ts';
import type { Row } from './stats.ts';
import type { TargetCheck } from './targets.ts';

export interface ContestantInfo {
  readonly id: string;
  readonly label: string;
  readonly family: AdapterFamily;
  readonly notes: string;
}

export interface Report {
  readonly command: string;
  readonly date: string;
  readonly machine: string;
  readonly node: string;
  readonly plan: 'full' | 'quick';
  readonly jobs: readonly Job[];
  /** Wall time of the whole run, seconds. */
  readonly seconds: number;
  readonly contestants: readonly ContestantInfo[];
  readonly rows: readonly Row[];
  readonly targets: readonly TargetCheck[];
}

export function describeMachine(): string {
  const cores = cpus();
  return `${cores[0]?.model.trim() ?? 'unknown CPU'}, ${cores.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${type()} ${release()}`;
}
