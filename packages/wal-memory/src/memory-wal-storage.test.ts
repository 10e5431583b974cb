import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VersionVector, WalError, createManualClock, type Operation } from '@softadastra/sync-core';
import { flushMicrotasks, hasSettled, put, record, recordsOf, seqsOf } from '../test/helpers.js';
import { createMemoryWal, createMemoryWalStorage, type MemoryWalStorage } from './index.js';

async function recover(storage: MemoryWalStorage): Promise<{ seqs: number[]; snapshotSeqs: number[] | undefined }> {
  const wal = createMemoryWal({ storage });
  const recovery = await wal.open();
  const seqs = seqsOf(await recordsOf(recovery));
  await wal.close();
  return { seqs, snapshotSeqs: recovery.snapshot?.ops.map((op) => op.seq) };
}

async function filled(count: number): Promise<MemoryWalStorage> {
  const wal = createMemoryWal();
  await wal.open();
  for (let seq = 1; seq <= count; seq++) await wal.append(record(seq));
  await wal.close();
  return wal.storage;
}

describe('createMemoryWalStorage', () => {
  describe('crash', () => {
    it('keeps exactly the durable records: a resolved append survives, one still in flight is lost', async () => {
      const clock = createManualClock({ start: 0 });
      const storage = createMemoryWalStorage();
      const wal = createMemoryWal({ storage, clock, latencyMs: 5 });
      await wal.open();
      const durable = wal.append(record(1));
      clock.advance(5);
      await durable;
      const inFlight = wal.append(record(2));
      const queued = wal.append(record(3));
      clock.advance(3);
      storage.crash();
      clock.runUntilIdle(); // the write's timer fires in a dead process: nothing happens
      expect(await hasSettled(inFlight)).toBe(false);
      expect(await hasSettled(queued)).toBe(false);
      expect(storage.records).toBe(1);
      expect((await recover(storage)).seqs).toEqual([1]);
    });

    it('loses appends not yet durable without a clock too (before the next microtask)', async () => {
      const storage = await filled(2);
      const wal = createMemoryWal({ storage });
      await wal.open();
      const lost = wal.append(record(3));
      storage.crash();
      expect(await hasSettled(lost)).toBe(false);
      expect((await recover(storage)).seqs).toEqual([1, 2]);
    });

    it('kills every old handle: its later calls never settle, and a new handle works normally', async () => {
      const storage = await filled(1);
      const old = createMemoryWal({ storage });
      await old.open();
      storage.crash();
      const calls = [
        old.append(record(2)),
        old.compact({ ops: [], vv: new VersionVector(), meta: {} }),
        old.close(),
        old.open(),
      ];
      expect(await hasSettled(Promise.race(calls))).toBe(false);
      // The dead handle released the storage: no E_WAL_LOCKED.
      const fresh = createMemoryWal({ storage });
      expect(seqsOf(await recordsOf(await fresh.open()))).toEqual([1]);
      await fresh.append(record(2));
      await fresh.close();
      expect((await recover(storage)).seqs).toEqual([1, 2]);
    });

    it('keeps either the old records or the snapshot when a compaction is interrupted', async () => {
      const clock = createManualClock({ start: 0 });
      const storage = await filled(3);
      const wal = createMemoryWal({ storage, clock, latencyMs: 10 });
      await wal.open();
      const compacted = wal.compact({ ops: [put(3)], vv: new VersionVector().addRange('alice', 1, 3), meta: {} });
      clock.advance(9);
      storage.crash();
      expect(await hasSettled(compacted)).toBe(false);
      expect(await recover(storage)).toEqual({ seqs: [1, 2, 3], snapshotSeqs: undefined });

      const again = createMemoryWal({ storage, clock, latencyMs: 10 });
      await again.open();
      const done = again.compact({ ops: [put(3)], vv: new VersionVector().addRange('alice', 1, 3), meta: {} });
      clock.advance(10);
      await done;
      storage.crash();
      expect(await recover(storage)).toEqual({ seqs: [], snapshotSeqs: [3] });
    });
  });

  it('recovers, after any interleaving of appends, time and crashes, a prefix of each life that holds every resolved append', async () => {
    const step = fc.oneof(
      { weight: 5, arbitrary: fc.constant({ kind: 'append' as const }) },
      { weight: 3, arbitrary: fc.integer({ min: 0, max: 7 }).map((ms) => ({ kind: 'advance' as const, ms })) },
      { weight: 1, arbitrary: fc.constant({ kind: 'crash' as const }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), fc.integer({ min: 1, max: 5 }), async (steps, latencyMs) => {
        const clock = createManualClock({ start: 0 });
        const storage = createMemoryWalStorage();
        let wal = createMemoryWal({ storage, clock, latencyMs });
        await wal.open();
        const lives: number[][] = [[]];
        const resolved = new Set<number>();
        let seq = 0;
        for (const s of steps) {
          if (s.kind === 'append') {
            const n = ++seq;
            lives.at(-1)!.push(n);
            void wal.append(record(n)).then(() => resolved.add(n));
          } else if (s.kind === 'advance') {
            clock.advance(s.ms);
            await flushMicrotasks();
          } else {
            storage.crash();
            wal = createMemoryWal({ storage, clock, latencyMs });
            await wal.open();
            lives.push([]);
          }
        }
        storage.crash();
        const { seqs } = await recover(storage);
        for (const n of resolved) expect(seqs).toContain(n);
        // Split what was recovered by life: each must be a prefix of that life's calls.
        let at = 0;
        for (const life of lives) {
          let k = 0;
          while (k < life.length && seqs[at + k] === life[k]) k++;
          at += k;
        }
        expect(at).toBe(seqs.length);
      }),
      { numRuns: 100 },
    );
  });

  describe('torn tail', () => {
    it('drops a torn last record on open, truncates it, and appends after it', async () => {
      const storage = await filled(3);
      const before = storage.bytes();
      storage.tearTail();
      expect(storage.bytes()).toBeLessThan(before);
      const tornBytes = before - storage.bytes();
      const wal = createMemoryWal({ storage });
      const recovery = await wal.open();
      expect(seqsOf(await recordsOf(recovery))).toEqual([1, 2]);
      expect(storage.records).toBe(2);
      // Not silently: what was cut is reported.
      const frameBytes = before / 3;
      expect(recovery.repair).toEqual({ records: 1, bytes: frameBytes - tornBytes, offset: 2 * frameBytes, reason: expect.stringMatching(/incomplete frame/) as unknown });
      await wal.append(record(3));
      await wal.close();
      expect((await recover(storage)).seqs).toEqual([1, 2, 3]);
    });

    it('refuses a whole last record failing its checksum (E_WAL_CORRUPT): it may have been acknowledged', async () => {
      const storage = await filled(3);
      storage.corruptRecord(2);
      const error = await createMemoryWal({ storage }).open().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'E_WAL_CORRUPT', adapter: 'memory' });
      expect((error as Error).message).toMatch(/record 2 .*the last one, is damaged \(checksum mismatch/);
      expect(storage.records, 'nothing cut').toBe(3);
      await expect(createMemoryWal({ storage }).open()).rejects.toMatchObject({ code: 'E_WAL_CORRUPT' });
    });

    it('reports no repair when nothing was cut', async () => {
      expect((await createMemoryWal({ storage: await filled(3) }).open()).repair).toBeUndefined();
    });

    it('needs a record to tear', () => {
      expect(() => createMemoryWalStorage().tearTail()).toThrow(/no record to tear/);
    });
  });

  describe('corruption', () => {
    it('refuses to open when a record before the tail is damaged, naming its index and byte offset', async () => {
      const storage = await filled(4);
      const sizes = storage.bytes() / 4; // records of the same shape have the same size
      storage.corruptRecord(1);
      const wal = createMemoryWal({ storage });
      const error = await wal.open().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(WalError);
      expect(error).toMatchObject({ code: 'E_WAL_CORRUPT', adapter: 'memory' });
      expect((error as Error).message).toContain('record 1');
      expect((error as Error).message).toContain(`byte offset ${sizes}`);
      expect((error as Error).message).toMatch(/checksum/);
      // Nothing was truncated, and it keeps refusing.
      expect(storage.records).toBe(4);
      await expect(createMemoryWal({ storage }).open()).rejects.toMatchObject({ code: 'E_WAL_CORRUPT' });
    });

    it('refuses a damaged record even when only damaged records follow it', async () => {
      const storage = await filled(3);
      storage.corruptRecord(1);
      storage.tearTail();
      await expect(createMemoryWal({ storage }).open()).rejects.toMatchObject({ code: 'E_WAL_CORRUPT' });
    });

    it('counts offsets after the snapshot', async () => {
      const wal = createMemoryWal();
      await wal.open();
      await wal.compact({ ops: [put(1)], vv: new VersionVector().addRange('alice', 1, 1), meta: {} });
      const snapshotBytes = wal.storage.bytes();
      await wal.append(record(2));
      await wal.append(record(3));
      await wal.close();
      wal.storage.corruptRecord(0);
      await expect(wal.open()).rejects.toThrow(`record 0 at byte offset ${snapshotBytes}`);
    });

    it('needs an existing record to corrupt', async () => {
      const storage = await filled(1);
      expect(() => storage.corruptRecord(1)).toThrow(/no record 1/);
      expect(() => storage.corruptRecord(-1)).toThrow(/no record -1/);
      expect(() => storage.corruptRecord(0.5)).toThrow(/no record 0.5/);
    });
  });

  it('counts records and bytes', async () => {
    const storage = createMemoryWalStorage();
    expect(storage.records).toBe(0);
    expect(storage.bytes()).toBe(0);
    const filledStorage = await filled(3);
    expect(filledStorage.records).toBe(3);
    expect(filledStorage.bytes()).toBeGreaterThan(3 * 8);
  });
});

