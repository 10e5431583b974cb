import fc from 'fast-check';
import { VersionVector, type JsonValue, type Operation } from '@softadastra/sync-core';

const peerIdArb = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/).filter((s) => s !== '__proto__');
const nameArb = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s !== '__proto__');

const jsonValueArb: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
    fc.string({ maxLength: 20 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(nameArb, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Valid-looking operations (the codec needs the hlc peer to be the origin). */
export const operationArb: fc.Arbitrary<Operation> = peerIdArb.chain((origin) =>
  fc
    .record({
      seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      wall: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
      counter: fc.integer({ min: 0, max: 0xffff }),
      collection: nameArb,
      key: nameArb,
      put: fc.option(jsonValueArb, { nil: undefined }),
    })
    .map(({ seq, wall, counter, collection, key, put }): Operation => {
      const hlc = { wall, counter, peer: origin };
      return put === undefined
        ? { origin, seq, hlc, collection, key, kind: 'del' }
        : { origin, seq, hlc, collection, key, kind: 'put', value: put };
    }),
);

export const versionVectorArb: fc.Arbitrary<VersionVector> = fc
  .dictionary(peerIdArb, fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { maxLength: 10 }), { maxKeys: 4 })
  .map((sets) => {
    const vv = new VersionVector();
    for (const [origin, seqs] of Object.entries(sets)) for (const seq of seqs) vv.add({ origin, seq });
    return vv;
  });

export const metaArb: fc.Arbitrary<Record<string, string>> = fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), {
  maxKeys: 4,
});
