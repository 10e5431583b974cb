import { VersionVector, isSyncError, opIdKey, sameOperation, type Operation } from '@softadastra/sync-core';
import { ReplicaState, computeDigest } from '@softadastra/sync-reconciler';
import { describe, expect, it } from 'vitest';
import { CRASH_VARIANTS, createFileWal, createSimulatedFileSystem, replayFileSystem, type SimulatedFileSystem } from '../src/index.js';
import { put } from './helpers.js';

/** What a workload did: every op appended (in call order) and when each append was acknowledged. */
interface Workload {
  readonly appended: Operation[];
  /** For each op id, the log length at the moment its append resolved. */
  readonly ackedAt: Map<string, number>;
  /** Errors other than E_WAL_FAILED, or E_WAL_FAILED before the first failure. */
  readonly unexpected: string[];
  /** The log length when the WAL was reopened after a failure, if it failed. */
  reopenedAt: number | undefined;
}

/**
 * A workload exercising every write path: sequential and concurrent
 * (group-committed) appends, multi-op records, segment rotation, compaction.
 */
async function runWorkload(fs: SimulatedFileSystem): Promise<Workload> {
  const wal = createFileWal({ dir: '/wal', fs, segmentBytes: 700 });
  const appended: Operation[] = [];
  const ackedAt = new Map<string, number>();
  const unexpected: string[] = [];
  const workload: Workload = { appended, ackedAt, unexpected, reopenedAt: undefined };
  let failed = false;
  let seq = 0;
  const append = (count: number): Promise<void> => {
    const ops = Array.from({ length: count }, () => put(++seq, 'a', { n: seq }));
    appended.push(...ops);
    return wal.append({ ops }).then(
      () => {
        if (failed) unexpected.push(`append of ${ops[0]!.seq} resolved after a failure`);
        for (const op of ops) ackedAt.set(opIdKey(op), fs.log.length);
      },
      (error: unknown) => {
        if (!isSyncError(error) || error.code !== 'E_WAL_FAILED') unexpected.push(`append rejected with ${String(error)}`);
        failed = true;
      },
    );
  };
  try {
    await wal.open();
  } catch (error) {
    if (isSyncError(error) && error.code === 'E_WAL_FAILED') return workload;
    throw error;
  }
  for (let i = 0; i < 15; i++) await append(1);
  await Promise.all(Array.from({ length: 16 }, () => append(1)));
  const winners = new ReplicaState();
  for (const op of appended) winners.merge(op);
  await wal.compact({ ops: [...winners.winners()], vv: new VersionVector().addRange('a', 1, seq), meta: { peerId: 'a' } }).catch((error: unknown) => {
    if (!isSyncError(error) || error.code !== 'E_WAL_FAILED') unexpected.push(`compact rejected with ${String(error)}`);
    failed = true;
  });
  for (let i = 0; i < 10; i++) await append(3);
  await Promise.all(Array.from({ length: 20 }, (_, i) => append(1 + (i % 2))));
  for (let i = 0; i < 15; i++) await append(1);
  await wal.close();
  if (failed) {
    // As the engine does after a failure: reopen the same files (no crash) and carry on writing.
    failed = false;
    const recovery = await wal.open();
    workload.reopenedAt = fs.log.length;
    const held = new VersionVector();
    if (recovery.snapshot) held.merge(recovery.snapshot.vv);
    for await (const record of recovery.records) for (const op of record.ops) held.add(op);
    // Ops that were never acknowledged and did not survive are gone; the seqs after them stay unique.
    appended.splice(0, appended.length, ...appended.filter((op) => held.has(op) || ackedAt.has(opIdKey(op))));
    seq = Math.max(seq, held.max('a'));
    for (let i = 0; i < 12; i++) await append(1);
    await Promise.all(Array.from({ length: 12 }, () => append(1)));
    await wal.close();
  }
  return workload;
}