describe('crash with a write in flight', () => {
  const op = (seq: number): Operation => ({ origin: 'a', seq, hlc: { wall: seq, counter: 0, peer: 'a' }, collection: 'c', key: `k${seq}`, kind: 'del' });

  for (const [mode, expected] of [
    ['lose', [1]],
    ['keep', [1, 2]],
    ['tear', [1]],
  ] as const) {
    it(`${mode}s the unacknowledged append, and recovers cleanly`, async () => {
      const clock = createManualClock({ start: 0 });
      const storage = createMemoryWalStorage();
      const wal = createMemoryWal({ storage, clock, latencyMs: 10 });
      await wal.open();
      const first = wal.append({ ops: [op(1)] });
      clock.advance(10);
      await first;
      void wal.append({ ops: [op(2)] });
      clock.advance(5); // in flight
      storage.crash({ inFlight: mode });
      if (mode === 'tear') expect(storage.records).toBe(2);
      const reopened = createMemoryWal({ storage });
      const recovery = await reopened.open();
      const seqs: number[] = [];
      for await (const record of recovery.records) for (const o of record.ops) seqs.push(o.seq);
      expect(seqs).toEqual(expected);
      // The torn tail was truncated: appends work and are recovered after it.
      await reopened.append({ ops: [op(3)] });
      await reopened.close();
      const again = await createMemoryWal({ storage }).open();
      const after: number[] = [];
      for await (const record of again.records) for (const o of record.ops) after.push(o.seq);
      expect(after).toEqual([...expected, 3]);
    });
  }
});
