import { VersionVector, opIdKey, type Operation } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { CRASH_VARIANTS, createFileWal, createSimulatedFileSystem, replayFileSystem, type FsOperation, type SimulatedFileSystem } from '../src/index.js';
import { put, recordsOf } from './helpers.js';

/**
 * A crash of the process alone, the machine living on: what the dead process
 * wrote but did not fsync is still in the page cache, so the next open reads
 * it — and a power loss later takes it away unless someone fsynced it since.
 * The machine crash of crash-points.integration.test.ts kills both at once
 * and never shows this; a SIGKILL test never loses the page cache.
 */

const LOST: Parameters<SimulatedFileSystem['crash']>[0] = { data: 'lost', dir: 'lost' };

/** The ids of the operations a WAL on `fs` recovers (the handle is closed again). */
async function idsOn(fs: SimulatedFileSystem): Promise<string[]> {
  const wal = createFileWal({ dir: '/wal', fs });
  const recovery = await wal.open();
  const ids: string[] = [];
  if (recovery.snapshot !== undefined) for (const op of recovery.snapshot.ops) ids.push(opIdKey(op));
  for (const record of await recordsOf(recovery)) for (const op of record.ops) ids.push(opIdKey(op));
  await wal.close();
  return ids;
}

/** Runs `body` on a fresh disk and returns the file operations it made. */
async function logOf(body: (fs: SimulatedFileSystem) => Promise<void>): Promise<readonly FsOperation[]> {
  const fs = createSimulatedFileSystem();
  await body(fs);
  return fs.log;
}

/** Index just after the last `kind` operation of `log` that `match` accepts. */
function after(log: readonly FsOperation[], match: (op: FsOperation) => boolean): number {
  for (let i = log.length - 1; i >= 0; i--) if (match(log[i]!)) return i + 1;
  throw new Error('test bug: no such file operation in the log');
}

