import fc from 'fast-check';
import type { Hlc, JsonValue, OpId, Operation, SyncMessage } from '../src/index.js';
import { OPERATION_TYPES, VersionVector } from '../src/index.js';

export const peerIdArb = fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/).filter((s) => s !== '__proto__');

export const hlcArb = (peer: fc.Arbitrary<string> = peerIdArb): fc.Arbitrary<Hlc> =>
  fc.record({
    wall: fc.oneof(fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 })),
    counter: fc.integer({ min: 0, max: 0xffff }),
    peer,
  });

const keyString = fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }));

export const jsonValueArb: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
    fc.string({ unit: 'grapheme', maxLength: 80 }),
    fc.string({ maxLength: 5 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(
      keyString.filter((k) => k !== '__proto__'),
      tie('value'),
      { maxKeys: 5 },
    ),
  ),
})).value;

export const operationArb: fc.Arbitrary<Operation> = peerIdArb.chain((origin) =>
  fc.record({
    seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    hlc: hlcArb(fc.constant(origin)),
    collection: keyString.filter((k) => k !== '__proto__'),
    key: keyString.filter((k) => k !== '__proto__'),
    put: fc.option(jsonValueArb, { nil: undefined }),
    // Mostly LWW, as in real spaces; sometimes a typed write (any JSON payload: the codec does not read it).
    type: fc.option(fc.constantFrom(...OPERATION_TYPES), { nil: undefined, freq: 3 }),
    // Sometimes what a causal writer had seen.
    deps: fc.option(fc.dictionary(peerIdArb, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), { maxKeys: 3 }), { nil: undefined, freq: 3 }),
  }).map(({ seq, hlc, collection, key, put, type, deps: rawDeps }): Operation => {
    const deps = rawDeps === undefined ? undefined : Object.fromEntries(Object.entries(rawDeps).filter(([peer]) => peer !== origin));
    const base = deps === undefined ? { origin, seq, hlc, collection, key } : { origin, seq, hlc, collection, key, deps };
    return put === undefined
      ? { ...base, kind: 'del' }
      : type === undefined
        ? { ...base, kind: 'put', value: put }
        : { ...base, kind: 'put', type, value: put };
  }),
);

/** A version vector as a model: origin → sorted list of seqs. */
export const seqSetsArb = fc.dictionary(
  peerIdArb,
  fc.uniqueArray(fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 2 ** 40 })), { maxLength: 30 }),
  { maxKeys: 5 },
);

export function vvFromSets(sets: Record<string, number[]>): VersionVector {
  const vv = new VersionVector();
  for (const [origin, seqs] of Object.entries(sets)) for (const seq of seqs) vv.add({ origin, seq });
  return vv;
}

export const versionVectorArb = seqSetsArb.map(vvFromSets);

const opIdArb: fc.Arbitrary<OpId> = fc.record({ origin: peerIdArb, seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) });
const epochArb = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

export const messageArb: fc.Arbitrary<SyncMessage> = fc.oneof(
  fc.record({
    type: fc.constant('hello' as const),
    protocol: fc.integer({ min: 0, max: 1000 }),
    epoch: epochArb,
    peer: peerIdArb,
    space: fc.string({ maxLength: 40 }),
    vv: versionVectorArb,
  }),
  fc.record({ type: fc.constant('ops' as const), epoch: epochArb, n: epochArb, ops: fc.array(operationArb, { maxLength: 8 }) }),
  fc.record({ type: fc.constant('covered' as const), epoch: epochArb, n: epochArb, vv: versionVectorArb }),
  fc.record({ type: fc.constant('ack' as const), vv: versionVectorArb }),
  fc.record(
    { type: fc.constant('stable' as const), vv: versionVectorArb, reply: fc.record({ epoch: epochArb, n: epochArb, covered: versionVectorArb }) },
    { requiredKeys: ['type', 'vv'] },
  ),
  fc.record({ type: fc.constant('digest-request' as const), id: epochArb, leaves: fc.boolean() }),
  fc.record(
    {
      type: fc.constant('digest' as const),
      id: epochArb,
      root: fc.stringMatching(/^[0-9a-f]{16}$/),
      count: fc.nat(),
      buckets: fc.array(fc.stringMatching(/^[0-9a-f]{16}$/), { maxLength: 4 }),
      leaves: fc.array(fc.record({ collection: fc.string({ maxLength: 8 }), key: fc.string({ maxLength: 8 }), winner: fc.string({ maxLength: 12 }) }), { maxLength: 3 }),
    },
    { requiredKeys: ['type', 'id', 'root', 'count', 'buckets'] },
  ),
  fc.record(
    { type: fc.constant('error' as const), code: fc.string({ maxLength: 20 }), message: fc.string({ maxLength: 100 }), opIds: fc.array(opIdArb, { minLength: 1, maxLength: 4 }) },
    { requiredKeys: ['type', 'code', 'message'] },
  ),
);

/** A valid collection name or operation key: non-empty, well-formed, not `__proto__`. */
function nameOr(name: string, fallback: string): string {
  return name === '' || name === '__proto__' ? fallback : name;
}

/**
 * Key stems that share prefixes, including surrogate pairs that share their
 * high half (😀 U+1F600 and 😁 U+1F601 both start with \uD83D).
 */
