import { isSyncError, type WalRecovery } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { put, seqsOf } from '../test/helpers.js';
import { createFileWal, createSimulatedFileSystem, type SimulatedFileSystem } from './index.js';
import { HEADER_BYTES, RECORD_HEADER_BYTES, readRecord } from './segment-format.js';

const SEGMENT = '/wal/wal-0000000001.log';

/** A disk holding one segment of three records (seqs 1, 2, 3 with 3 holding two ops), and where each record starts. */
async function threeRecords(): Promise<{ fs: SimulatedFileSystem; starts: number[]; size: number }> {
  const fs = createSimulatedFileSystem();
  const wal = createFileWal({ dir: '/wal', fs });
  await wal.open();
  await wal.append({ ops: [put(1)] });
  await wal.append({ ops: [put(2)] });
  await wal.append({ ops: [put(3), put(4)] });
  await wal.close();
  const bytes = fs.peek(SEGMENT)!;
  const starts: number[] = [];
  for (let at = HEADER_BYTES; at < bytes.length; at = readRecord(bytes, at, 1 << 20)!.next) starts.push(at);
  expect(starts).toHaveLength(3);
  return { fs, starts, size: bytes.length };
}

async function openError(fs: SimulatedFileSystem): Promise<{ code: string; message: string }> {
  try {
    await createFileWal({ dir: '/wal', fs }).open();
  } catch (error) {
    if (isSyncError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('open() resolved on a damaged log');
}

async function reopen(fs: SimulatedFileSystem, options: { readOnly?: boolean } = {}): Promise<{ recovery: WalRecovery; seqs: number[] }> {
  const wal = createFileWal({ dir: '/wal', fs, ...options });
  const recovery = await wal.open();
  const seqs = await seqsOf(recovery);
  await wal.close();
  return { recovery, seqs };
}

describe('file WAL: torn tail or corruption', () => {
  it('reports no repair when the log is intact', async () => {
    const { fs } = await threeRecords();
    const { recovery, seqs } = await reopen(fs);
    expect(seqs).toEqual([1, 2, 3, 4]);
    expect(recovery.repair).toBeUndefined();
  });

  it('refuses a whole last record that fails its checksum (E_WAL_CORRUPT), and leaves the file as it is', async () => {
    const { fs, starts, size } = await threeRecords();
    fs.damage(SEGMENT, (bytes) => {
      const copy = bytes.slice();
      copy[size - 3] = copy[size - 3]! ^ 0x01;
      return copy;
    });
    const damaged = fs.peek(SEGMENT)!;
    const error = await openError(fs);
    expect(error.code).toBe('E_WAL_CORRUPT');
    expect(error.message).toContain(`at byte ${starts[2]}`);
    expect(error.message).toMatch(/whole record .* fails its checksum/);
    // Refused, not repaired: the bytes are still there for whoever restores them, and a second open refuses again.
    expect(fs.peek(SEGMENT)).toEqual(damaged);
    expect((await openError(fs)).code).toBe('E_WAL_CORRUPT');
  });

  it('refuses a whole last record whose length field is damaged, naming its ops', async () => {
    const { fs, starts } = await threeRecords();
    // A flipped high bit in the length: the header now announces more bytes than there are.
    fs.damage(SEGMENT, (bytes) => {
      const copy = bytes.slice();
      copy[starts[2]! + 3] = copy[starts[2]! + 3]! ^ 0x10;
      return copy;
    });
    const error = await openError(fs);
    expect(error.code).toBe('E_WAL_CORRUPT');
    expect(error.message).toMatch(/length field is damaged/);
    expect(error.message).toContain('a:3, a:4');
  });

  it('cuts a last record cut short (a torn write) and reports what it cut', async () => {
    const { fs, starts, size } = await threeRecords();
    const cutAt = starts[2]! + RECORD_HEADER_BYTES + 5;
    fs.damage(SEGMENT, (bytes) => bytes.subarray(0, cutAt));
    const { recovery, seqs } = await reopen(fs);
    expect(seqs).toEqual([1, 2]);
    expect(recovery.repair).toEqual({
      records: 1,
      bytes: cutAt - starts[2]!,
      offset: starts[2],
      location: SEGMENT,
      reason: `an incomplete record (5 of the ${size - starts[2]! - RECORD_HEADER_BYTES} payload bytes its header announces)`,
    });
    expect(fs.peek(SEGMENT)!.length, 'the torn bytes are cut').toBe(starts[2]);
    // Cut once: the next open has nothing left to repair.
    expect((await reopen(fs)).recovery.repair).toBeUndefined();
  });

  it('cuts a partial record header, and zero bytes the write never filled, as torn tails', async () => {
    for (const [tail, records, reason] of [
      [new Uint8Array([7, 0, 0]), 1, /incomplete record header \(3 of 8 bytes\)/],
      [new Uint8Array(40), 0, /40 zero bytes/],
    ] as const) {
      const { fs, size } = await threeRecords();
      fs.damage(SEGMENT, (bytes) => {
        const out = new Uint8Array(bytes.length + tail.length);
        out.set(bytes);
        out.set(tail, bytes.length);
        return out;
      });
      const { recovery, seqs } = await reopen(fs);
      expect(seqs).toEqual([1, 2, 3, 4]);
      expect(recovery.repair).toMatchObject({ records, bytes: tail.length, offset: size, location: SEGMENT });
      expect(recovery.repair?.reason).toMatch(reason);
    }
  });

  it('with readOnly, reports the repair open() would make and changes nothing', async () => {
    const { fs, starts } = await threeRecords();
    fs.damage(SEGMENT, (bytes) => bytes.subarray(0, starts[2]! + 4));
    const before = fs.log.length;
    const wal = createFileWal({ dir: '/wal', fs, readOnly: true });
    const recovery = await wal.open();
    expect(await seqsOf(recovery)).toEqual([1, 2]);
    expect(recovery.repair).toMatchObject({ records: 1, bytes: 4, offset: starts[2] });
    await expect(wal.append({ ops: [put(9)] })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await wal.close();
    expect(fs.log.slice(before), 'no file operation').toEqual([]);
    expect(fs.peek(SEGMENT)!.length).toBe(starts[2]! + 4);
  });
});