describe('process crash, page cache survives, then power loss', () => {
  it('keeps a record the dead process left unsynced, once a reopen has read it, across a later power loss', async () => {
    const log = await logOf(async (fs) => {
      const wal = createFileWal({ dir: '/wal', fs });
      await wal.open();
      for (let seq = 1; seq <= 3; seq++) await wal.append({ ops: [put(seq)] });
      await wal.close();
    });
    // The process dies after writing record 3 and before its fsync: record 3 is in the page cache only.
    const k = after(log, (op) => op.kind === 'append');
    expect(log[k]?.kind, 'the next file operation would have been the fsync').toBe('sync');
    const disk = replayFileSystem(log, k, 'process');
    const visible = await idsOn(disk);
    expect(visible, 'the reopen reads the unsynced record from the page cache').toEqual(['a:1', 'a:2', 'a:3']);
    // The engine builds on what it read (sends a:3 to peers, numbers the next write 4): it must stay.
    expect(await idsOn(disk.crash(LOST)), 'after the power loss').toEqual(visible);
  });

  it('keeps what the reopen read when the next append goes to a new segment', async () => {
    const log = await logOf(async (fs) => {
      const wal = createFileWal({ dir: '/wal', fs, segmentBytes: 200 });
      await wal.open();
      for (let seq = 1; seq <= 3; seq++) await wal.append({ ops: [put(seq)] });
      await wal.close();
    });
    const k = after(log, (op) => op.kind === 'append' && op.path.endsWith('.log'));
    const disk = replayFileSystem(log, k, 'process');
    const wal = createFileWal({ dir: '/wal', fs: disk, segmentBytes: 200 });
    const visible = (await recordsOf(await wal.open())).flatMap((record) => record.ops.map((op) => opIdKey(op)));
    // Too big for what is left of the segment: the acknowledged append starts the next one, whose fsync does not cover this one.
    await wal.append({ ops: [put(4, 'a', 'x'.repeat(300))] });
    const acked = ['a:4'];
    expect((await disk.list('/wal')).filter((name) => name.endsWith('.log')).length, 'the appends crossed into a new segment').toBeGreaterThan(1);
    for (const variant of CRASH_VARIANTS) {
      const ids = await idsOn(disk.crash(variant));
      expect(ids, `after a power loss (${variant.data}, dir ${variant.dir})`).toEqual([...visible, ...acked]);
    }
  });

  it('makes every segment the reopen read durable, not only the last (a writer with durability: none left several unsynced)', async () => {
    const fs = createSimulatedFileSystem();
    const writer = createFileWal({ dir: '/wal', fs, segmentBytes: 200, durability: 'none' });
    await writer.open();
    for (let seq = 1; seq <= 12; seq++) await writer.append({ ops: [put(seq)] });
    expect((await fs.list('/wal')).filter((name) => name.endsWith('.log')).length, 'several segments').toBeGreaterThan(2);
    const disk = fs.crashProcess();
    const visible = await idsOn(disk);
    expect(visible).toHaveLength(12);
    // Without it a power loss keeps the last segment and loses the ones before: a hole in the log.
    expect(await idsOn(disk.crash(LOST)), 'after the power loss').toEqual(visible);
  });

  it('keeps an append acknowledged after the reopen when the dead process had renamed a segment into place without syncing the directory', async () => {
    const log = await logOf(async (fs) => {
      const wal = createFileWal({ dir: '/wal', fs, segmentBytes: 200 });
      await wal.open();
      for (let seq = 1; seq <= 6; seq++) await wal.append({ ops: [put(seq)] });
      await wal.close();
    });
    // The process dies right after renaming a new segment into place, before the fsync of the directory.
    const k = after(log, (op) => op.kind === 'rename' && op.to.endsWith('.log'));
    expect(log[k]?.kind).toBe('syncDir');
    const disk = replayFileSystem(log, k, 'process');
    const wal = createFileWal({ dir: '/wal', fs: disk, segmentBytes: 200 });
    const visible = (await recordsOf(await wal.open())).flatMap((record) => record.ops.map((op) => opIdKey(op)));
    await wal.append({ ops: [put(100, 'b')] });
    // The append went to the renamed segment: without a directory fsync its entry, and the acknowledged append, vanish.
    for (const variant of CRASH_VARIANTS) {
      expect(await idsOn(disk.crash(variant)), `after a power loss (${variant.data}, dir ${variant.dir})`).toEqual([...visible, 'b:100']);
    }
  });

  it('at every point a process can die, then after a reopen and an append, loses nothing the reopen read or the append acknowledged at a power loss', async () => {
    let seq = 0;
    const ops: Operation[] = [];
    const log = await logOf(async (fs) => {
      const wal = createFileWal({ dir: '/wal', fs, segmentBytes: 400 });
      await wal.open();
      const append = async (count: number): Promise<void> => {
        const batch = Array.from({ length: count }, () => put(++seq, 'a', { n: seq }));
        ops.push(...batch);
        await wal.append({ ops: batch });
      };
      for (let i = 0; i < 8; i++) await append(1);
      await Promise.all(Array.from({ length: 8 }, (_, i) => append(1 + (i % 2))));
      await wal.compact({ ops: ops.slice(), vv: new VersionVector().addRange('a', 1, seq), meta: {} });
      for (let i = 0; i < 6; i++) await append(2);
      await Promise.all(Array.from({ length: 6 }, () => append(1)));
      await wal.close();
    });
    expect(log.length).toBeGreaterThan(60);
    let checked = 0;
    for (let k = 0; k <= log.length; k++) {
      for (const appendAfter of [false, true]) {
        const disk = replayFileSystem(log, k, 'process');
        const wal = createFileWal({ dir: '/wal', fs: disk, segmentBytes: 400 });
        const recovery = await wal.open();
        const visible = [...(recovery.snapshot?.ops ?? []).map((op) => opIdKey(op)), ...(await recordsOf(recovery)).flatMap((record) => record.ops.map((op) => opIdKey(op)))];
        const acked = appendAfter ? ['b:1'] : [];
        if (appendAfter) await wal.append({ ops: [put(1, 'b')] });
        for (const variant of CRASH_VARIANTS) {
          const where = `process died after ${k}/${log.length} file operations, reopened${appendAfter ? ', appended b:1' : ''}, power loss (${variant.data}, dir ${variant.dir})`;
          const ids = new Set(await idsOn(disk.crash(variant)));
          const lost = [...visible, ...acked].filter((id) => !ids.has(id));
          expect(lost, where).toEqual([]);
          checked++;
        }
      }
    }
    expect(checked).toBe((log.length + 1) * 2 * CRASH_VARIANTS.length);
  }, 120_000);
});
