/** Medians of repeated runs and ratios to the reference rows. */
import type { AdapterFamily } from './adapter.ts';

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The results of one (contestant, job) over its runs. */
export interface Row {
  readonly adapter: string;
  readonly label: string;
  readonly family: AdapterFamily;
  readonly job: string;
  /** Successful runs. */
  readonly runs: number;
  readonly ok: boolean;
  readonly error?: string;
  /** Median of each metric over the successful runs. */
  readonly metrics: Record<string, number>;
  /** Every run's value, for the record. */
  readonly samples: Record<string, number[]>;
  /** Wall time of the child processes, seconds. */
  readonly seconds: number;
}

/** A metric's value in a row, if the row succeeded. */
export function valueOf(row: Row | undefined, metric: string): number | undefined {
  return row?.ok === true ? row.metrics[metric] : undefined;
}

/** The best (smallest) value of `metric` among the peer libraries of `rows`, and which row has it. */
export function bestPeer(rows: readonly Row[], metric: string): { value: number; adapter: string } | undefined {
  let best: { value: number; adapter: string } | undefined;
  for (const row of rows) {
    const value = row.family === 'peer' ? valueOf(row, metric) : undefined;
    if (value !== undefined && (best === undefined || value < best.value)) best = { value, adapter: row.adapter };
  }
  return best;
}
