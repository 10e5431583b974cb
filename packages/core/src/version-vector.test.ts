import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seqSetsArb, versionVectorArb, vvFromSets } from '../test/arbitraries.js';
import { VersionVector, mergeVersionVectors, type SeqRange } from './index.js';

function expand(ranges: readonly SeqRange[]): string[] {
  const out: string[] = [];
  for (const r of ranges) for (let s = r.from; s <= r.to; s++) out.push(`${r.origin}:${s}`);
  return out.sort();
}

// Keep the model small enough to expand: seqs up to 2^40 only appear alone.
function modelIds(sets: Record<string, number[]>): Set<string> {
  const ids = new Set<string>();
  for (const [origin, seqs] of Object.entries(sets)) for (const seq of seqs) ids.add(`${origin}:${seq}`);
  return ids;
}

describe('VersionVector', () => {
  it('merge is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(versionVectorArb, versionVectorArb, versionVectorArb, (a, b, c) => {
        expect(mergeVersionVectors(a, b).equals(mergeVersionVectors(b, a))).toBe(true);
        expect(mergeVersionVectors(mergeVersionVectors(a, b), c).equals(mergeVersionVectors(a, mergeVersionVectors(b, c)))).toBe(true);
        expect(mergeVersionVectors(a, a).equals(a)).toBe(true);
        const merged = mergeVersionVectors(a, b);
        expect(merged.dominates(a) && merged.dominates(b)).toBe(true);
      }),
    );
  });

  it('holds exactly the ids added, as a set model does', () => {
    fc.assert(
      fc.property(seqSetsArb, fc.array(fc.tuple(fc.string({ maxLength: 3 }), fc.integer({ min: 1, max: 50 }))), (sets, probes) => {
        const vv = vvFromSets(sets);
        const model = modelIds(sets);
        for (const id of model) {
          const at = id.lastIndexOf(':');
          expect(vv.has({ origin: id.slice(0, at), seq: Number(id.slice(at + 1)) })).toBe(true);
        }
        for (const [origin, seq] of probes) expect(vv.has({ origin, seq })).toBe(model.has(`${origin}:${seq}`));
        expect(vv.count()).toBe(model.size);
      }),
    );
  });

  it('missingFrom is exactly the set difference', () => {
    const small = fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 40 }));
    fc.assert(
      fc.property(small, small, (x, y) => {
        const a = vvFromSets(x);
        const b = vvFromSets(y);
        const expected = [...modelIds(x)].filter((id) => !modelIds(y).has(id)).sort();
        const missing = a.missingFrom(b);
        expect(expand(missing)).toEqual(expected);
        // Ranges come out maximal and increasing per origin.
        for (let i = 1; i < missing.length; i++) {
          if (missing[i]!.origin === missing[i - 1]!.origin) expect(missing[i]!.from).toBeGreaterThan(missing[i - 1]!.to + 1);
        }
        expect(a.dominates(b)).toBe(b.missingFrom(a).length === 0);
      }),
    );
  });

  it('merge and addRange in any order give the set union, as maximal increasing ranges', () => {
    const ranges = fc.array(fc.tuple(fc.constantFrom('a', 'b'), fc.integer({ min: 1, max: 80 }), fc.integer({ min: 0, max: 6 })), { maxLength: 40 });
    // The canonical JSON of a set of ids: per origin, maximal runs.
    const canonical = (ids: Set<string>): Record<string, number | number[]> => {
      const out: Record<string, number | number[]> = {};
      for (const origin of ['a', 'b']) {
        const seqs = [...ids].filter((id) => id.startsWith(`${origin}:`)).map((id) => Number(id.slice(2))).sort((x, y) => x - y);
        const list: number[] = [];
        for (const seq of seqs) {
          if (list.length > 0 && list[list.length - 1] === seq - 1) list[list.length - 1] = seq;
          else list.push(seq, seq);
        }
        if (list.length > 0) out[origin] = list.length === 2 && list[0] === 1 ? list[1]! : list;
      }
      return out;
    };
    fc.assert(
      fc.property(ranges, ranges, (xs, ys) => {
        const model = new Set<string>();
        const build = (list: typeof xs): VersionVector => {
          const vv = new VersionVector();
          for (const [origin, from, length] of list) {
            vv.addRange(origin, from, from + length);
            for (let seq = from; seq <= from + length; seq++) model.add(`${origin}:${seq}`);
          }
          return vv;
        };
        const a = build(xs);
        const b = build(ys);
        expect(a.clone().merge(b).toJSON()).toEqual(canonical(model));
        expect(b.clone().merge(a).toJSON()).toEqual(canonical(model));
      }),
    );
  });

  it('round-trips its compact JSON form', () => {
    fc.assert(
      fc.property(versionVectorArb, (vv) => {
        expect(VersionVector.fromJSON(JSON.parse(JSON.stringify(vv)) as unknown).equals(vv)).toBe(true);
      }),
    );
  });

  it('stores a long contiguous prefix in constant space', () => {
    const vv = new VersionVector();
    for (let seq = 1; seq <= 100_000; seq++) vv.add({ origin: 'a', seq });
    expect(vv.toJSON()).toEqual({ a: 100_000 });
    expect(vv.ranges('a')).toEqual([[1, 100_000]]);
    expect(vv.contiguous('a')).toBe(100_000);
    expect(vv.hasGap('a')).toBe(false);
  });

  it('keeps gaps and closes them when the missing seqs arrive', () => {
    const vv = new VersionVector();
    vv.add({ origin: 'a', seq: 1 });
    vv.add({ origin: 'a', seq: 3 });
    vv.addRange('a', 6, 8);
    expect(vv.toJSON()).toEqual({ a: [1, 1, 3, 3, 6, 8] });
    expect(vv.hasGap('a')).toBe(true);
    vv.add({ origin: 'a', seq: 2 });
    vv.addRange('a', 4, 5);
    expect(vv.toJSON()).toEqual({ a: 8 });
    expect(vv.add({ origin: 'a', seq: 5 })).toBe(false);
  });

  it('rejects malformed JSON with E_INVALID_ARGUMENT', () => {
    for (const bad of [null, [], { a: 0 }, { a: [3, 1] }, { a: [1, 2, 2, 3] }, { 'bad id!': 1 }, { a: [1] }, { a: 1.5 }]) {
      expect(() => VersionVector.fromJSON(bad)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }) as Error);
    }
  });
});

