import fc from 'fast-check';
import type { Hlc, JsonValue, OpId, Operation, SyncMessage } from '../src/index.js';
import { VersionVector } from '../src/index.js';

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
  }).map(({ seq, hlc, collection, key, put }): Operation =>
    put === undefined
      ? { origin, seq, hlc, collection, key, kind: 'del' }
      : { origin, seq, hlc, collection, key, kind: 'put', value: put },
  ),
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
