import { DEFAULT_LIMITS, type SyncErrorCode } from '@softadastra/sync-core';

/**
 * What an application may hand to `put()`: values over the limits of core's
 * `limits.ts` or not JSON at all (which must be refused with a typed error
 * and leave no trace), and values exactly at the limits (which must be
 * stored and synced like any other).
 * @internal
 */
export const HOSTILE_VALUES = [
  'too-large',
  'too-deep',
  'cyclic',
  'not-finite',
  'function',
  'bigint',
  'class-instance',
  'lone-surrogate',
  'proto-key',
  'undefined-inside',
  'key-too-long',
  'largest',
  'deepest',
  'longest-key',
] as const;

/** One of {@link HOSTILE_VALUES}. @internal */
export type HostileValue = (typeof HOSTILE_VALUES)[number];

/** A hostile write as the application issues it, and the error codes that may refuse it (none: it must be accepted). @internal */
export interface HostileWrite {
  readonly collection: string;
  readonly key: string;
  readonly value: unknown;
  readonly refusedWith: readonly SyncErrorCode[] | undefined;
}

/** The collection hostile writes go to, one key each, so that a trace of one can be looked for everywhere. @internal */
export const HOSTILE_COLLECTION = 'hostile';

function nested(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/**
 * Builds the write for a hostile value.
 *
 * @param kind - which value
 * @param id - makes the key unique within the run
 * @internal
 */
export function hostileWrite(kind: HostileValue, id: number): HostileWrite {
  const key = `h${id}`;
  const limits = DEFAULT_LIMITS;
  const write = (value: unknown, refusedWith?: readonly SyncErrorCode[]): HostileWrite => ({ collection: HOSTILE_COLLECTION, key, value, refusedWith });
  switch (kind) {
    case 'too-large':
      // One more character than the limit: encoded, it is over whatever the length prefix.
      return write('x'.repeat(limits.maxValueBytes + 1), ['E_TOO_LARGE']);
    case 'too-deep':
      // The top level is depth 0: maxValueDepth + 1 nested arrays put a value at depth maxValueDepth.
      return write(nested(limits.maxValueDepth + 1), ['E_TOO_LARGE']);
    case 'cyclic': {
      const loop: unknown[] = [];
      loop.push(loop);
      return write(loop, ['E_INVALID_VALUE']);
    }
    case 'not-finite':
      return write({ ratio: Number.NaN }, ['E_INVALID_VALUE']);
    case 'function':
      return write({ run: () => 1 }, ['E_INVALID_VALUE']);
    case 'bigint':
      return write([1n], ['E_INVALID_VALUE']);
    case 'class-instance':
      return write({ when: new Date(0) }, ['E_INVALID_VALUE']);
    case 'lone-surrogate':
      return write('ab\uD800', ['E_INVALID_VALUE']);
    case 'proto-key':
      return write(JSON.parse('{"__proto__": {"polluted": true}}') as unknown, ['E_INVALID_VALUE']);
    case 'undefined-inside':
      return write({ a: 1, b: undefined }, ['E_INVALID_VALUE']);
    case 'key-too-long':
      // Every problem of a name is E_INVALID_KEY, an over-long one too.
      return { collection: HOSTILE_COLLECTION, key: key.padEnd(limits.maxKeyBytes + 1, 'k'), value: 1, refusedWith: ['E_INVALID_KEY'] };
    case 'largest':
      // Room for the string's length prefix: just under the limit, accepted.
      return write('y'.repeat(limits.maxValueBytes - 16));
    case 'deepest':
      return write(nested(limits.maxValueDepth));
    case 'longest-key':
      return { collection: HOSTILE_COLLECTION, key: key.padEnd(limits.maxKeyBytes, 'k'), value: 2, refusedWith: undefined };
  }
}