describe('VersionVector intersection, rangeCount, wouldFragment', () => {
  const smallSets = fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { maxLength: 30 }), { maxKeys: 3 });

  it('intersection holds exactly the ids both hold, in canonical form', () => {
    fc.assert(
      fc.property(smallSets, smallSets, (x, y) => {
        const a = vvFromSets(x);
        const b = vvFromSets(y);
        const both = a.intersection(b);
        const model = [...modelIds(x)].filter((id) => modelIds(y).has(id));
        expect(expand(both.missingFrom(new VersionVector()))).toEqual(model.sort());
        // Canonical: the same ids added one by one give an equal vector (ranges never touch).
        const rebuilt = new VersionVector();
        for (const id of model) {
          const at = id.lastIndexOf(':');
          rebuilt.add({ origin: id.slice(0, at), seq: Number(id.slice(at + 1)) });
        }
        expect(both.equals(rebuilt)).toBe(true);
        expect(both.equals(b.intersection(a))).toBe(true);
      }),
    );
  });

  it('counts ranges, and tells when an id would start a range of its own', () => {
    fc.assert(
      fc.property(smallSets, fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 1, max: 45 }), (sets, origin, seq) => {
        const vv = vvFromSets(sets);
        const before = vv.rangeCount(origin);
        const total = vv.rangeCount();
        const fragments = vv.wouldFragment({ origin, seq });
        const wasHeld = vv.has({ origin, seq });
        vv.add({ origin, seq });
        if (wasHeld) expect(fragments).toBe(false);
        expect(vv.rangeCount(origin) > before).toBe(fragments);
        expect(vv.rangeCount() - total).toBe(vv.rangeCount(origin) - before);
      }),
    );
  });
});