/** Opens the WAL on a crashed disk and checks every promise the WAL made. */
async function checkRecovery(fs: SimulatedFileSystem, workload: Workload, crashedAt: number, where: string): Promise<void> {
  const wal = createFileWal({ dir: '/wal', fs });
  const recovery = await wal.open().catch((error: unknown) => {
    throw new Error(`${where}: open failed: ${String(error)}`);
  });
  const held = new VersionVector();
  const state = new ReplicaState();
  const byId = new Map(workload.appended.map((op) => [opIdKey(op), op]));
  if (recovery.snapshot !== undefined) {
    held.merge(recovery.snapshot.vv);
    for (const op of recovery.snapshot.ops) state.merge(op);
  }
  for await (const record of recovery.records) {
    for (const op of record.ops) {
      const original = byId.get(opIdKey(op));
      // No garbage and no op id with other content.
      expect(original !== undefined && sameOperation(original, op), `${where}: recovered op ${opIdKey(op)} was never appended as such`).toBe(true);
      held.add(op);
      state.merge(op);
    }
  }
  // Every acknowledged op is there.
  for (const [id, at] of workload.ackedAt) {
    if (at <= crashedAt) expect(held.has(byId.get(id)!), `${where}: acknowledged op ${id} lost`).toBe(true);
  }
  // What survived is a prefix of the appends, in call order, and the state is its replay.
  const count = held.count();
  const prefix = workload.appended.slice(0, count);
  expect(prefix.every((op) => held.has(op)), `${where}: recovered ops are not a prefix of the appends`).toBe(true);
  const expected = new ReplicaState();
  for (const op of prefix) expected.merge(op);
  expect(computeDigest(state.winners()).root, `${where}: state differs from a replay of the recovered log`).toBe(computeDigest(expected.winners()).root);
  // Appends work afterwards and survive a clean reopen.
  const next = put(10_000, 'b');
  await wal.append({ ops: [next] });
  await wal.close();
  const again = await wal.open();
  let found = false;
  for await (const record of again.records) if (record.ops.some((op) => sameOperation(op, next))) found = true;
  expect(found, `${where}: an append after recovery was lost`).toBe(true);
  await wal.close();
}

describe('crash at every write point', () => {
  it('recovers every acknowledged op, nothing else, from every crash state of every prefix', async () => {
    const fs = createSimulatedFileSystem();
    const workload = await runWorkload(fs);
    expect(workload.unexpected).toEqual([]);
    const log = fs.log;
    expect(log.length).toBeGreaterThan(100);
    let states = 0;
    for (let k = 0; k <= log.length; k++) {
      for (const variant of CRASH_VARIANTS) {
        await checkRecovery(replayFileSystem(log, k, variant), workload, k, `crash after ${k}/${log.length} file operations (${variant.data}, dir ${variant.dir})`);
        states++;
      }
    }
    expect(states).toBe((log.length + 1) * CRASH_VARIANTS.length);
  }, 120_000);

  it('survives an I/O error at every write or fsync: fails cleanly, loses nothing acknowledged', async () => {
    const clean = createSimulatedFileSystem();
    await runWorkload(clean);
    const total = clean.writes;
    expect(total).toBeGreaterThan(80);
    for (let n = 0; n < total; n++) {
      const fs = createSimulatedFileSystem({ failAt: n });
      const workload = await runWorkload(fs);
      expect(workload.unexpected, `EIO at write ${n}`).toEqual([]);
      // Crash at the end, and right after the first acknowledgements that follow the reopen.
      const points = new Set<number>([fs.log.length]);
      if (workload.reopenedAt !== undefined) {
        for (const at of [...workload.ackedAt.values()].filter((at) => at > workload.reopenedAt!).sort((a, b) => a - b).slice(0, 3)) points.add(at);
      }
      for (const at of points) {
        for (const variant of CRASH_VARIANTS) {
          await checkRecovery(replayFileSystem(fs.log, at, variant), workload, at, `EIO at write ${n}/${total}, then crash after ${at} file operations (${variant.data}, dir ${variant.dir})`);
        }
      }
    }
  }, 120_000);

  it('after a failure, reopening makes what it read durable before writing on it (no append onto an unsynced file or entry)', async () => {
    // Found by the simulator (seed 8190, file storage): a failed directory fsync left a new segment's
    // entry unsynced; the reopened WAL appended to it, acknowledged, and a crash lost the entry.
    for (let n = 0; n < 40; n++) {
      const fs = createSimulatedFileSystem({ failAt: n });
      const wal = createFileWal({ dir: '/wal', fs, segmentBytes: 300 });
      if (!(await wal.open().then(() => true, () => false))) continue;
      let failed = false;
      for (let seq = 1; seq <= 12; seq++) await wal.append({ ops: [put(seq)] }).catch(() => (failed = true));
      await wal.close();
      if (!failed) continue;
      await wal.open();
      await wal.append({ ops: [put(13)] });
      const acknowledgedAt = fs.log.length;
      await wal.close();
      for (const variant of CRASH_VARIANTS) {
        const recovery = await createFileWal({ dir: '/wal', fs: replayFileSystem(fs.log, acknowledgedAt, variant) }).open();
        const seqs: number[] = [];
        for await (const record of recovery.records) for (const op of record.ops) seqs.push(op.seq);
        expect(seqs, `EIO at write ${n}, reopen, append, crash (${variant.data}, dir ${variant.dir})`).toContain(13);
      }
    }
  });
});
