import { VersionVector, isSyncError } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { put, recordsOf, seqsOf } from '../test/helpers.js';
import { createFileWal, createSimulatedFileSystem, type SimulatedFileSystem } from './index.js';

function fresh(options: { segmentBytes?: number } = {}): { fs: SimulatedFileSystem; open: (fs?: SimulatedFileSystem) => ReturnType<typeof createFileWal> } {
  const fs = createSimulatedFileSystem();
  return { fs, open: (other = fs) => createFileWal({ dir: '/wal', fs: other, ...options }) };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isSyncError(error) ? error.code : `not a SyncError: ${String(error)}`;
  }
}

describe('file WAL', () => {
  it('replays records in append order with their vectors and metadata', async () => {
    const { open } = fresh();
    const wal = open();
    await wal.open();
    await wal.append({ ops: [put(1), put(2)], meta: { peerId: 'a' } });
    await wal.append({ ops: [put(3)], covered: new VersionVector().addRange('b', 1, 4) });
    await wal.close();
    const again = open();
    const records = await recordsOf(await again.open());
    expect(records.map((r) => r.ops.map((o) => o.seq))).toEqual([[1, 2], [3]]);
    expect(records[0]!.meta).toEqual({ peerId: 'a' });
    expect(records[1]!.covered?.toJSON()).toEqual({ b: 4 });
  });

  it('group-commits concurrent appends: one write and one fsync for many', async () => {
    const { fs, open } = fresh();
    const wal = open();
    await wal.open();
    await wal.append({ ops: [put(1)] });
    const before = fs.log.filter((op) => op.kind === 'sync').length;
    await Promise.all(Array.from({ length: 256 }, (_, i) => wal.append({ ops: [put(i + 2)] })));
    const syncs = fs.log.filter((op) => op.kind === 'sync').length - before;
    expect(syncs).toBeLessThanOrEqual(2);
    await wal.close();
    expect(await seqsOf(await open().open())).toEqual(Array.from({ length: 257 }, (_, i) => i + 1));
  });

  it('starts new segments through tmp → fsync → rename → fsync dir, and reads across them', async () => {
    const { fs, open } = fresh({ segmentBytes: 300 });
    const wal = open();
    await wal.open();
    for (let i = 1; i <= 30; i++) await wal.append({ ops: [put(i)] });
    await wal.close();
    const names = await fs.list('/wal');
    expect(names.filter((n) => n.startsWith('wal-')).length).toBeGreaterThan(3);
    const kinds = fs.log.map((op) => op.kind);
    const rename = kinds.indexOf('rename');
    expect(kinds.slice(rename - 2, rename + 2)).toEqual(['append', 'sync', 'rename', 'syncDir']);
    expect(await seqsOf(await open().open())).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('compacts to a snapshot and removes the segments it replaces, only after it is durable', async () => {
    const { fs, open } = fresh({ segmentBytes: 300 });
    const wal = open();
    await wal.open();
    for (let i = 1; i <= 20; i++) await wal.append({ ops: [put(i)] });
    const vv = new VersionVector().addRange('a', 1, 20);
    await wal.compact({ ops: [put(20)], vv, meta: { peerId: 'a' } });
    await wal.append({ ops: [put(21)] });
    await wal.close();
    const names = await fs.list('/wal');
    expect(names.filter((n) => n.startsWith('snapshot-'))).toHaveLength(1);
    expect(names.filter((n) => n.startsWith('wal-'))).toHaveLength(1);
    const recovery = await open().open();
    expect(recovery.snapshot?.vv.equals(vv)).toBe(true);
    expect(recovery.snapshot?.meta).toEqual({ peerId: 'a' });
    expect(await seqsOf(recovery)).toEqual([21]);
    const snapshotRename = fs.log.findIndex((op) => op.kind === 'rename' && op.to.includes('snapshot-'));
    const firstSegmentRemoval = fs.log.findIndex((op) => op.kind === 'remove' && op.path.includes('/wal-'));
    expect(snapshotRename).toBeGreaterThan(0);
    expect(fs.log[snapshotRename + 1]?.kind).toBe('syncDir');
    expect(firstSegmentRemoval).toBeGreaterThan(snapshotRename + 1);
  });

  it('keeps disk use bounded under a steady write load with compaction', async () => {
    const { fs, open } = fresh({ segmentBytes: 4096 });
    const wal = open();
    await wal.open();
    let peak = 0;
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 50; i++) await wal.append({ ops: [put(round * 50 + i + 1)] });
      await wal.compact({ ops: [put(round * 50 + 50)], vv: new VersionVector().addRange('a', 1, round * 50 + 50), meta: {} });
      peak = Math.max(peak, fs.bytes());
    }
    expect(peak).toBeLessThan(10_000);
  });

  it('truncates a torn tail and appends after it', async () => {
    const { fs, open } = fresh();
    const wal = open();
    await wal.open();
    await wal.append({ ops: [put(1)] });
    await wal.append({ ops: [put(2)] });
    await wal.close();
    fs.damage('/wal/wal-0000000001.log', (b) => b.subarray(0, b.length - 5));
    const reopened = open();
    expect(await seqsOf(await reopened.open())).toEqual([1]);
    await reopened.append({ ops: [put(3)] });
    await reopened.close();
    expect(await seqsOf(await open().open())).toEqual([1, 3]);
  });

  it('refuses damage followed by valid records with E_WAL_CORRUPT naming the file and offset', async () => {
    const { fs, open } = fresh();
    const wal = open();
    await wal.open();
    for (let i = 1; i <= 3; i++) await wal.append({ ops: [put(i)] });
    await wal.close();
    fs.damage('/wal/wal-0000000001.log', (b) => {
      const copy = b.slice();
      copy[16 + 10] = copy[16 + 10]! ^ 0xff; // inside the first record
      return copy;
    });
    const error = await open()
      .open()
      .then(() => undefined, (e: unknown) => e);
    expect(isSyncError(error) && error.code).toBe('E_WAL_CORRUPT');
    expect(String((error as Error).message)).toMatch(/wal-0000000001\.log is damaged at byte 16/);
    // Still refused on the next open: nothing was silently repaired.
    expect(await codeOf(open().open())).toBe('E_WAL_CORRUPT');
  });

  it('refuses a missing segment', async () => {
    const { fs, open } = fresh({ segmentBytes: 200 });
    const wal = open();
    await wal.open();
    for (let i = 1; i <= 20; i++) await wal.append({ ops: [put(i)] });
    await wal.close();
    await fs.remove('/wal/wal-0000000002.log');
    expect(await codeOf(open().open())).toBe('E_WAL_CORRUPT');
  });

  it('fails for good after an fsync error (never retried) until reopened', async () => {
    const fs = createSimulatedFileSystem();
    const wal = createFileWal({ dir: '/wal', fs });
    await wal.open();
    await wal.append({ ops: [put(1)] });
    await wal.close();
    const eio = createSimulatedFileSystem({ failAt: 1 });
    const broken = createFileWal({ dir: '/wal', fs: eio });
    await broken.open();
    expect(await codeOf(broken.append({ ops: [put(1)] }))).toBe('E_WAL_FAILED');
    expect(await codeOf(broken.append({ ops: [put(2)] }))).toBe('E_WAL_FAILED');
    expect(await codeOf(broken.compact({ ops: [], vv: new VersionVector(), meta: {} }))).toBe('E_WAL_FAILED');
    await broken.close();
    await broken.open();
    await broken.append({ ops: [put(3)] });
    await broken.close();
  });

  it('rejects after close with E_WAL_CLOSED, refuses a second open, and reopens', async () => {
    const { open } = fresh();
    const wal = open();
    await wal.open();
    expect(await codeOf(wal.open())).toBe('E_INVALID_ARGUMENT');
    await wal.append({ ops: [put(1)] });
    await wal.close();
    expect(await codeOf(wal.append({ ops: [put(2)] }))).toBe('E_WAL_CLOSED');
    expect(await seqsOf(await wal.open())).toEqual([1]);
    await wal.close();
  });

  it('with durability none, never calls fsync for appends', async () => {
    const fs = createSimulatedFileSystem();
    const wal = createFileWal({ dir: '/wal', fs, durability: 'none' });
    await wal.open();
    await wal.append({ ops: [put(1)] });
    const syncsAfterHeader = fs.log.filter((op) => op.kind === 'sync').length;
    await wal.append({ ops: [put(2)] });
    expect(fs.log.filter((op) => op.kind === 'sync').length).toBe(syncsAfterHeader);
  });
});
