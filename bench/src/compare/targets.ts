/**
 * The targets of issue 8, checked against one run's rows for each of our
 * engine's rows. A miss is a finding, not a failure of the run.
 */
import { YJS_ID } from './adapters.ts';
import { jobKey, type Plan } from './plan.ts';
import { bestPeer, valueOf, type Row } from './stats.ts';

export interface TargetCheck {
  /** Our row checked. */
  readonly adapter: string;
  readonly target: string;
  /** `undefined`: not measurable in this run (a row failed or the size was not run). */
  readonly holds: boolean | undefined;
  readonly detail: string;
}

const x = (n: number): string => `${n < 0.1 ? n.toFixed(3) : n.toFixed(2)}×`;

export function checkTargets(rows: readonly Row[], plan: Plan): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const rowsOf = (workload: 'w1' | 'w2' | 'w3' | 'w4', ops: number): Row[] => rows.filter((row) => row.job === jobKey({ workload, ops }));
  const ours = [...new Set(rows.filter((row) => row.family === 'ours').map((row) => row.adapter))];

  for (const adapter of ours) {
    const add = (target: string, holds: boolean | undefined, detail: string): void => {
      checks.push({ adapter, target, holds, detail });
    };
    /** Ours / best peer ≤ limit. */
    const versusBest = (target: string, table: Row[], metric: string, limit: number): void => {
      const mine = valueOf(table.find((row) => row.adapter === adapter), metric);
      const best = bestPeer(table, metric);
      if (mine === undefined || best === undefined) return add(target, undefined, 'not measured (a row failed)');
      const ratio = mine / best.value;
      add(target, ratio <= limit, `${x(ratio)} ${best.adapter} (limit ${x(limit)})`);
    };
    const versusYjs = (target: string, table: Row[], metric: string, limit: number): void => {
      const mine = valueOf(table.find((row) => row.adapter === adapter), metric);
      const yjs = valueOf(table.find((row) => row.adapter === YJS_ID), metric);
      if (mine === undefined || yjs === undefined) return add(target, undefined, 'not measured (a row failed)');
      const ratio = mine / yjs;
      add(target, ratio <= limit, `${x(ratio)} Yjs (limit ${x(limit)})`);
    };

    const w1 = rowsOf('w1', plan.w1);
    const w2 = rowsOf('w2', plan.w2);
    versusBest('W1 end to end (write + sync) ≤ 0.2× the fastest peer', w1, 'totalMs', 0.2);
    versusBest('W1 bytes ≤ the smallest peer\'s', w1, 'bytes', 1);
    versusBest('W2 bytes ≤ the smallest peer\'s', w2, 'bytes', 1);
    versusBest('W2 time ≤ 0.5× the fastest peer', w2, 'syncMs', 0.5);

    // Handshake O(origins): one origin here, so a small constant that does not grow with the history.
    const handshakes = plan.w5Incremental.map((ops) => valueOf(rowsOf('w2', ops).find((row) => row.adapter === adapter), 'handshakeBytes'));
    if (handshakes.some((h) => h === undefined)) add('W2 handshake O(origins)', undefined, 'not measured (a row failed)');
    else {
      const values = handshakes as number[];
      const max = Math.max(...values);
      const min = Math.min(...values);
      add('W2 handshake O(origins)', max <= 128 && max <= min * 1.25, `${values.join(' → ')} B for histories ${plan.w5Incremental.join(' → ')} (1 origin; limit 128 B, growth ≤ 1.25×)`);
    }

    versusBest('W3 ≤ 0.2× the fastest peer', rowsOf('w3', plan.w3), 'syncMs', 0.2);
    versusYjs('W4 ≤ 0.25× Yjs per set', rowsOf('w4', plan.w4), 'usPerSet', 0.25);
    versusYjs('W4 bytes per message ≤ Yjs\'s', rowsOf('w4', plan.w4), 'bytesPerSet', 1);

    // W5 linear: every step up in size costs at most 1.5× its share.
    const bulk = plan.w5Bulk.map((ops) => ({ ops, ms: valueOf(rowsOf('w1', ops).find((row) => row.adapter === adapter), 'totalMs') }));
    if (bulk.some((point) => point.ms === undefined)) add('W5 linear time', undefined, 'not measured (a row failed)');
    else {
      const steps = bulk.slice(1).map((point, i) => (point.ms! / bulk[i]!.ms!) / (point.ops / bulk[i]!.ops));
      add('W5 linear time', steps.every((s) => s <= 1.5), `time per op grows ${steps.map(x).join(', ')} per step up (limit 1.50×)`);
    }
    // W2 flat in the history size.
    const incremental = plan.w5Incremental.map((ops) => valueOf(rowsOf('w2', ops).find((row) => row.adapter === adapter), 'syncMs'));
    if (incremental.some((ms) => ms === undefined)) add('W5: W2 flat in history size', undefined, 'not measured (a row failed)');
    else {
      const ratio = incremental.at(-1)! / incremental[0]!;
      add('W5: W2 flat in history size', ratio <= 1.5, `${x(ratio)} from ${plan.w5Incremental[0]} to ${plan.w5Incremental.at(-1)} ops of history (limit 1.50×)`);
    }
    versusBest('heap after W1 ≤ the smallest peer\'s', w1, 'memoryMB', 1);
  }
  return checks;
}
