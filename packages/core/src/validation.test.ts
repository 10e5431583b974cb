import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { operationArb } from '../test/arbitraries.js';
import { DEFAULT_LIMITS, copyValue, resolveLimits, validateOperation, type SyncErrorCode } from './index.js';

const good = { origin: 'alice', seq: 1, hlc: { wall: 1_700_000_000_000, counter: 0, peer: 'alice' }, collection: 'todos', key: 'k1', kind: 'put', value: { title: 'x' } };

function codeOf(input: unknown, limits = DEFAULT_LIMITS): SyncErrorCode | 'ok' {
  const result = validateOperation(input, limits);
  return result.ok ? 'ok' : result.error.code;
}

describe('validateOperation', () => {
  it('accepts a well-formed put and delete and returns a normalised copy', () => {
    const result = validateOperation({ ...good, extra: 'dropped' });
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.op).toEqual(good);
      expect('extra' in result.op).toBe(false);
    }
    expect(codeOf({ ...good, kind: 'del', value: undefined })).toBe('ok');
  });

  const cases: Array<[string, unknown, SyncErrorCode]> = [
    ['a non-object', 42, 'E_INVALID_OP'],
    ['an array', [], 'E_INVALID_OP'],
    ['null', null, 'E_INVALID_OP'],
    ['a bad origin', { ...good, origin: 'not valid!' }, 'E_INVALID_ORIGIN'],
    ['origin __proto__', { ...good, origin: '__proto__' }, 'E_INVALID_ORIGIN'],
    ['seq 0', { ...good, seq: 0 }, 'E_INVALID_SEQ'],
    ['a fractional seq', { ...good, seq: 1.5 }, 'E_INVALID_SEQ'],
    ['an unsafe seq', { ...good, seq: 2 ** 53 }, 'E_INVALID_SEQ'],
    ['a missing hlc', { ...good, hlc: undefined }, 'E_INVALID_HLC'],
    ['a negative wall', { ...good, hlc: { ...good.hlc, wall: -1 } }, 'E_INVALID_HLC'],
    ['a wall past 2^48', { ...good, hlc: { ...good.hlc, wall: 2 ** 48 } }, 'E_INVALID_HLC'],
    ['a counter past 16 bits', { ...good, hlc: { ...good.hlc, counter: 70_000 } }, 'E_INVALID_HLC'],
    ['an hlc of another peer', { ...good, hlc: { ...good.hlc, peer: 'bob' } }, 'E_INVALID_HLC'],
    ['an unknown kind', { ...good, kind: 'merge' }, 'E_INVALID_KIND'],
    ['an empty collection', { ...good, collection: '' }, 'E_INVALID_COLLECTION'],
    ['a numeric collection', { ...good, collection: 5 }, 'E_INVALID_COLLECTION'],
    ['collection __proto__', { ...good, collection: '__proto__' }, 'E_INVALID_COLLECTION'],
    ['an empty key', { ...good, key: '' }, 'E_INVALID_KEY'],
    ['key __proto__', { ...good, key: '__proto__' }, 'E_INVALID_KEY'],
    ['a key with a lone surrogate', { ...good, key: 'a\ud800' }, 'E_INVALID_KEY'],
    ['a key over 1 KiB', { ...good, key: 'é'.repeat(513) }, 'E_INVALID_KEY'],
    ['a collection over 1 KiB', { ...good, collection: 'x'.repeat(1025) }, 'E_INVALID_COLLECTION'],
    ['a put without value', { ...good, value: undefined }, 'E_INVALID_VALUE'],
    ['NaN', { ...good, value: Number.NaN }, 'E_INVALID_VALUE'],
    ['Infinity deep inside', { ...good, value: { a: [1, { b: Number.POSITIVE_INFINITY }] } }, 'E_INVALID_VALUE'],
    ['a __proto__ key in a value', { ...good, value: JSON.parse('{"a":{"__proto__":{"polluted":true}}}') as unknown }, 'E_INVALID_VALUE'],
    ['a class instance', { ...good, value: new Date(0) }, 'E_INVALID_VALUE'],
    ['a Map', { ...good, value: new Map() }, 'E_INVALID_VALUE'],
    ['a function', { ...good, value: () => 1 }, 'E_INVALID_VALUE'],
    ['undefined inside an array', { ...good, value: [1, undefined] }, 'E_INVALID_VALUE'],
    ['a sparse array', { ...good, value: [1, , 3] }, 'E_INVALID_VALUE'], // eslint-disable-line no-sparse-arrays
    ['a bigint', { ...good, value: 10n }, 'E_INVALID_VALUE'],
    ['a string with a lone surrogate', { ...good, value: '\udc00x' }, 'E_INVALID_VALUE'],
    ['a delete with a value', { ...good, kind: 'del' }, 'E_INVALID_VALUE'],
    ['a value over 1 MiB', { ...good, value: 'x'.repeat(1024 * 1024) }, 'E_TOO_LARGE'],
  ];
  for (const [name, input, code] of cases) {
    it(`rejects ${name} with ${code}`, () => {
      const result = validateOperation(input);
      expect(result.ok ? 'ok' : result.error.code).toBe(code);
      if (!result.ok) expect(result.error.message.length).toBeGreaterThan(10);
    });
  }

  it('rejects a value nested deeper than the limit with E_TOO_LARGE', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = [deep];
    expect(codeOf({ ...good, value: deep })).toBe('E_TOO_LARGE');
    expect(codeOf({ ...good, value: deep }, resolveLimits({ maxValueDepth: 100 }))).toBe('ok');
  });

  it('refuses a cyclic value with E_INVALID_VALUE, saying it is cyclic, and a deep shared (acyclic) one with E_TOO_LARGE', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const long: unknown[] = [];
    let tail: unknown[] = long;
    for (let i = 0; i < 10; i++) {
      const next: unknown[] = [];
      tail.push(next);
      tail = next;
    }
    tail.push({ back: long });
    for (const value of [cyclic, [1, { a: cyclic }], long]) {
      const result = validateOperation({ ...good, value });
      expect(result.ok ? 'ok' : result.error.code).toBe('E_INVALID_VALUE');
      if (!result.ok) expect(result.error.message).toContain('cyclic');
      const copied = copyValue(value);
      expect(copied.ok ? 'ok' : copied.error.code).toBe('E_INVALID_VALUE');
    }
    // The same object many times on one path is not a cycle when it never contains itself.
    const leaf = { x: 1 };
    let shared: unknown = leaf;
    for (let i = 0; i < 70; i++) shared = [shared, leaf];
    const result = validateOperation({ ...good, value: shared });
    expect(result.ok ? 'ok' : result.error.code).toBe('E_TOO_LARGE');
    if (!result.ok) expect(result.error.message).not.toContain('cyclic');
  });

  it('gives every key problem E_INVALID_KEY, saying what is wrong', () => {
    const messages = ['', '__proto__', 'x'.repeat(1025), '\ud800', 42].map((key) => {
      const result = validateOperation({ ...good, key });
      expect(result.ok ? 'ok' : result.error.code).toBe('E_INVALID_KEY');
      return result.ok ? '' : result.error.message;
    });
    expect(messages[0]).toContain('empty');
    expect(messages[2]).toContain('over the limit');
  });

  it('names the op in the error for ops with an id', () => {
    const result = validateOperation({ ...good, seq: 9, value: Number.NaN });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.opId).toEqual({ origin: 'alice', seq: 9 });
      expect(result.error.message).toContain('alice:9');
    }
  });

  it('accepts every generated valid operation', () => {
    fc.assert(
      fc.property(operationArb, (op) => {
        expect(codeOf(op, resolveLimits({ maxValueBytes: 10 ** 9 }))).toBe('ok');
      }),
    );
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true }), (input) => {
        validateOperation(input);
        validateOperation({ ...good, value: input });
      }),
    );
  });

  it('refuses nonsensical limits', () => {
    expect(() => resolveLimits({ maxKeyBytes: 0 })).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }) as Error);
  });
});

describe('copyValue', () => {
  it('returns a deep copy with the size validation counts, and refuses what validation refuses', async () => {
    const { copyValue, checkValue } = await import('./index.js');
    const original = { a: [1, { b: 'x' }], c: null };
    const result = copyValue(original);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.value).toEqual(original);
      expect(result.value).not.toBe(original);
      expect((result.value as { a: unknown[] }).a[1]).not.toBe(original.a[1]);
      const checked = checkValue(original);
      expect(checked.ok && checked.bytes).toBe(result.bytes);
    }
    expect(copyValue({ x: Number.NaN }).ok).toBe(false);
  });
});
