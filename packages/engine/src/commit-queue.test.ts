import { VersionVector, type Operation, type Wal, type WalRecord } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { CommitQueue } from './commit-queue.js';

function op(seq: number): Operation {
  return { origin: 'a', seq, hlc: { wall: seq, counter: 0, peer: 'a' }, collection: 'c', key: `k${seq}`, kind: 'del' };
}

/** A WAL whose appends complete only when the test says so. */
function manualWal(): Wal & { appends: WalRecord[]; complete(error?: Error): void } {
  const waiting: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const wal = {
    capabilities: { durable: true, atomicBatch: true, compaction: true },
    appends: [] as WalRecord[],
    open: () => Promise.resolve({ snapshot: undefined, records: [] }),
    append(record: WalRecord) {
      wal.appends.push(record);
      return new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
    },
    compact: () => Promise.resolve(),
    close: () => Promise.resolve(),
    complete(error?: Error) {
      const next = waiting.shift()!;
      if (error) next.reject(error);
      else next.resolve();
    },
  };
  return wal;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('CommitQueue (group commit)', () => {
  it('writes everything queued during one append in the next single append, in order', async () => {
    const wal = manualWal();
    const committed: number[][] = [];
    const queue = new CommitQueue(wal, (entries) => committed.push(entries.flatMap((e) => (e.ops ?? []).map((o) => o.seq))), () => undefined);
    const durable: number[] = [];
    queue.enqueue({ ops: [op(1)], onDurable: () => durable.push(1) });
    await tick();
    expect(wal.appends).toHaveLength(1);
    // 100 concurrent writes while the first append is in flight…
    for (let i = 2; i <= 101; i++) queue.enqueue({ ops: [op(i)], onDurable: () => durable.push(i) });
    queue.enqueue({ covered: new VersionVector().addRange('b', 1, 3) });
    await tick();
    expect(wal.appends).toHaveLength(1);
    wal.complete();
    await tick();
    // …share one append (one fsync).
    expect(wal.appends).toHaveLength(2);
    expect(wal.appends[1]!.ops.map((o) => o.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));
    expect(wal.appends[1]!.covered?.toJSON()).toEqual({ b: 3 });
    expect(durable).toEqual([1]);
    wal.complete();
    await tick();
    expect(durable).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
    expect(committed).toEqual([[1], Array.from({ length: 100 }, (_, i) => i + 2)]);
  });

  it('completes an empty entry (an ordering point) only after the entries before it', async () => {
    const wal = manualWal();
    const queue = new CommitQueue(wal, () => undefined, () => undefined);
    const order: string[] = [];
    queue.enqueue({ ops: [op(1)], onDurable: () => order.push('op') });
    await tick();
    queue.enqueue({ onDurable: () => order.push('barrier') });
    await tick();
    expect(order).toEqual([]);
    wal.complete();
    await tick();
    expect(order).toEqual(['op', 'barrier']);
  });

  it('fails every queued entry when an append fails, and refuses later ones', async () => {
    const wal = manualWal();
    const failures: unknown[] = [];
    const queue = new CommitQueue(wal, () => undefined, (error) => failures.push(error));
    const failed: number[] = [];
    queue.enqueue({ ops: [op(1)], onFailed: () => failed.push(1) });
    await tick();
    queue.enqueue({ ops: [op(2)], onFailed: () => failed.push(2) });
    wal.complete(new Error('EIO'));
    await tick();
    expect(failures).toHaveLength(1);
    expect(failed.sort()).toEqual([1, 2]);
    queue.enqueue({ ops: [op(3)], onFailed: () => failed.push(3) });
    expect(failed).toContain(3);
    expect(wal.appends).toHaveLength(1);
  });
});
