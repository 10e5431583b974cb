import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonValueArb, messageArb, operationArb } from '../test/arbitraries.js';
import { ByteWriter } from './bytes.js';
import {
  DEFAULT_LIMITS,
  VersionVector,
  decodeMessage,
  decodeMessageJson,
  decodeOperations,
  decodeVersionVector,
  encodeMessage,
  encodeMessageJson,
  encodeOperations,
  encodeVersionVector,
  isSyncError,
  operationSize,
  resolveLimits,
  validateOperation,
  type Operation,
  type SyncMessage,
} from './index.js';
import { writeValue } from './value-codec.js';

/** Compare messages structurally: version vectors by their JSON form. */
function plain(message: SyncMessage): unknown {
  return JSON.parse(JSON.stringify(message)) as unknown;
}

function expectDecodeOrTypedError(bytes: Uint8Array): void {
  try {
    decodeMessage(bytes);
  } catch (error) {
    expect(isSyncError(error)).toBe(true);
    expect(['E_DECODE', 'E_TOO_LARGE']).toContain((error as { code: string }).code);
  }
}

const bigLimits = resolveLimits({ maxMessageBytes: 2 ** 30 });

describe('binary codec', () => {
  it('round-trips every message type', () => {
    fc.assert(
      fc.property(messageArb, (message) => {
        const decoded = decodeMessage(encodeMessage(message), { limits: bigLimits });
        expect(plain(decoded)).toEqual(plain(message));
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips values exactly, including unicode, big integers and floats', () => {
    fc.assert(
      fc.property(jsonValueArb, (value) => {
        const op: Operation = { origin: 'a', seq: 1, hlc: { wall: 1, counter: 0, peer: 'a' }, collection: 'c', key: 'k', kind: 'put', value };
        const [decoded] = decodeOperations(encodeOperations([op]));
        expect(decoded).toEqual(op);
      }),
      { numRuns: 500 },
    );
  });

  it('encodes a value alone in exactly the bytes validation counted, and in a batch in at most that', () => {
    fc.assert(
      fc.property(jsonValueArb, (value) => {
        const base: Operation = { origin: 'a', seq: 1, hlc: { wall: 0, counter: 0, peer: 'a' }, collection: 'c', key: 'k', kind: 'del' };
        const withValue: Operation = { ...base, kind: 'put', value };
        const result = validateOperation(withValue, resolveLimits({ maxValueBytes: 10 ** 9 }));
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        // Alone (no shape table): the plain encoding, which the limits are defined on.
        const w = new ByteWriter();
        writeValue(w, value);
        expect(w.pos).toBe(result.valueBytes);
        // In a batch, objects repeating a shape are smaller.
        expect(encodeOperations([withValue]).length - encodeOperations([base]).length).toBeLessThanOrEqual(result.valueBytes);
      }),
    );
  });

  it('bounds batch sizes from above with operationSize', () => {
    fc.assert(
      fc.property(fc.array(operationArb, { maxLength: 10 }), (ops) => {
        const bound = ops.reduce((sum, op) => sum + operationSize(op), 0) + 16 + ops.reduce((s, op) => s + op.origin.length + op.collection.length * 3 + 2, 0);
        expect(encodeOperations(ops).length).toBeLessThanOrEqual(bound);
      }),
    );
  });

  it('round-trips version vectors alone', () => {
    const vv = VersionVector.fromJSON({ a: 100, b: [2, 5, 9, 9] });
    expect(decodeVersionVector(encodeVersionVector(vv)).equals(vv)).toBe(true);
  });

  it('decoding random bytes yields a message or a typed error, never anything else', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => expectDecodeOrTypedError(bytes)), { numRuns: 2000 });
  });

  it('decoding mutated valid messages yields a message or a typed error', () => {
    fc.assert(
      fc.property(
        messageArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 5 }),
        fc.nat(),
        (message, flips, cut) => {
          const bytes = encodeMessage(message);
          const mutated = bytes.slice();
          for (const [at, value] of flips) mutated[at % mutated.length] = value;
          expectDecodeOrTypedError(mutated);
          expectDecodeOrTypedError(bytes.subarray(0, cut % bytes.length));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('decodes the body of mutated messages (checksum fixed up) into a value or a typed error', async () => {
    const { crc32 } = await import('./index.js');
    fc.assert(
      fc.property(messageArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (message, flips) => {
        const mutated = encodeMessage(message).slice();
        for (const [at, value] of flips) mutated[3 + (at % Math.max(1, mutated.length - 7))] = value;
        const crc = crc32(mutated, 0, mutated.length - 4);
        mutated.set([crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24], mutated.length - 4);
        expectDecodeOrTypedError(mutated);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses corruption in transit with a checksum error', () => {
    const bytes = encodeMessage({ type: 'ack', vv: VersionVector.fromJSON({ a: 5 }) });
    bytes[4] = bytes[4]! ^ 0x01;
    expect(() => decodeMessage(bytes)).toThrow(/checksum/);
  });

  it('refuses a message over maxMessageBytes with E_TOO_LARGE', () => {
    const big = new Uint8Array(DEFAULT_LIMITS.maxMessageBytes + 1);
    expect(() => decodeMessage(big)).toThrow(expect.objectContaining({ code: 'E_TOO_LARGE' }) as Error);
  });

  it('does not allocate from a lying length', () => {
    // A string length of 2^50 in a tiny message: rejected before any allocation.
    const message = encodeMessage({ type: 'hello', protocol: 1, epoch: 1, peer: 'a', space: 's', vv: new VersionVector() });
    const body = [0x01, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01];
    const lying = new Uint8Array([...message.subarray(0, 3), ...body, 0, 0, 0, 0]);
    expect(() => decodeMessage(lying)).toThrow(expect.objectContaining({ code: 'E_DECODE' }) as Error);
  });

  it('keeps a __proto__ key in a decoded value as data, never as the prototype', () => {
    const value = JSON.parse('{"__proto__":{"polluted":1}}') as Record<string, unknown>;
    const op = { origin: 'a', seq: 1, hlc: { wall: 1, counter: 0, peer: 'a' }, collection: 'c', key: 'k', kind: 'put', value } as Operation;
    const [decoded] = decodeOperations(encodeOperations([op]));
    expect(Object.getPrototypeOf((decoded as { value: object }).value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(validateOperation(decoded).ok).toBe(false);
  });
});

describe('JSON codec', () => {
  it('round-trips every message type', () => {
    fc.assert(
      fc.property(messageArb, (message) => {
        expect(plain(decodeMessageJson(encodeMessageJson(message), { limits: bigLimits }))).toEqual(plain(message));
      }),
      { numRuns: 300 },
    );
  });

  it('decoding arbitrary JSON yields a message or E_DECODE', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        try {
          decodeMessageJson(JSON.stringify(json));
        } catch (error) {
          expect(isSyncError(error) && error.code).toBe('E_DECODE');
        }
      }),
    );
    expect(() => decodeMessageJson('{not json')).toThrow(expect.objectContaining({ code: 'E_DECODE' }) as Error);
  });
});

describe('encodeOpsMessage', () => {
  it('gives the same bytes as encodeMessage for an ops message', async () => {
    const { encodeOpsMessage, needsCodecV2 } = await import('./index.js');
    fc.assert(
      fc.property(fc.array(operationArb, { maxLength: 5 }), fc.nat(), fc.nat(), (ops, epoch, n) => {
        expect(encodeOpsMessage(epoch, n, encodeOperations(ops), needsCodecV2(ops))).toEqual(encodeMessage({ type: 'ops', epoch, n, ops }));
      }),
    );
  });
});

describe('maxVectorRanges', () => {
  it('refuses a hello, covered or ack whose vector is fragmented past the limit, with E_TOO_LARGE', async () => {
    const { VersionVector, decodeMessage, encodeMessage, resolveLimits, decodeMessageJson, encodeMessageJson } = await import('./index.js');
    const limits = resolveLimits({ maxVectorRanges: 100 });
    const fragmented = new VersionVector();
    for (let seq = 1; seq <= 2 * 101; seq += 2) fragmented.add({ origin: 'mallory', seq });
    const fine = new VersionVector();
    for (let seq = 1; seq <= 2 * 100; seq += 2) fine.add({ origin: 'mallory', seq });
    for (const vv of [fragmented, fine]) {
      for (const message of [
        { type: 'hello' as const, protocol: 1, epoch: 1, peer: 'mallory', space: 's', vv },
        { type: 'covered' as const, epoch: 1, n: 1, vv },
        { type: 'ack' as const, vv },
      ]) {
        const decode = () => decodeMessage(encodeMessage(message), { limits });
        const decodeJson = () => decodeMessageJson(encodeMessageJson(message), { limits });
        if (vv === fine) {
          expect(decode().type).toBe(message.type);
          expect(decodeJson().type).toBe(message.type);
        } else {
          expect(decode).toThrow(expect.objectContaining({ code: 'E_TOO_LARGE' }));
          expect(decodeJson).toThrow(expect.objectContaining({ code: 'E_TOO_LARGE' }));
        }
      }
    }
    // Storage is not bound by it: a snapshot vector may be as fragmented as the log made it.
    const { decodeVersionVector, encodeVersionVector } = await import('./index.js');
    expect(decodeVersionVector(encodeVersionVector(fragmented)).equals(fragmented)).toBe(true);
  });
});
