import { expect } from 'vitest';
import type { Connection } from '@softadastra/sync-core';
import { expectThrowsSync, patterned, readPatterned, type EventLog } from './transport-harness.js';

/**
 * Assertions of the transport conformance suite, with failure messages that
 * name the end and what it did.
 *
 * @internal
 */

/** Fails unless `send()` on `connection` throws a SyncError `E_CLOSED` synchronously. */
export function expectSendClosed(connection: Connection, what: string): void {
  expectThrowsSync(() => connection.send(patterned(0)), 'E_CLOSED', `send() on ${what}`);
}

/** Duplicates are not excluded by the contract; an ordered transport never goes back. */
export function expectNonDecreasing(indexes: readonly number[], name: string): void {
  const backwards = indexes.findIndex((index, i) => i > 0 && index < indexes[i - 1]!);
  expect(backwards, `${name}: an ordered transport delivered ${indexes[backwards]} after ${indexes[backwards - 1]}`).toBe(-1);
}

/** The index a patterned message carries, or -1 when it is damaged. */
export function indexOf(bytes: Uint8Array): number {
  const read = readPatterned(bytes);
  return 'index' in read ? read.index : -1;
}

/** The indexes of the messages a log received, failing on any damaged one. */
export function intactIndexes(log: EventLog, size?: number): number[] {
  const indexes: number[] = [];
  for (const bytes of log.messages()) {
    const read = readPatterned(bytes, size);
    if ('damage' in read) throw new Error(`${log.name}: ${read.damage}`);
    indexes.push(read.index);
  }
  return indexes;
}

/** Checks that a log received only the messages `indexes` (with their sizes), intact; all of them when reliable. */
export function expectIntactSubset(log: EventLog, indexes: readonly number[], sizes: readonly number[], reliable: boolean): void {
  const sizeOf = new Map(indexes.map((index, i) => [index, sizes[i]!]));
  const received = intactIndexes(log);
  for (const [i, index] of received.entries()) {
    expect(sizeOf.has(index), `${log.name}: message ${index} was never sent`).toBe(true);
    expect(log.messages()[i]!.length, `${log.name}: size of message ${index}`).toBe(sizeOf.get(index));
  }
  if (reliable) expect([...new Set(received)].sort((x, y) => x - y), `${log.name}: every message`).toEqual([...indexes].sort((x, y) => x - y));
}
