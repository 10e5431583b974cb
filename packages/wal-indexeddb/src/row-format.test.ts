import { describe, expect, it } from 'vitest';
import { VersionVector, encodeWalRecord, encodeWalSnapshot, type WalRecord } from '@softadastra/sync-core';
import { decodeRecordRow, decodeSnapshotRow, recordRow, rowCrc, snapshotRow } from './row-format.js';

const record: WalRecord = { ops: [], meta: { peer: 'p1', n: '7' } };

describe('record rows', () => {
  it('round-trips a record through its row', () => {
    const row = recordRow(encodeWalRecord(record), 5);
    expect(decodeRecordRow(row, 5)).toEqual(record);
  });

  it('refuses a row whose bytes no longer match its CRC', () => {
    const row = recordRow(encodeWalRecord(record), 5);
    const bytes = row.bytes.slice();
    bytes[bytes.length >> 1]! ^= 0x01;
    const decoded = decodeRecordRow({ crc: row.crc, bytes }, 5);
    expect(typeof decoded).toBe('string');
    expect(decoded).toMatch(/fails its checksum \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)/);
  });

  it('refuses a row with a wrong CRC', () => {
    const row = recordRow(encodeWalRecord(record), 5);
    expect(decodeRecordRow({ crc: (row.crc ^ 1) >>> 0, bytes: row.bytes }, 5)).toMatch(/fails its checksum/);
  });

  it('refuses a row moved to another seq (the CRC covers the key)', () => {
    const row = recordRow(encodeWalRecord(record), 5);
    expect(decodeRecordRow(row, 6)).toMatch(/fails its checksum/);
    expect(rowCrc(5, row.bytes)).not.toBe(rowCrc(6, row.bytes));
  });

  it('refuses bytes that match their CRC but are not a record', () => {
    const bytes = new Uint8Array([1, 2, 3, 4, 5]);
    expect(decodeRecordRow({ crc: rowCrc(1, bytes), bytes }, 1)).toMatch(/malformed although its checksum matches/);
  });

  it('refuses what is not a row', () => {
    expect(decodeRecordRow(undefined, 1)).toMatch(/not a row \(undefined\)/);
    expect(decodeRecordRow(null, 1)).toMatch(/not a row \(null\)/);
    expect(decodeRecordRow({ bytes: new Uint8Array(1) }, 1)).toMatch(/checksum is missing/);
    expect(decodeRecordRow({ crc: -1, bytes: new Uint8Array(1) }, 1)).toMatch(/checksum is missing/);
    expect(decodeRecordRow({ crc: 1, bytes: [1, 2] }, 1)).toMatch(/bytes are missing/);
  });
});

describe('snapshot rows', () => {
  const snapshot = { ops: [], vv: new VersionVector(), meta: { peer: 'p1' } };

  it('round-trips a snapshot and the seq it replaced up to', () => {
    const decoded = decodeSnapshotRow(snapshotRow(encodeWalSnapshot(snapshot), 12));
    if (typeof decoded === 'string') throw new Error(decoded);
    expect(decoded.after).toBe(12);
    expect(decoded.snapshot.meta).toEqual({ peer: 'p1' });
    expect(decoded.snapshot.ops).toEqual([]);
  });

  it('refuses a snapshot row whose bytes or "after" changed', () => {
    const row = snapshotRow(encodeWalSnapshot(snapshot), 12);
    const bytes = row.bytes.slice();
    bytes[0]! ^= 0x80;
    expect(decodeSnapshotRow({ ...row, bytes })).toMatch(/fails its checksum/);
    expect(decodeSnapshotRow({ ...row, after: 13 })).toMatch(/fails its checksum/);
    expect(decodeSnapshotRow({ ...row, after: -1 })).toMatch(/"after" is not a seq/);
    expect(decodeSnapshotRow({ ...row, after: '12' })).toMatch(/"after" is not a seq/);
  });
});
