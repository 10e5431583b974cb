import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { similarBatchArb } from '../test/arbitraries.js';
import { ByteWriter, varintSize } from './bytes.js';
import {
  decodeMessage,
  decodeOperations,
  encodeMessage,
  encodeOperations,
  isSyncError,
  operationSize,
  resolveLimits,
  validateOperation,
  type JsonValue,
  type Operation,
} from './index.js';
import { MAX_BATCH_EXPANSION, MAX_SHAPES } from './value-codec.js';

const FLAG_DELETE = 0x01;
const FLAG_KEY_PREFIX = 0x04;
const FLAG_SAME_ORIGIN = 0x08;
const FLAG_SAME_COLLECTION = 0x10;
const FLAG_SAME_WALL = 0x20;
const FLAG_WALL_F64 = 0x40;
const TAG_OBJECT = 0x07;
const TAG_SHAPED = 0x09;

function expectDecodeError(run: () => unknown, message?: RegExp): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(isSyncError(thrown)).toBe(true);
  expect((thrown as { code: string }).code).toBe('E_DECODE');
  if (message !== undefined) expect((thrown as Error).message).toMatch(message);
}

function put(i: number, key: string, value: JsonValue, wall = 1_700_000_000_000 + i): Operation {
  return { origin: 'peer-a1b2c3', seq: i + 1, hlc: { wall, counter: 0, peer: 'peer-a1b2c3' }, collection: 'items', key, kind: 'put', value };
}

/** The encoded bytes of the tables and count in front of the operations of a batch. */
function headerSize(ops: readonly Operation[]): number {
  const origins = [...new Set(ops.map((op) => op.origin))];
  const collections = [...new Set(ops.map((op) => op.collection))];
  const str = (s: string): number => {
    const n = Buffer.byteLength(s, 'utf8');
    return varintSize(n) + n;
  };
  return (
    varintSize(origins.length) +
    origins.reduce((sum, o) => sum + str(o), 0) +
    varintSize(collections.length) +
    collections.reduce((sum, c) => sum + str(c), 0) +
    varintSize(ops.length)
  );
}

/** A hand-made batch: one origin "a", one collection "c", then the given operation bytes. */
function rawBatch(opCount: number, body: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter();
  w.varint(1);
  w.string('a');
  w.varint(1);
  w.string('c');
  w.varint(opCount);
  body(w);
  return w.finish();
}

/** A 1,000-operation batch like the benchmark's: one origin, one collection, keys k00000…, increasing wall clock. */
function benchmarkBatch(): Operation[] {
  const ops: Operation[] = [];
  for (let i = 0; i < 1000; i++) {
    ops.push(put(i, `k${String(i).padStart(5, '0')}`, { n: (i * 37) % 1000, name: `item-${i % 100}`, tags: ['a', 'b'], done: i % 3 === 0 }));
  }
  return ops;
}

/*
 * Made by the encoder before object shapes, key prefixes and the same-origin /
 * collection / wall flags existed (commit d03bea1), from OLD_FIXTURE_OPS.
 */
const OLD_FIXTURE_HEX =
  '0205616c69636503626f620205746f646f73056e6f7465730500000180a0abfef9620000066b30303030310704016e81046e616d65466974656d2d31047461677306024161416204646f6e6501000001000100066b30303030320704016e03c801046e616d65466974656d2d320474616773060004646f6e6502010107cf0f0301066b3030303032020001da0f000005f09f9880780603070201610805016204000000000000f83f0702016103808080808020016200070000010200ffff030005f09f988079054678787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878';

const OLD_FIXTURE_OPS: Operation[] = [
  { origin: 'alice', seq: 1, hlc: { wall: 1700000000000, counter: 0, peer: 'alice' }, collection: 'todos', key: 'k00001', kind: 'put', value: { n: 1, name: 'item-1', tags: ['a', 'b'], done: false } },
  { origin: 'alice', seq: 2, hlc: { wall: 1700000000000, counter: 1, peer: 'alice' }, collection: 'todos', key: 'k00002', kind: 'put', value: { n: 200, name: 'item-2', tags: [], done: true } },
  { origin: 'bob', seq: 7, hlc: { wall: 1699999999000, counter: 3, peer: 'bob' }, collection: 'notes', key: 'k00002', kind: 'del' },
  { origin: 'alice', seq: 1, hlc: { wall: 1700000000005, counter: 0, peer: 'alice' }, collection: 'todos', key: '\u{1F600}x', kind: 'put', value: [{ a: -5, b: 1.5 }, { a: 2 ** 40, b: null }, {}] },
  { origin: 'bob', seq: 9, hlc: { wall: 1700000000005, counter: 65535, peer: 'bob' }, collection: 'todos', key: '\u{1F600}y', kind: 'put', value: 'x'.repeat(70) },
];

