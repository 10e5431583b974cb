import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VersionVector, isSyncError, sameOperation, type Operation, type WalRecord } from '@softadastra/sync-core';
import { metaArb, operationArb, versionVectorArb } from '../test/arbitraries.js';
import { put } from '../test/helpers.js';
import {
  SNAPSHOT_PART_OPS,
  commitCrc,
  decodeCommit,
  decodeMeta,
  decodeOps,
  decodeVector,
  encodeCommit,
  encodeRecord,
  encodeSnapshot,
  encodedSize,
  snapshotHeaderCrc,
  snapshotPartCrc,
} from './row-codec.js';

function expectSameOps(actual: readonly Operation[], expected: readonly Operation[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((op, i) => expect(sameOperation(op, expected[i]!)).toBe(true));
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(isSyncError(error)).toBe(true);
    return (error as { code: string }).code;
  }
  throw new Error('expected a SyncError');
}

const recordArb: fc.Arbitrary<WalRecord> = fc
  .record({
    ops: fc.array(operationArb, { maxLength: 6 }),
    covered: fc.option(versionVectorArb, { nil: undefined }),
    meta: fc.option(metaArb, { nil: undefined }),
  })
  .map(({ ops, covered, meta }) => ({ ops, ...(covered === undefined ? {} : { covered }), ...(meta === undefined ? {} : { meta }) }));

describe('row codec', () => {
  it('round-trips the records of a commit in order, keeping whether covered and meta were given', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 8 }), (records) => {
        const encoded = records.map(encodeRecord);
        const body = encodeCommit(encoded);
        const bound = encoded.reduce((sum, record) => sum + encodedSize(record), 0);
        expect(body.length).toBeLessThanOrEqual(bound);
        const back = decodeCommit(body, records.length);
        expect(back).toHaveLength(records.length);
        back.forEach((actual, i) => {
          const record = records[i]!;
          expectSameOps(actual.ops, record.ops);
          expect(actual.covered?.toJSON()).toEqual(record.covered?.toJSON());
          expect(actual.meta).toEqual(record.meta);
          expect('covered' in actual).toBe(record.covered !== undefined);
          expect('meta' in actual).toBe(record.meta !== undefined);
        });
      }),
    );
  });

  it('keeps metadata keys such as __proto__ as data, and lone surrogates unchanged', () => {
    const meta: Record<string, string> = {};
    Object.defineProperty(meta, '__proto__', { value: 'x', enumerable: true });
    meta['lone'] = 'a\uD800b';
    meta['ünïcode ✓'] = '🌍';
    const back = decodeCommit(encodeCommit([encodeRecord({ ops: [], meta })]), 1)[0]!.meta!;
    expect(Object.keys(back).sort()).toEqual(['__proto__', 'lone', 'ünïcode ✓'].sort());
    expect(back['__proto__']).toBe('x');
    expect(back['lone']).toBe('a\uD800b');
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });

  it('splits a snapshot into parts of at most SNAPSHOT_PART_OPS operations', () => {
    const ops = Array.from({ length: SNAPSHOT_PART_OPS * 2 + 3 }, (_, i) => put(i + 1));
    const vv = new VersionVector().addRange('alice', 1, ops.length);
    const encoded = encodeSnapshot({ ops, vv, meta: { peerId: 'alice' } });
    expect(encoded.parts).toHaveLength(3);
    expect(encoded.opCount).toBe(ops.length);
    expectSameOps(encoded.parts.flatMap((part) => decodeOps(part)), ops);
    expect(decodeVector(encoded.vv).equals(vv)).toBe(true);
    expect(decodeMeta(encoded.meta)).toEqual({ peerId: 'alice' });
  });

  it('changes the commit checksum when the row id, the record count or any byte changes', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 2 ** 40 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (records, id, at, mask) => {
        const body = encodeCommit(records.map(encodeRecord));
        const crc = commitCrc(id, records.length, body);
        expect(commitCrc(id + 1, records.length, body)).not.toBe(crc);
        expect(commitCrc(id, records.length + 1, body)).not.toBe(crc);
        const flipped = body.slice();
        flipped[at % flipped.length]! ^= mask;
        expect(commitCrc(id, records.length, flipped)).not.toBe(crc);
        expect(commitCrc(id, records.length, body.subarray(0, body.length - 1))).not.toBe(crc);
      }),
    );
  });

  it('refuses a malformed commit body with E_DECODE', () => {
    const body = encodeCommit([encodeRecord({ ops: [put(1)] }), encodeRecord({ ops: [put(2)], meta: { a: 'b' } })]);
    expect(codeOf(() => decodeCommit(body, 3))).toBe('E_DECODE');
    expect(codeOf(() => decodeCommit(body.subarray(0, body.length - 2), 2))).toBe('E_DECODE');
    const trailing = new Uint8Array(body.length + 1);
    trailing.set(body);
    expect(codeOf(() => decodeCommit(trailing, 2))).toBe('E_DECODE');
    const flags = body.slice();
    flags[1] = 0x80;
    expect(codeOf(() => decodeCommit(flags, 2))).toBe('E_DECODE');
    expect(codeOf(() => decodeCommit(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 1))).toBe('E_DECODE');
  });

  it('checksums snapshot headers and parts with their counts and position', () => {
    const vv = new Uint8Array([1, 2, 3]);
    const meta = new Uint8Array([4, 5]);
    expect(snapshotHeaderCrc(vv, meta, 2, 10)).not.toBe(snapshotHeaderCrc(vv, meta, 2, 11));
    expect(snapshotHeaderCrc(vv, meta, 2, 10)).not.toBe(snapshotHeaderCrc(vv, meta, 3, 10));
    const part = new Uint8Array([9, 9, 9]);
    expect(snapshotPartCrc(0, part)).not.toBe(snapshotPartCrc(1, part));
  });

  it('refuses malformed columns with E_DECODE', () => {
    expect(codeOf(() => decodeOps(new Uint8Array([5, 1])))).toBe('E_DECODE');
    expect(codeOf(() => decodeVector(new Uint8Array([1])))).toBe('E_DECODE');
    const text = (s: string): Uint8Array => new TextEncoder().encode(s);
    expect(codeOf(() => decodeMeta(text('[]')))).toBe('E_DECODE');
    expect(codeOf(() => decodeMeta(text('{"a":1}')))).toBe('E_DECODE');
    expect(codeOf(() => decodeMeta(text('{"a":')))).toBe('E_DECODE');
    expect(codeOf(() => decodeMeta(new Uint8Array([0x7b, 0xff, 0x7d])))).toBe('E_DECODE');
  });

  it('refuses records and snapshots of the wrong shape with the codec’s code', () => {
    const bad = { ...put(1), hlc: { wall: 1, counter: 0, peer: 'mallory' } };
    expect(codeOf(() => encodeRecord({ ops: [bad] }))).toBe('E_INVALID_OP');
    expect(codeOf(() => encodeRecord({ ops: 'nope' } as unknown as WalRecord))).toBe('E_INVALID_ARGUMENT');
    expect(codeOf(() => encodeRecord({ ops: [], covered: { '1': 2 } } as unknown as WalRecord))).toBe('E_INVALID_ARGUMENT');
    expect(codeOf(() => encodeRecord({ ops: [], meta: { n: 1 } } as unknown as WalRecord))).toBe('E_INVALID_ARGUMENT');
    expect(codeOf(() => encodeSnapshot({ ops: [], vv: new VersionVector() } as never))).toBe('E_INVALID_ARGUMENT');
  });
});
