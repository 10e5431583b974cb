import { describe, expect, it } from 'vitest';
import { VersionVector, WalError, isSyncError, type Operation, type WalRecord, createManualClock } from '@softadastra/sync-core';
import { flushMicrotasks, hasSettled, put, record, recordsOf, seqsOf } from '../test/helpers.js';
import { createMemoryWal, createMemoryWalStorage, type MemoryWal, type MemoryWalStorage } from './index.js';

async function expectWalError(promise: Promise<unknown>, code: string): Promise<WalError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(WalError);
    expect(isSyncError(error)).toBe(true);
    expect((error as WalError).code).toBe(code);
    expect((error as WalError).adapter).toBe('memory');
    return error as WalError;
  }
  throw new Error(`expected a WalError ${code}`);
}

/** Opens a fresh handle on `storage` and returns what it recovers. */
async function reopen(storage: MemoryWalStorage): Promise<{ wal: MemoryWal; records: WalRecord[]; snapshot: unknown }> {
  const wal = createMemoryWal({ storage });
  const recovery = await wal.open();
  return { wal, records: await recordsOf(recovery), snapshot: recovery.snapshot };
}

describe('createMemoryWal', () => {
  it('declares its capabilities as data', () => {
    expect(createMemoryWal().capabilities).toEqual({ durable: true, atomicBatch: true, compaction: true, detectsCorruptTail: true });
  });

  it('opens empty, then replays records in append order', async () => {
    const wal = createMemoryWal();
    const empty = await wal.open();
    expect(empty.snapshot).toBeUndefined();
    expect(await recordsOf(empty)).toEqual([]);
    for (let seq = 1; seq <= 5; seq++) await wal.append(record(seq));
    await wal.close();
    const { records } = await reopen(wal.storage);
    expect(seqsOf(records)).toEqual([1, 2, 3, 4, 5]);
    expect(records[0]).toEqual({ ops: [put(1)] });
  });

  it('recovers concurrent appends in the order they were called', async () => {
    const wal = createMemoryWal();
    await wal.open();
    await Promise.all(Array.from({ length: 50 }, (_, i) => wal.append(record(i + 1))));
    await wal.close();
    const { records } = await reopen(wal.storage);
    expect(seqsOf(records)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('keeps covered version vectors and metadata', async () => {
    const wal = createMemoryWal();
    await wal.open();
    const covered = new VersionVector().addRange('bob', 1, 40);
    await wal.append({ ops: [put(1)], covered, meta: { peer: 'alice' } });
    await wal.append({ ops: [], meta: { peer: 'alice-2', space: 'team' } });
    await wal.close();
    const { records } = await reopen(wal.storage);
    expect(records[0]!.covered?.toJSON()).toEqual({ bob: 40 });
    expect(records[0]!.meta).toEqual({ peer: 'alice' });
    expect(records[1]).toEqual({ ops: [], meta: { peer: 'alice-2', space: 'team' } });
  });

  it('stores copies: changing an appended record afterwards changes nothing', async () => {
    const wal = createMemoryWal();
    await wal.open();
    const op = put(1, 'milk', { title: 'Milk' }) as Operation & { key: string; value: { title: string } };
    const meta: Record<string, string> = { peer: 'alice' };
    const covered = new VersionVector().addRange('bob', 1, 2);
    const appended = wal.append({ ops: [op], meta, covered });
    op.key = 'changed';
    op.value.title = 'Changed';
    meta['peer'] = 'mallory';
    covered.addRange('bob', 3, 9);
    await appended;
    await wal.close();
    const recovery = await wal.open();
    const [again] = await recordsOf(recovery);
    expect(again).toEqual({ ops: [put(1, 'milk', { title: 'Milk' })], meta: { peer: 'alice' }, covered: expect.any(VersionVector) as unknown });
    expect(again!.covered!.toJSON()).toEqual({ bob: 2 });
    // What open() returns is the caller's to change, too.
    (again!.ops as Operation[]).length = 0;
    await wal.close();
    expect(seqsOf(await recordsOf(await wal.open()))).toEqual([1]);
  });

  it('rejects append and compact before open and after close with E_WAL_CLOSED', async () => {
    const wal = createMemoryWal();
    await expectWalError(wal.append(record(1)), 'E_WAL_CLOSED');
    await expectWalError(wal.compact({ ops: [], vv: new VersionVector(), meta: {} }), 'E_WAL_CLOSED');
    await wal.open();
    await wal.append(record(1));
    await wal.close();
    await expectWalError(wal.append(record(2)), 'E_WAL_CLOSED');
    await expectWalError(wal.compact({ ops: [], vv: new VersionVector(), meta: {} }), 'E_WAL_CLOSED');
    await wal.close(); // closing twice is fine
  });

  it('waits for pending appends on close and refuses appends while closing', async () => {
    const wal = createMemoryWal();
    await wal.open();
    const appends = [wal.append(record(1)), wal.append(record(2))];
    const closed = wal.close();
    await expectWalError(wal.append(record(3)), 'E_WAL_CLOSED');
    await closed;
    expect(await hasSettled(Promise.all(appends))).toBe(true);
    expect(wal.storage.records).toBe(2);
  });

  it('gives the same state when opened again after close (reopen is idempotent)', async () => {
    const wal = createMemoryWal();
    await wal.open();
    await wal.append({ ops: [put(1)], meta: { peer: 'alice' } });
    await wal.compact({ ops: [put(1)], vv: new VersionVector().addRange('alice', 1, 1), meta: { peer: 'alice' } });
    await wal.append(record(2));
    await wal.close();
    const first = await wal.open();
    const firstRecords = await recordsOf(first);
    await wal.close();
    const second = await wal.open();
    expect(await recordsOf(second)).toEqual(firstRecords);
    expect(second.snapshot?.vv.toJSON()).toEqual(first.snapshot?.vv.toJSON());
    expect(second.snapshot?.ops).toEqual(first.snapshot?.ops);
    await wal.close();
    const other = await reopen(wal.storage);
    expect(other.records).toEqual(firstRecords);
  });

  it('refuses to open twice, and refuses a second handle on a storage held open', async () => {
    const storage = createMemoryWalStorage();
    const wal = createMemoryWal({ storage });
    await wal.open();
    await expectWalError(wal.open(), 'E_INVALID_ARGUMENT');
    await expectWalError(createMemoryWal({ storage }).open(), 'E_WAL_LOCKED');
    await wal.close();
    await createMemoryWal({ storage }).open();
  });

  it('rejects a record it cannot encode with a WalError, and stays usable', async () => {
    const wal = createMemoryWal();
    await wal.open();
    const forged: Operation = { ...put(1), hlc: { wall: 1, counter: 0, peer: 'mallory' } };
    const error = await expectWalError(wal.append({ ops: [forged] }), 'E_INVALID_OP');
    expect(error.message).toMatch(/cannot append/);
    await wal.append(record(2));
    expect(wal.storage.records).toBe(1);
  });

  describe('compaction', () => {
    it('replaces every record with the snapshot, after the appends issued before it', async () => {
      const wal = createMemoryWal();
      await wal.open();
      const early = [wal.append(record(1)), wal.append(record(2))];
      const vv = new VersionVector().addRange('alice', 1, 2);
      await wal.compact({ ops: [put(2, 'k1')], vv, meta: { peer: 'alice' } });
      await Promise.all(early);
      expect(wal.storage.records).toBe(0);
      await wal.append(record(3));
      await wal.close();
      const { records, snapshot } = await reopen(wal.storage);
      expect(snapshot).toEqual({ ops: [put(2, 'k1')], vv: expect.any(VersionVector) as unknown, meta: { peer: 'alice' } });
      expect((snapshot as { vv: VersionVector }).vv.toJSON()).toEqual({ alice: 2 });
      expect(seqsOf(records)).toEqual([3]);
    });

    it('shrinks the stored bytes', async () => {
      const wal = createMemoryWal();
      await wal.open();
      for (let seq = 1; seq <= 20; seq++) await wal.append({ ops: [put(seq, 'same')] });
      const before = wal.storage.bytes();
      await wal.compact({ ops: [put(20, 'same')], vv: new VersionVector().addRange('alice', 1, 20), meta: {} });
      expect(wal.storage.bytes()).toBeLessThan(before / 5);
    });
  });

  describe('group commit on a clock', () => {
    it('makes appends issued during a write durable together after the next tick, in order', async () => {
      const clock = createManualClock({ start: 0 });
      const wal = createMemoryWal({ clock, latencyMs: 5 });
      await wal.open();
      const a = wal.append(record(1));
      clock.advance(2);
      const b = wal.append(record(2));
      const c = wal.append(record(3));
      clock.advance(2);
      expect(await hasSettled(a)).toBe(false);
      clock.advance(1); // t = 5: the first write is durable
      expect(await hasSettled(a)).toBe(true);
      expect(await hasSettled(b)).toBe(false);
      expect(wal.storage.records).toBe(1);
      clock.advance(4);
      expect(await hasSettled(b)).toBe(false);
      clock.advance(1); // t = 10: b and c, together
      expect(await hasSettled(Promise.all([b, c]))).toBe(true);
      expect(wal.storage.records).toBe(3);
      const closed = wal.close();
      await flushMicrotasks();
      await closed;
      expect(seqsOf((await reopen(wal.storage)).records)).toEqual([1, 2, 3]);
    });

    it('does nothing until the clock moves', async () => {
      const clock = createManualClock({ start: 0 });
      const wal = createMemoryWal({ clock, latencyMs: 1 });
      await wal.open();
      const appended = wal.append(record(1));
      expect(clock.pending()).toBe(1);
      expect(await hasSettled(appended)).toBe(false);
      clock.runUntilIdle();
      await appended;
    });
  });

  describe('injected failures (failNext)', () => {
    it('fails the next append with E_WAL_FAILED, then every call until closed and opened again', async () => {
      const wal = createMemoryWal();
      await wal.open();
      await wal.append(record(1));
      wal.storage.failNext();
      await expectWalError(wal.append(record(2)), 'E_WAL_FAILED');
      await expectWalError(wal.append(record(3)), 'E_WAL_FAILED');
      await expectWalError(wal.compact({ ops: [], vv: new VersionVector(), meta: {} }), 'E_WAL_FAILED');
      await expectWalError(wal.open(), 'E_WAL_FAILED');
      await wal.close();
      const recovery = await wal.open();
      expect(seqsOf(await recordsOf(recovery))).toEqual([1]);
      await wal.append(record(2));
      expect(wal.storage.records).toBe(2);
    });

    it('fails the whole group the failing append shares a write with, and what follows', async () => {
      const wal = createMemoryWal();
      await wal.open();
      const first = wal.append(record(1)); // written alone
      wal.storage.failNext('append');
      const group = [wal.append(record(2)), wal.append(record(3)), wal.append(record(4))];
      const later = group.map((p) => expectWalError(p, 'E_WAL_FAILED'));
      await first;
      await Promise.all(later);
      expect(wal.storage.records).toBe(1);
    });

    it('fails a compaction and leaves the old records in place', async () => {
      const wal = createMemoryWal();
      await wal.open();
      await wal.append(record(1));
      wal.storage.failNext('compact');
      await wal.append(record(2)); // appends are unaffected
      await expectWalError(wal.compact({ ops: [put(2)], vv: new VersionVector().addRange('alice', 1, 2), meta: {} }), 'E_WAL_FAILED');
      await expectWalError(wal.append(record(3)), 'E_WAL_FAILED');
      await wal.close();
      const { records, snapshot } = await reopen(wal.storage);
      expect(snapshot).toBeUndefined();
      expect(seqsOf(records)).toEqual([1, 2]);
    });

    it('rejects an unknown kind', () => {
      expect(() => createMemoryWalStorage().failNext('write' as 'append')).toThrow(/failNext/);
    });
  });

  describe('options', () => {
    it('refuses a latency without a clock, a bad latency, or a storage of its own making', () => {
      expect(() => createMemoryWal({ latencyMs: 5 })).toThrow(/needs a clock/);
      expect(() => createMemoryWal({ clock: createManualClock({ start: 0 }), latencyMs: -1 })).toThrow(/latencyMs/);
      expect(() => createMemoryWal({ clock: createManualClock({ start: 0 }), latencyMs: Number.NaN })).toThrow(/latencyMs/);
      const fake = { ...createMemoryWalStorage() };
      expect(() => createMemoryWal({ storage: fake })).toThrow(/createMemoryWalStorage/);
    });

    it('ignores the clock when the latency is 0', async () => {
      const clock = createManualClock({ start: 0 });
      const wal = createMemoryWal({ clock });
      await wal.open();
      await wal.append(record(1));
      expect(clock.pending()).toBe(0);
    });
  });
});
