import { expect } from 'vitest';
import { isSyncError, type SyncError, type SyncErrorCode, type Wal, type WalRecord, type WalRepair } from '@softadastra/sync-core';
import { describeError, letWorkProgress, outcome, track, type Tracked } from './async-helpers.js';
import { recordsDifference, snapshotDifference } from './wal-fixtures.js';
import type { WalCase } from './wal-harness.js';

/**
 * Assertions of the WAL conformance suite, with failure messages that say
 * what the contract expected and what the adapter did.
 *
 * @internal
 */

/** How long a call that must settle may take before the case says so (real time). */
export const SETTLE_MS = 2_000;

/** Fails unless an append started while writes are held is still pending. */
export function expectHeld(append: Tracked<void>): void {
  if (append.resolved) {
    throw new Error(
      'an append resolved while writes were held by holdWrites(): either the harness does not hold writes, or the adapter acknowledges an append before it is durable',
    );
  }
  if (append.rejected) throw new Error(`an append held in flight rejected: ${describeError(append.reason)}`);
}

/** Holds writes, starts an append, and lets the adapter work on it. */
export async function startHeldAppend(c: WalCase, wal: Wal, record: WalRecord): Promise<Tracked<void>> {
  await c.holdWrites();
  const append = track(wal.append(record));
  await letWorkProgress();
  return append;
}

/** Fails unless `actual` holds the `expected` records, in order, each intact. */
export function expectRecords(actual: readonly WalRecord[], expected: readonly WalRecord[], context: string): void {
  const diff = recordsDifference(actual, expected);
  if (diff !== undefined) throw new Error(`${context}: ${diff}`);
}

/** Fails unless `actual` is the `expected` snapshot (or both are absent). */
export function expectSnapshot(actual: Parameters<typeof snapshotDifference>[0], expected: Parameters<typeof snapshotDifference>[1], context: string): void {
  const diff = snapshotDifference(actual, expected);
  if (diff !== undefined) throw new Error(`${context}: ${diff}`);
}

/**
 * Checks that `actual` is a prefix of `calls` (in call order) that includes
 * every call resolved at the time of the crash.
 */
export function expectPrefixKeepingResolved(actual: readonly WalRecord[], calls: readonly WalRecord[], resolved: readonly boolean[]): void {
  const kept = Math.min(actual.length, calls.length);
  const diff = recordsDifference(actual, calls.slice(0, kept));
  if (diff !== undefined || actual.length > calls.length) {
    throw new Error(`what survives a crash must be a prefix of the appends in call order: ${diff ?? `${actual.length} records for ${calls.length} appends`}`);
  }
  const lost = resolved.flatMap((isResolved, i) => (isResolved && i >= kept ? [i] : []));
  if (lost.length > 0) {
    throw new Error(
      `appends #${lost.join(', #')} resolved before the crash but were not recovered (only the first ${kept} of ${calls.length} appends were): a resolved append must be durable`,
    );
  }
}

/** Fails unless `promise` rejects (within {@link SETTLE_MS}) with a SyncError of `code`; returns it. */
export async function expectRejection(promise: Promise<unknown>, code: SyncErrorCode, what: string): Promise<SyncError> {
  const result = await outcome(promise, SETTLE_MS);
  if (result.status !== 'rejected') {
    throw new Error(`${what}: expected a rejection with ${code}, but it ${result.status === 'pending' ? `was still pending after ${SETTLE_MS} ms` : 'resolved'}`);
  }
  const error = result.reason;
  if (!isSyncError(error)) throw new Error(`${what}: expected a SyncError ${code}, got ${describeError(error)}`);
  expect(error.code, `${what}: ${describeError(error)}`).toBe(code);
  return error;
}

/** Fails unless `repair` reports a cut: at least one byte, a count of records, an offset and a reason. */
export function expectRepair(repair: WalRepair | undefined, what: string): void {
  if (repair === undefined) throw new Error(`${what}: the adapter dropped data without reporting it in WalRecovery.repair (a repair must never be silent)`);
  expect(Number.isInteger(repair.records) && repair.records >= 0, `${what}: repair.records must be a count, got ${String(repair.records)}`).toBe(true);
  expect(Number.isInteger(repair.bytes) && repair.bytes > 0, `${what}: repair.bytes must count the bytes cut, got ${String(repair.bytes)}`).toBe(true);
  expect(Number.isInteger(repair.offset) && repair.offset >= 0, `${what}: repair.offset must say where the cut starts, got ${String(repair.offset)}`).toBe(true);
  expect(typeof repair.reason === 'string' && repair.reason.length > 0, `${what}: repair.reason must say why it was a torn tail`).toBe(true);
  if (repair.opIds !== undefined) expect(Array.isArray(repair.opIds), `${what}: repair.opIds must be an array when present`).toBe(true);
}
