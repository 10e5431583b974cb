import { describe, expect, it } from 'vitest';
import { VersionVector, WalError, isSyncError, type Wal } from '@softadastra/sync-core';
import { put, record, recordsOf, rejection, seqsOf } from '../test/helpers.js';
import { createSqliteWal, sqliteWalLevers, type SqliteWalOptions } from './sqlite-wal.js';

function memoryWal(): Wal {
  return createSqliteWal({ path: ':memory:' });
}

describe('createSqliteWal', () => {
  it.each<[string, unknown]>([
    ['no options', undefined],
    ['an empty path', { path: '' }],
    ['a path that is not a string', { path: 42 }],
    ['an unknown synchronous level', { path: ':memory:', synchronous: 'off' }],
    ['a negative busy timeout', { path: ':memory:', busyTimeoutMs: -1 }],
    ['a fractional busy timeout', { path: ':memory:', busyTimeoutMs: 1.5 }],
  ])('refuses %s with E_INVALID_ARGUMENT', (_, options) => {
    let caught: unknown;
    try {
      createSqliteWal(options as SqliteWalOptions);
    } catch (error) {
      caught = error;
    }
    expect(isSyncError(caught) && caught.code).toBe('E_INVALID_ARGUMENT');
  });

  it('resolves a relative path against the working directory and defaults to synchronous full', () => {
    const wal = createSqliteWal({ path: 'relative/space.db' });
    expect(wal.path).toBe(`${process.cwd()}/relative/space.db`);
    expect(wal.synchronous).toBe('full');
    expect(wal.capabilities).toEqual({ durable: true, atomicBatch: true, compaction: true, detectsCorruptTail: true });
  });

  it("declares ':memory:' not durable", () => {
    expect(memoryWal().capabilities).toEqual({ durable: false, atomicBatch: true, compaction: true, detectsCorruptTail: true });
  });
});

describe("a ':memory:' WAL", () => {
  it('keeps its records across close() and open() of the same handle, and a new handle starts empty', async () => {
    const wal = memoryWal();
    await wal.open();
    await Promise.all([wal.append(record(1)), wal.append(record(2))]);
    await wal.close();
    expect(seqsOf(await recordsOf(await wal.open()))).toEqual([1, 2]);
    await wal.close();
    const other = memoryWal();
    expect(await recordsOf(await other.open())).toEqual([]);
    await other.close();
  });

  it('replays snapshot then later records after compact()', async () => {
    const wal = memoryWal();
    await wal.open();
    await wal.append(record(1));
    await wal.compact({ ops: [put(1)], vv: new VersionVector().addRange('alice', 1, 1), meta: { peerId: 'alice' } });
    await wal.append({ ops: [put(2)], covered: new VersionVector().addRange('bob', 1, 3), meta: { space: 'team' } });
    await wal.close();
    const recovery = await wal.open();
    expect(recovery.snapshot?.ops.map((op) => op.seq)).toEqual([1]);
    expect(recovery.snapshot?.meta).toEqual({ peerId: 'alice' });
    const records = await recordsOf(recovery);
    expect(seqsOf(records)).toEqual([2]);
    expect(records[0]!.covered?.toJSON()).toEqual({ bob: 3 });
    expect(records[0]!.meta).toEqual({ space: 'team' });
  });
});

describe('the handle life cycle', () => {
  it('rejects append() and compact() before open() with E_WAL_CLOSED', async () => {
    const wal = memoryWal();
    const error = await rejection(wal.append(record(1)), 'E_WAL_CLOSED');
    expect(error).toBeInstanceOf(WalError);
    expect((error as WalError).adapter).toBe('sqlite');
    await rejection(wal.compact({ ops: [], vv: new VersionVector(), meta: {} }), 'E_WAL_CLOSED');
  });

  it('refuses a second open() of an open handle with E_INVALID_ARGUMENT', async () => {
    const wal = memoryWal();
    await wal.open();
    await rejection(wal.open(), 'E_INVALID_ARGUMENT');
    await wal.close();
  });

  it('refuses a record the codec cannot store with its code, and stays usable', async () => {
    const wal = memoryWal();
    await wal.open();
    const forged = { ...put(1), hlc: { wall: 1, counter: 0, peer: 'mallory' } };
    await rejection(wal.append({ ops: [forged] }), 'E_INVALID_OP');
    await rejection(wal.append({ ops: [], meta: { n: 1 } as unknown as Record<string, string> }), 'E_INVALID_ARGUMENT');
    await wal.append(record(2));
    await wal.close();
    expect(seqsOf(await recordsOf(await wal.open()))).toEqual([2]);
    await wal.close();
  });

  it('copies a record when append() is called: later changes to the objects are not stored', async () => {
    const wal = memoryWal();
    await wal.open();
    const meta: Record<string, string> = { peerId: 'alice' };
    const appended = wal.append({ ops: [put(1)], meta });
    meta['peerId'] = 'mallory';
    await appended;
    await wal.close();
    expect((await recordsOf(await wal.open()))[0]!.meta).toEqual({ peerId: 'alice' });
    await wal.close();
  });

  it('refuses everything with E_WAL_FAILED after a failed commit, until closed and opened again', async () => {
    const wal = memoryWal();
    await wal.open();
    await wal.append(record(1));
    sqliteWalLevers(wal).failNextWrite();
    const hit = wal.append(record(2));
    const queued = wal.append(record(3));
    const failure = await rejection(hit, 'E_WAL_FAILED');
    expect(failure.message).toMatch(/SQLITE_IOERR_WRITE/);
    await rejection(queued, 'E_WAL_FAILED');
    await rejection(wal.append(record(4)), 'E_WAL_FAILED');
    await rejection(wal.open(), 'E_WAL_FAILED');
    await wal.close();
    const records = await recordsOf(await wal.open());
    // The failed transaction was rolled back whole: records 2 and 3 were one commit.
    expect(seqsOf(records)).toEqual([1]);
    await wal.append(record(5));
    await wal.close();
    expect(seqsOf(await recordsOf(await wal.open()))).toEqual([1, 5]);
    await wal.close();
  });
});
