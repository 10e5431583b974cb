import fc from 'fast-check';
import type { Operation } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { ReplicaState, compareStates, computeDigest, diffDigests, sameState } from './index.js';

function put(origin: string, seq: number, key: string, collection = 'c'): Operation {
  return { origin, seq, hlc: { wall: seq, counter: 0, peer: origin }, collection, key, kind: 'put', value: seq };
}

function stateOf(ops: readonly Operation[]): ReplicaState {
  const state = new ReplicaState();
  for (const op of ops) state.merge(op);
  return state;
}

describe('state digest', () => {
  it('is the same for equal states built in any order', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { maxLength: 50 }), (keys) => {
        const ops = keys.map((key, i) => put('a', i + 1, key));
        expect(computeDigest(stateOf(ops).winners())).toEqual(computeDigest(stateOf([...ops].reverse()).winners()));
      }),
    );
  });

  it('changes when one winner changes, and names the bucket and the key', () => {
    const ops = Array.from({ length: 500 }, (_, i) => put('a', i + 1, `k${i}`));
    const a = stateOf(ops);
    const b = stateOf(ops);
    b.merge(put('b', 1000, 'k42'));
    const da = computeDigest(a.winners(), { leaves: true });
    const db = computeDigest(b.winners(), { leaves: true });
    expect(da.root).not.toBe(db.root);
    const diff = diffDigests(da, db);
    expect(diff.equal).toBe(false);
    expect(diff.buckets).toHaveLength(1);
    expect(diff.keys).toEqual([{ collection: 'c', key: 'k42', a: 'a:43', b: 'b:1000' }]);
    // Without leaves, only buckets are named.
    expect(diffDigests(computeDigest(a.winners()), computeDigest(b.winners())).keys).toBeUndefined();
  });

  it('names keys missing on one side', () => {
    const a = stateOf([put('a', 1, 'x'), put('a', 2, 'y')]);
    const b = stateOf([put('a', 1, 'x')]);
    const diff = diffDigests(computeDigest(a.winners(), { leaves: true }), computeDigest(b.winners(), { leaves: true }));
    expect(diff.keys).toEqual([{ collection: 'c', key: 'y', a: 'a:2' }]);
    expect(compareStates(a, b).map((d) => d.key)).toEqual(['y']);
    expect(sameState(a, b)).toBe(false);
    expect(sameState(a, stateOf([put('a', 2, 'y'), put('a', 1, 'x')]))).toBe(true);
  });

  it('can restrict leaves to the buckets that differ', () => {
    const a = stateOf(Array.from({ length: 100 }, (_, i) => put('a', i + 1, `k${i}`)));
    const full = computeDigest(a.winners(), { leaves: true });
    const some = computeDigest(a.winners(), { leaves: true, onlyBuckets: [0, 1, 2] });
    expect(some.leaves!.length).toBeLessThan(full.leaves!.length);
    expect(some.root).toBe(full.root);
  });
});
