import type { JsonValue, Operation, WalRecord, WalRecovery } from '@softadastra/sync-core';

/** A put of `key` by peer "alice" with sequence number `seq`. */
export function put(seq: number, key = `k${seq}`, value: JsonValue = { n: seq }): Operation {
  return { origin: 'alice', seq, hlc: { wall: 1_700_000_000_000 + seq, counter: 0, peer: 'alice' }, collection: 'todos', key, kind: 'put', value };
}

/** A record of one put. */
export function record(seq: number): WalRecord {
  return { ops: [put(seq)] };
}

/** The records of a recovery, as an array. */
export async function recordsOf(recovery: WalRecovery): Promise<WalRecord[]> {
  const out: WalRecord[] = [];
  for await (const r of recovery.records) out.push(r);
  return out;
}

/** The seqs of every op in the records, in order. */
export function seqsOf(records: readonly WalRecord[]): number[] {
  return records.flatMap((r) => r.ops.map((op) => op.seq));
}

/** Whether `promise` has settled once every pending microtask and macrotask ran. */
export async function hasSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setTimeout(resolve, 0));
  return settled;
}

/** Lets every pending microtask run. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
