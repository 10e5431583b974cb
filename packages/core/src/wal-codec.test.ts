import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { operationArb, versionVectorArb } from '../test/arbitraries.js';
import { VersionVector, decodeWalRecord, decodeWalSnapshot, encodeWalRecord, encodeWalSnapshot, isSyncError } from './index.js';

const metaArb = fc.option(fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 })), { nil: undefined });

describe('WAL record codec', () => {
  it('round-trips records and snapshots', () => {
    fc.assert(
      fc.property(fc.array(operationArb, { maxLength: 6 }), fc.option(versionVectorArb, { nil: undefined }), metaArb, (ops, covered, meta) => {
        const record = { ops, ...(covered ? { covered } : {}), ...(meta ? { meta } : {}) };
        const back = decodeWalRecord(encodeWalRecord(record));
        expect(JSON.parse(JSON.stringify(back))).toEqual(JSON.parse(JSON.stringify(record)));
        const snapshot = { ops, vv: covered ?? new VersionVector(), meta: meta ?? {} };
        expect(JSON.parse(JSON.stringify(decodeWalSnapshot(encodeWalSnapshot(snapshot))))).toEqual(JSON.parse(JSON.stringify(snapshot)));
      }),
    );
  });

  it('refuses damaged bytes with E_DECODE, a record read as a snapshot too', () => {
    const bytes = encodeWalRecord({ ops: [], meta: { peerId: 'a' } });
    expect(() => decodeWalSnapshot(bytes)).toThrow(expect.objectContaining({ code: 'E_DECODE' }) as Error);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (random) => {
        try {
          decodeWalRecord(random);
        } catch (error) {
          expect(isSyncError(error) && error.code).toBe('E_DECODE');
        }
      }),
    );
  });
});