const similarKeyArb = fc
  .tuple(
    fc.constantFrom('k0', 'k00', 'k000', 'user/', 'user/42/', 'ab\u{1F600}', 'ab\u{1F601}', 'a\u{1F600}', '\u{1F600}', '\u{1F601}x', 'é', 'x'),
    fc.oneof(fc.constant(''), fc.string({ maxLength: 4 }), fc.string({ unit: 'grapheme', maxLength: 3 }), fc.integer({ min: 0, max: 999 }).map(String)),
  )
  .map(([stem, rest]) => nameOr(stem + rest, 'k'));

const objectKeyArb = fc.oneof(fc.constantFrom('n', 'name', 'tags', 'done', 'id', '0', '1', 'ü', '\u{1F600}', ''), fc.string({ maxLength: 6 })).filter((k) => k !== '__proto__');

const MAX_WALL = 2 ** 48 - 1;

interface BatchStep {
  readonly sameOrigin: boolean;
  readonly origin: number;
  readonly sameCollection: boolean;
  readonly collection: number;
  readonly key: number;
  readonly keyTail: string;
  readonly wall: readonly ['same' | 'up' | 'down' | 'jump', number];
  readonly counter: number;
  readonly seq: readonly ['next' | 'down' | 'any', number];
  readonly value: JsonValue | undefined;
}

/**
 * Batches that look like real ones: runs of one origin and one collection,
 * keys sharing prefixes (and surrogate pairs), values made of a few repeated
 * object shapes (nested too), wall clocks going up, staying, going back and
 * jumping. Every operation is valid.
 */
export const similarBatchArb: fc.Arbitrary<Operation[]> = fc
  .record({
    origins: fc.uniqueArray(peerIdArb, { minLength: 1, maxLength: 3 }),
    collections: fc.uniqueArray(keyString.map((c) => nameOr(c, 'c')), { minLength: 1, maxLength: 3 }),
    keys: fc.array(similarKeyArb, { minLength: 1, maxLength: 8 }),
    shapes: fc.array(fc.uniqueArray(objectKeyArb, { minLength: 0, maxLength: 5 }), { minLength: 1, maxLength: 4 }),
    startWall: fc.oneof(fc.integer({ min: 0, max: MAX_WALL }), fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 })),
  })
  .chain((ctx) => {
    const shapedValue = fc.letrec<{ value: JsonValue }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.oneof(fc.constant(null), fc.boolean(), fc.integer({ min: -300, max: 300 }), fc.constantFrom('a', 'b', 'item-42'), fc.string({ maxLength: 8 })),
        fc.tuple(fc.constantFrom(...ctx.shapes), fc.array(tie('value'), { minLength: 5, maxLength: 5 })).map(([keys, items]) => {
          const out: Record<string, JsonValue> = {};
          keys.forEach((key, i) => (out[key] = items[i]!));
          return out;
        }),
        fc.array(tie('value'), { maxLength: 3 }),
      ),
    })).value;
    const step: fc.Arbitrary<BatchStep> = fc.record({
      sameOrigin: fc.boolean(),
      origin: fc.nat(),
      sameCollection: fc.boolean(),
      collection: fc.nat(),
      key: fc.nat(),
      keyTail: fc.oneof(fc.constant(''), fc.integer({ min: 0, max: 99 }).map(String), fc.string({ unit: 'grapheme', maxLength: 2 })),
      wall: fc.oneof(
        fc.tuple(fc.constant('same' as const), fc.constant(0)),
        fc.tuple(fc.constant('up' as const), fc.integer({ min: 1, max: 3000 })),
        fc.tuple(fc.constant('down' as const), fc.integer({ min: 1, max: 100_000 })),
        fc.tuple(fc.constant('jump' as const), fc.integer({ min: 0, max: MAX_WALL })),
      ),
      counter: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })),
      seq: fc.oneof(
        { weight: 4, arbitrary: fc.tuple(fc.constant('next' as const), fc.integer({ min: 1, max: 3 })) },
        fc.tuple(fc.constant('down' as const), fc.integer({ min: 1, max: 50 })),
        fc.tuple(fc.constant('any' as const), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
      ),
      value: fc.option(shapedValue, { nil: undefined, freq: 6 }),
    });
    return fc.array(step, { minLength: 1, maxLength: 60 }).map((steps) => {
      const ops: Operation[] = [];
      const lastSeq = new Map<string, number>();
      let origin = ctx.origins[0]!;
      let collection = ctx.collections[0]!;
      let wall = ctx.startWall;
      for (const s of steps) {
        if (!s.sameOrigin) origin = ctx.origins[s.origin % ctx.origins.length]!;
        if (!s.sameCollection) collection = ctx.collections[s.collection % ctx.collections.length]!;
        const [wallMove, amount] = s.wall;
        if (wallMove === 'up') wall = Math.min(MAX_WALL, wall + amount);
        else if (wallMove === 'down') wall = Math.max(0, wall - amount);
        else if (wallMove === 'jump') wall = amount;
        const previous = lastSeq.get(origin) ?? 0;
        const [seqMove, by] = s.seq;
        const seq = seqMove === 'next' ? Math.min(Number.MAX_SAFE_INTEGER, previous + by) : seqMove === 'down' ? Math.max(1, previous - by) : by;
        lastSeq.set(origin, seq);
        const key = nameOr(ctx.keys[s.key % ctx.keys.length]! + s.keyTail, 'k');
        const hlc = { wall, counter: s.counter, peer: origin };
        ops.push(s.value === undefined ? { origin, seq, hlc, collection, key, kind: 'del' } : { origin, seq, hlc, collection, key, kind: 'put', value: s.value });
      }
      return ops;
    });
  });
