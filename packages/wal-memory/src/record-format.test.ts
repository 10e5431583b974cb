import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VersionVector, isSyncError, sameOperation, type Operation, type WalRecord } from '@softadastra/sync-core';
import { metaArb, operationArb, versionVectorArb } from '../test/arbitraries.js';
import { put } from '../test/helpers.js';
import { FRAME_HEADER_BYTES, decodeRecordFrame, decodeSnapshotFrame, encodeRecordFrame, encodeSnapshotFrame } from './record-format.js';

function expectSameOps(actual: readonly Operation[], expected: readonly Operation[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((op, i) => expect(sameOperation(op, expected[i]!)).toBe(true));
}

function decodeError(decode: () => unknown): string {
  try {
    decode();
  } catch (error) {
    expect(isSyncError(error)).toBe(true);
    expect((error as { code: string }).code).toBe('E_DECODE');
    return (error as Error).message;
  }
  throw new Error('expected the decoder to refuse the bytes');
}

const recordArb: fc.Arbitrary<WalRecord> = fc
  .record({
    ops: fc.array(operationArb, { maxLength: 6 }),
    covered: fc.option(versionVectorArb, { nil: undefined }),
    meta: fc.option(metaArb, { nil: undefined }),
  })
  .map(({ ops, covered, meta }) => ({ ops, ...(covered === undefined ? {} : { covered }), ...(meta === undefined ? {} : { meta }) }));

describe('record format', () => {
  it('round-trips records, with and without covered and meta', () => {
    fc.assert(
      fc.property(recordArb, (record) => {
        const back = decodeRecordFrame(encodeRecordFrame(record));
        expectSameOps(back.ops, record.ops);
        expect(back.covered?.toJSON()).toEqual(record.covered?.toJSON());
        expect(back.meta).toEqual(record.meta);
        expect('covered' in back).toBe(record.covered !== undefined);
        expect('meta' in back).toBe(record.meta !== undefined);
      }),
    );
  });

  it('round-trips snapshots', () => {
    fc.assert(
      fc.property(fc.array(operationArb, { maxLength: 6 }), versionVectorArb, metaArb, (ops, vv, meta) => {
        const back = decodeSnapshotFrame(encodeSnapshotFrame({ ops, vv, meta }));
        expectSameOps(back.ops, ops);
        expect(back.vv.equals(vv)).toBe(true);
        expect(back.meta).toEqual(meta);
      }),
    );
  });

  it('detects any single flipped byte and any truncation', () => {
    fc.assert(
      fc.property(recordArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (record, at, mask) => {
        const frame = encodeRecordFrame(record);
        const damaged = frame.slice();
        damaged[at % frame.length] = damaged[at % frame.length]! ^ mask;
        decodeError(() => decodeRecordFrame(damaged));
        decodeError(() => decodeRecordFrame(frame.subarray(0, at % frame.length)));
      }),
    );
  });

  it('says why a frame is refused', () => {
    const frame = encodeRecordFrame({ ops: [put(1)] });
    expect(decodeError(() => decodeRecordFrame(frame.subarray(0, 3)))).toMatch(/incomplete frame/);
    expect(decodeError(() => decodeRecordFrame(frame.subarray(0, FRAME_HEADER_BYTES + 2)))).toMatch(/incomplete frame: 2 of/);
    const flipped = frame.slice();
    flipped[frame.length - 1] = flipped[frame.length - 1]! ^ 1;
    expect(decodeError(() => decodeRecordFrame(flipped))).toMatch(/checksum mismatch/);
    expect(decodeError(() => decodeSnapshotFrame(frame))).toMatch(/expected a WAL snapshot, found kind 1/);
  });

  it('keeps a "__proto__" metadata key as a plain key', () => {
    const meta = Object.fromEntries([['__proto__', 'x'], ['peer', 'alice']]) as Record<string, string>;
    const back = decodeRecordFrame(encodeRecordFrame({ ops: [], meta }));
    expect(Object.getPrototypeOf(back.meta)).toBe(Object.prototype);
    expect(Object.keys(back.meta!)).toEqual(['__proto__', 'peer']);
    expect(back.meta!['peer']).toBe('alice');
  });

  it('refuses what it could not store faithfully', () => {
    const refuse = (encode: () => unknown, code: string): void => {
      try {
        encode();
        expect.unreachable('expected a SyncError');
      } catch (error) {
        expect(isSyncError(error) && error.code).toBe(code);
      }
    };
    refuse(() => encodeRecordFrame({ ops: [], meta: { peer: 1 as unknown as string } }), 'E_INVALID_ARGUMENT');
    refuse(() => encodeRecordFrame({ ops: [], meta: { peer: '\uD800' } }), 'E_INVALID_ARGUMENT');
    refuse(() => encodeRecordFrame({ ops: [], covered: {} as VersionVector }), 'E_INVALID_ARGUMENT');
    refuse(() => encodeSnapshotFrame({ ops: [], vv: undefined as unknown as VersionVector, meta: {} }), 'E_INVALID_ARGUMENT');
    refuse(() => encodeSnapshotFrame({ ops: [], vv: new VersionVector(), meta: undefined as unknown as Record<string, string> }), 'E_INVALID_ARGUMENT');
    const forged: Operation = { ...put(1), hlc: { wall: 1, counter: 0, peer: 'mallory' } };
    refuse(() => encodeRecordFrame({ ops: [forged] }), 'E_INVALID_OP');
  });
});
