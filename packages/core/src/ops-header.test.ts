import { describe, expect, it } from 'vitest';
import { encodeMessage, readOpsHeader, VersionVector, type Operation } from './index.js';

const op = (origin: string, seq: number, collection: string): Operation => ({
  origin,
  seq,
  hlc: { wall: 1_700_000_000_000 + seq, counter: 0, peer: origin },
  collection,
  key: `k${seq}`,
  kind: 'put',
  value: { n: seq, text: 'é'.repeat(seq) },
});

describe('readOpsHeader', () => {
  it('reads epoch, n and the operation count of messages the codec encodes', () => {
    const ops = [op('alice', 1, 'todos'), op('bob', 1, 'notes'), op('alice', 2, 'todos'), op('ünïcode-peer', 3, 'çollection')];
    expect(readOpsHeader(encodeMessage({ type: 'ops', epoch: 7, n: 300, ops }))).toEqual({ epoch: 7, n: 300, ops: 4 });
    expect(readOpsHeader(encodeMessage({ type: 'ops', epoch: 1, n: 1, ops: [] }))).toEqual({ epoch: 1, n: 1, ops: 0 });
    const many = Array.from({ length: 200 }, (_, i) => op(`peer-${i % 7}`, i + 1, `c${i % 3}`));
    expect(readOpsHeader(encodeMessage({ type: 'ops', epoch: 2 ** 20, n: 5, ops: many }))).toEqual({ epoch: 2 ** 20, n: 5, ops: 200 });
  });

  it('returns undefined for other messages, truncated headers and garbage, without throwing', () => {
    const ops = encodeMessage({ type: 'ops', epoch: 3, n: 2, ops: [op('alice', 1, 'todos')] });
    expect(readOpsHeader(encodeMessage({ type: 'ack', vv: new VersionVector() }))).toBeUndefined();
    expect(readOpsHeader(ops.subarray(0, 8))).toBeUndefined();
    expect(readOpsHeader(new Uint8Array([]))).toBeUndefined();
    expect(readOpsHeader(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toBeUndefined();
  });
});