describe('batch encoding', () => {
  it('round-trips batches with repeated shapes, shared key prefixes and runs', () => {
    fc.assert(
      fc.property(similarBatchArb, (ops) => {
        expect(decodeOperations(encodeOperations(ops))).toEqual(ops);
        const message = decodeMessage(encodeMessage({ type: 'ops', epoch: 3, n: 1, ops }), { limits: resolveLimits({ maxMessageBytes: 2 ** 30 }) });
        expect(message).toEqual({ type: 'ops', epoch: 3, n: 1, ops });
      }),
      { numRuns: 400 },
    );
  });

  it('keeps operationSize (and validation’s value size) an upper bound of every operation’s bytes in a batch', () => {
    fc.assert(
      fc.property(similarBatchArb, (ops) => {
        // Appending an operation never changes the bytes of the ones before it, so
        // the growth of the batch after the tables is exactly that operation's bytes.
        let previous = encodeOperations([]).length - headerSize([]);
        for (let i = 0; i < ops.length; i++) {
          const prefix = ops.slice(0, i + 1);
          const body = encodeOperations(prefix).length - headerSize(prefix);
          const op = ops[i]!;
          const checked = validateOperation(op);
          expect(checked.ok).toBe(true);
          const bound = operationSize(op, checked.ok ? checked.valueBytes : undefined);
          expect(body - previous).toBeLessThanOrEqual(bound);
          expect(body - previous).toBeLessThanOrEqual(operationSize(op));
          previous = body;
        }
      }),
      { numRuns: 150 },
    );
  });

  it('takes fewer than 30 bytes per operation on the benchmark-like batch', () => {
    const ops = benchmarkBatch();
    const bytes = encodeOperations(ops);
    expect(decodeOperations(bytes)).toEqual(ops);
    expect(bytes.length / ops.length).toBeLessThan(30);
  });

  it('decodes batches written before shapes and the new flags', () => {
    const bytes = Uint8Array.from(Buffer.from(OLD_FIXTURE_HEX, 'hex'));
    expect(decodeOperations(bytes)).toEqual(OLD_FIXTURE_OPS);
    // The same operations now encode smaller, and come back the same.
    const now = encodeOperations(OLD_FIXTURE_OPS);
    expect(now.length).toBeLessThan(bytes.length);
    expect(decodeOperations(now)).toEqual(OLD_FIXTURE_OPS);
  });

  it('writes every truncation and every corruption as a typed error or a batch, never half an operation', () => {
    fc.assert(
      fc.property(similarBatchArb, fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (ops, cut, flips) => {
        const bytes = encodeOperations(ops);
        expectDecodeError(() => decodeOperations(bytes.subarray(0, cut % bytes.length)));
        const mutated = bytes.slice();
        for (const [at, value] of flips) mutated[at % mutated.length] = value;
        try {
          const decoded = decodeOperations(mutated);
          expect(decoded.every((op) => typeof op.key === 'string' && (op.kind === 'del' || 'value' in op))).toBe(true);
        } catch (error) {
          expect(isSyncError(error) && error.code).toBe('E_DECODE');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('keeps any wall clock value exact, however far it jumps', () => {
    const wallArb = fc.oneof(
      fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
      fc.constantFrom(0, -0, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 52, -(2 ** 52), 2 ** 48 - 1),
      fc.double(),
    );
    fc.assert(
      fc.property(fc.array(wallArb, { minLength: 1, maxLength: 12 }), (walls) => {
        const ops = walls.map((wall, i) => put(i, `k${i}`, null, wall));
        const decoded = decodeOperations(encodeOperations(ops));
        decoded.forEach((op, i) => expect(Object.is(op.hlc.wall, walls[i])).toBe(true));
      }),
      { numRuns: 300 },
    );
  });

  it('omits the origin, collection and wall when they repeat, and shares key prefixes', () => {
    const ops = [put(0, 'k00041', 1), put(1, 'k00042', 2, 1_700_000_000_000)];
    const bytes = encodeOperations(ops);
    const first = encodeOperations([ops[0]!]);
    const second = bytes.subarray(first.length);
    // flags, seq delta 1, counter 0, prefix 5, suffix "2", value 2.
    expect([...second]).toEqual([FLAG_KEY_PREFIX | FLAG_SAME_ORIGIN | FLAG_SAME_COLLECTION | FLAG_SAME_WALL, 1, 0, 5, 1, 0x32, 0x82]);
  });

  it('never splits a surrogate pair in a key prefix', () => {
    // "ab\uD83D\uDE00" and "ab\uD83D\uDE01" share three code units; the prefix stops at two.
    const ops = [put(0, 'ab\u{1F600}', 0), put(1, 'ab\u{1F601}', 0)];
    const bytes = encodeOperations(ops);
    expect(decodeOperations(bytes)).toEqual(ops);
    const second = bytes.subarray(encodeOperations([ops[0]!]).length);
    expect(second[0]! & FLAG_KEY_PREFIX).toBe(FLAG_KEY_PREFIX);
    // flags, seq delta, wall delta, counter, then the prefix length.
    expect(second[4]).toBe(2);
    // A prefix that would shrink below two code units is not used.
    const short = [put(0, 'a\u{1F600}', 0), put(1, 'a\u{1F601}', 0)];
    const shortBytes = encodeOperations(short);
    expect(shortBytes[encodeOperations([short[0]!]).length]! & FLAG_KEY_PREFIX).toBe(0);
    expect(decodeOperations(shortBytes)).toEqual(short);
  });

  it('registers a shape after its values, so nested objects take the lower index', () => {
    const ops = [put(0, 'x', { a: { b: 1 } }), put(1, 'y', { a: { b: 2 } })];
    const bytes = encodeOperations(ops);
    expect(decodeOperations(bytes)).toEqual(ops);
    // Inner shape [b] is 0, outer [a] is 1: the second value is shaped 1 ( shaped 0 ( 2 ) ).
    expect([...bytes.subarray(bytes.length - 5)]).toEqual([TAG_SHAPED, 1, TAG_SHAPED, 0, 0x82]);
  });

  it('shapes objects whose key order makes integer-like keys go first, empty objects never, __proto__ as data', () => {
    const proto = JSON.parse('{"__proto__":{"polluted":1},"x":2}') as JsonValue;
    const values: JsonValue[] = [{ b: 1, 1: 2 }, { b: 3, 1: 4 }, {}, {}, proto, JSON.parse('{"__proto__":5,"x":6}') as JsonValue];
    const ops = values.map((value, i) => put(i, `k${i}`, value));
    const decoded = decodeOperations(encodeOperations(ops));
    expect(decoded).toEqual(ops);
    const last = (decoded[5] as { value: Record<string, unknown> }).value;
    expect(Object.getPrototypeOf(last)).toBe(Object.prototype);
    expect(Object.keys(last)).toEqual(['__proto__', 'x']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it(`stops registering shapes after ${MAX_SHAPES} and writes later objects in full`, () => {
    const ops: Operation[] = [];
    for (let i = 0; i <= MAX_SHAPES; i++) ops.push(put(i, `k${i}`, { [`f${i}`]: 0 }));
    ops.push(put(MAX_SHAPES + 1, 'again-first', { f0: 1 }), put(MAX_SHAPES + 2, 'again-last', { [`f${MAX_SHAPES}`]: 1 }));
    const bytes = encodeOperations(ops);
    expect(decodeOperations(bytes)).toEqual(ops);
    // The very last value (an unregistered shape) is written in full: tag, count 1, "f16384", 1.
    expect([...bytes.subarray(bytes.length - 10)]).toEqual([TAG_OBJECT, 1, 6, ...Buffer.from(`f${MAX_SHAPES}`), 0x81]);
    // The one before (the first shape) is shaped: tag, index 0, 1.
    const before = encodeOperations(ops.slice(0, -1));
    expect([...before.subarray(before.length - 3)]).toEqual([TAG_SHAPED, 0, 0x81]);
    // A reference to the unregistered index is refused.
    const crafted = rawBatch(MAX_SHAPES + 2, (w) => {
      for (let i = 0; i <= MAX_SHAPES; i++) {
        w.u8(i === 0 ? 0 : FLAG_SAME_ORIGIN | FLAG_SAME_COLLECTION);
        if (i === 0) w.varint(0);
        w.varint(1);
        w.zigzag(0);
        w.varint(0);
        if (i === 0) w.varint(0);
        w.string(`k${i}`);
        w.u8(TAG_OBJECT);
        w.varint(1);
        w.string(`f${i}`);
        w.u8(0x80);
      }
      w.u8(FLAG_SAME_ORIGIN | FLAG_SAME_COLLECTION | FLAG_SAME_WALL);
      w.varint(1);
      w.varint(0);
      w.string('z');
      w.u8(TAG_SHAPED);
      w.varint(MAX_SHAPES);
      w.u8(0x80);
    });
    expectDecodeError(() => decodeOperations(crafted), /unknown shape index 16384/);
  });

  it('bounds the key text a batch may take from shapes and prefixes', () => {
    const longKey = 'q'.repeat(2 ** 20);
    const per = MAX_BATCH_EXPANSION / longKey.length;
    const ops: Operation[] = [];
    // One-letter keys: no key prefixes to take from the budget.
    for (let i = 0; i < per + 2; i++) ops.push(put(i, String.fromCharCode(65 + i), { [longKey]: i }));
    const bytes = encodeOperations(ops);
    expect(decodeOperations(bytes)).toEqual(ops);
    // The first and the last object are written in full, the ones between are shaped.
    expect(bytes.length).toBeGreaterThan(2 * longKey.length);
    expect(bytes.length).toBeLessThan(2 * longKey.length + 1000);
    // A crafted batch that references the shape once more is refused.
    const crafted = rawBatch(per + 2, (w) => {
      for (let i = 0; i < per + 2; i++) {
        w.u8(i === 0 ? 0 : FLAG_SAME_ORIGIN | FLAG_SAME_COLLECTION | FLAG_SAME_WALL);
        if (i === 0) w.varint(0);
        w.varint(1);
        if (i === 0) w.zigzag(0);
        w.varint(0);
        if (i === 0) w.varint(0);
        w.string(`k${i}`);
        if (i === 0) {
          w.u8(TAG_OBJECT);
          w.varint(1);
          w.string(longKey);
        } else {
          w.u8(TAG_SHAPED);
          w.varint(0);
        }
        w.u8(0x80);
      }
    });
    expectDecodeError(() => decodeOperations(crafted), /beyond the batch limit/);
  });

  it('counts key prefixes against the same bound', () => {
    const longKey = 'q'.repeat(2 ** 20);
    const per = MAX_BATCH_EXPANSION / longKey.length;
    const ops: Operation[] = [];
    for (let i = 0; i < per + 2; i++) ops.push({ origin: 'a', seq: i + 1, hlc: { wall: 5, counter: 0, peer: 'a' }, collection: 'c', key: longKey, kind: 'del' });
    const bytes = encodeOperations(ops);
    expect(decodeOperations(bytes)).toEqual(ops);
    // The first and the last key are written in full, the ones between as prefixes.
    expect(bytes.length).toBeGreaterThan(2 * longKey.length);
    expect(bytes.length).toBeLessThan(2 * longKey.length + 1000);
    const crafted = rawBatch(per + 2, (w) => {
      for (let i = 0; i < per + 2; i++) {
        w.u8(FLAG_DELETE | (i === 0 ? 0 : FLAG_KEY_PREFIX | FLAG_SAME_ORIGIN | FLAG_SAME_COLLECTION | FLAG_SAME_WALL));
        if (i === 0) w.varint(0);
        w.varint(1);
        if (i === 0) w.zigzag(0);
        w.varint(0);
        if (i === 0) {
          w.varint(0);
          w.string(longKey);
        } else {
          w.varint(longKey.length);
          w.string('');
        }
      }
    });
    expectDecodeError(() => decodeOperations(crafted), /beyond the batch limit/);
  });

  describe('refuses structurally broken batches with E_DECODE', () => {
    /** One put of null with the given flags and the given key field bytes, after a first plain op keyed "key". */
    function secondOp(flags: number, keyField: (w: ByteWriter) => void): Uint8Array {
      return rawBatch(2, (w) => {
        w.u8(0);
        w.varint(0);
        w.varint(1);
        w.zigzag(0);
        w.varint(0);
        w.varint(0);
        w.string('key');
        w.u8(0);
        w.u8(flags);
        if (!(flags & FLAG_SAME_ORIGIN)) w.varint(0);
        w.varint(1);
        if (!(flags & FLAG_SAME_WALL)) {
          if (flags & FLAG_WALL_F64) w.f64(5);
          else w.zigzag(0);
        }
        w.varint(0);
        if (!(flags & FLAG_SAME_COLLECTION)) w.varint(0);
        keyField(w);
        if (!(flags & FLAG_DELETE)) w.u8(0);
      });
    }

    it('accepts the well-formed control case', () => {
      const ops = decodeOperations(secondOp(FLAG_KEY_PREFIX | FLAG_SAME_ORIGIN | FLAG_SAME_COLLECTION, (w) => (w.varint(3), w.string('!'))));
      expect(ops.map((op) => op.key)).toEqual(['key', 'key!']);
      expect(decodeOperations(secondOp(FLAG_WALL_F64, (w) => w.string('x')))[1]!.hlc.wall).toBe(5);
    });

    it('an unknown shape index', () => {
      const bytes = rawBatch(1, (w) => {
        w.u8(0);
        w.varint(0);
        w.varint(1);
        w.zigzag(0);
        w.varint(0);
        w.varint(0);
        w.string('k');
        w.u8(TAG_SHAPED);
        w.varint(0);
      });
      expectDecodeError(() => decodeOperations(bytes), /unknown shape index 0/);
    });

    it('a key prefix longer than the previous key', () => {
      expectDecodeError(() => decodeOperations(secondOp(FLAG_KEY_PREFIX, (w) => (w.varint(4), w.string('')))), /key prefix of 4 exceeds/);
    });

    it('a key prefix, a same origin or a same collection on the first operation', () => {
      for (const flag of [FLAG_KEY_PREFIX, FLAG_SAME_ORIGIN, FLAG_SAME_COLLECTION]) {
        const bytes = rawBatch(1, (w) => {
          w.u8(FLAG_DELETE | flag);
          if (flag !== FLAG_SAME_ORIGIN) w.varint(0);
          w.varint(1);
          w.zigzag(0);
          w.varint(0);
          if (flag !== FLAG_SAME_COLLECTION) w.varint(0);
          if (flag === FLAG_KEY_PREFIX) w.varint(0);
          w.string('k');
        });
        expectDecodeError(() => decodeOperations(bytes), /first operation/);
      }
    });

    it('an unknown flag, or both wall encodings at once', () => {
      expectDecodeError(() => decodeOperations(secondOp(0x80 | FLAG_DELETE, (w) => w.string('x'))));
      expectDecodeError(() => decodeOperations(secondOp(FLAG_SAME_WALL | FLAG_WALL_F64, (w) => w.string('x'))), /two wall encodings/);
    });

    it('a truncated batch', () => {
      const bytes = secondOp(FLAG_KEY_PREFIX | FLAG_SAME_ORIGIN, (w) => (w.varint(2), w.string('y')));
      expect(decodeOperations(bytes).map((op) => op.key)).toEqual(['key', 'key'.slice(0, 2) + 'y']);
      for (let cut = 0; cut < bytes.length; cut++) expectDecodeError(() => decodeOperations(bytes.subarray(0, cut)));
    });
  });
});

describe('value sizes', () => {
  it('a value inside a batch is never larger than the size validation counted', () => {
    fc.assert(
      fc.property(similarBatchArb, (ops) => {
        const base = ops.map((op): Operation => ({ origin: op.origin, seq: op.seq, hlc: op.hlc, collection: op.collection, key: op.key, kind: 'del' }));
        for (let i = 0; i < ops.length; i++) {
          const op = ops[i]!;
          if (op.kind !== 'put') continue;
          const checked = validateOperation(op);
          if (!checked.ok) throw checked.error;
          // The same batch with this op a delete differs by this value's bytes (and the delete flag only).
          const withValue = encodeOperations(ops.slice(0, i + 1)).length;
          const without = encodeOperations([...ops.slice(0, i), base[i]!]).length;
          expect(withValue - without).toBeLessThanOrEqual(checked.valueBytes);
        }
      }),
      { numRuns: 100 },
    );
  });
});
