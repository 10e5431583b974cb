import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSyncError, type JsonValue, type Operation, type SyncError, type SyncErrorCode, type WalRecord, type WalRecovery } from '@softadastra/sync-core';

/** A put of `key` by peer "alice" with sequence number `seq`. */
export function put(seq: number, key = `k${seq}`, value: JsonValue = { n: seq }): Operation {
  return { origin: 'alice', seq, hlc: { wall: 1_700_000_000_000 + seq, counter: 0, peer: 'alice' }, collection: 'todos', key, kind: 'put', value };
}

/** A record of one put. */
export function record(seq: number, value?: JsonValue): WalRecord {
  return { ops: [put(seq, `k${seq}`, value ?? { n: seq })] };
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

/** A new temporary directory, and a function that removes it. */
export function tempDir(): { readonly dir: string; readonly path: (name?: string) => string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'softadastra-wal-sqlite-'));
  return { dir, path: (name = 'space.db') => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The SyncError `promise` rejects with; fails if it resolves or rejects with something else. */
export async function rejection(promise: Promise<unknown>, code: SyncErrorCode): Promise<SyncError> {
  try {
    await promise;
  } catch (error) {
    if (!isSyncError(error)) throw new Error(`expected a SyncError ${code}, got ${String(error)}`, { cause: error });
    if (error.code !== code) throw new Error(`expected ${code}, got ${error.code}: ${error.message}`, { cause: error });
    return error;
  }
  throw new Error(`expected a rejection with ${code}, but it resolved`);
}
