import fc from 'fast-check';
import type { Operation } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { ReplicaState, compareOperations, computeDigest, resolveWinner } from './index.js';

const origins = ['a', 'b', 'c'];
/** Small op universe so that collisions (same key, same wall) are frequent; an id always has one content. */
const opArb: fc.Arbitrary<Operation> = fc
  .record({ origin: fc.constantFrom(...origins), seq: fc.integer({ min: 1, max: 8 }) })
  .map(({ origin, seq }): Operation => {
    const code = origin.charCodeAt(0);
    const hlc = { wall: (seq * 13 + code) % 5, counter: (seq + code) % 2, peer: origin };
    const key = ['k1', 'k2', 'k3'][(seq * 7 + code) % 3]!;
    return (seq + code) % 4 === 0
      ? { origin, seq, hlc, collection: 'c', key, kind: 'del' }
      : { origin, seq, hlc, collection: 'c', key, kind: 'put', value: `${origin}${seq}` };
  });

const historyArb = fc.array(opArb, { maxLength: 30 });

function stateOf(ops: readonly Operation[]): ReplicaState {
  const state = new ReplicaState();
  for (const op of ops) state.merge(op);
  return state;
}

describe('last-writer-wins merge', () => {
  it('reaches the same state whatever the order and duplication of operations', () => {
    fc.assert(
      fc.property(historyArb, fc.func(fc.integer()), (ops, shuffleKey) => {
        const shuffled = [...ops, ...ops.slice(0, 5)].map((op, i) => ({ op, k: shuffleKey(i) })).sort((x, y) => x.k - y.k).map((e) => e.op);
        expect(computeDigest(stateOf(shuffled).winners()).root).toBe(computeDigest(stateOf(ops).winners()).root);
      }),
    );
  });

  it('is a join: merging two states in either order gives one state (commutative, associative, idempotent)', () => {
    fc.assert(
      fc.property(historyArb, historyArb, historyArb, (x, y, z) => {
        const digest = (ops: Operation[]): string => computeDigest(stateOf(ops).winners()).root;
        const stateX = [...stateOf(x).winners()];
        const stateY = [...stateOf(y).winners()];
        const stateZ = [...stateOf(z).winners()];
        expect(digest([...stateX, ...stateY])).toBe(digest([...stateY, ...stateX]));
        expect(digest([...stateX, ...stateY, ...stateZ])).toBe(digest([...stateZ, ...stateY, ...stateX]));
        expect(digest([...stateX, ...stateX])).toBe(digest(stateX));
      }),
    );
  });

  it('orders operations totally and antisymmetrically', () => {
    fc.assert(
      fc.property(opArb, opArb, (a, b) => {
        expect(Math.sign(compareOperations(a, b)) + 0).toBe(-Math.sign(compareOperations(b, a)) + 0);
        if (compareOperations(a, b) === 0) expect([a.origin, a.seq]).toEqual([b.origin, b.seq]);
      }),
    );
  });

  it('breaks HLC ties by origin, never by the receiving peer', () => {
    const hlcA = { wall: 5, counter: 0, peer: 'alice' };
    const fromAlice: Operation = { origin: 'alice', seq: 1, hlc: hlcA, collection: 'c', key: 'k', kind: 'put', value: 'A' };
    const fromBob: Operation = { origin: 'bob', seq: 1, hlc: { ...hlcA, peer: 'bob' }, collection: 'c', key: 'k', kind: 'put', value: 'B' };
    // Three "receivers" merging in different orders all keep bob's write (bob > alice).
    for (const order of [[fromAlice, fromBob], [fromBob, fromAlice]]) {
      expect(stateOf(order).get('c', 'k')).toBe(fromBob);
    }
  });

  it('keeps the newest write when an older one arrives late, by HLC not arrival', () => {
    const newer: Operation = { origin: 'a', seq: 2, hlc: { wall: 20, counter: 0, peer: 'a' }, collection: 'c', key: 'k', kind: 'put', value: 'new' };
    const older: Operation = { origin: 'b', seq: 1, hlc: { wall: 10, counter: 0, peer: 'b' }, collection: 'c', key: 'k', kind: 'put', value: 'old' };
    const state = stateOf([newer]);
    expect(state.merge(older)).toBe('superseded');
    expect(state.get('c', 'k')).toBe(newer);
  });

  it('does not resurrect a deleted key with an older concurrent put', () => {
    const put: Operation = { origin: 'a', seq: 1, hlc: { wall: 10, counter: 0, peer: 'a' }, collection: 'c', key: 'k', kind: 'put', value: 1 };
    const del: Operation = { origin: 'b', seq: 1, hlc: { wall: 11, counter: 0, peer: 'b' }, collection: 'c', key: 'k', kind: 'del' };
    expect(stateOf([del, put]).get('c', 'k')).toBe(del);
    expect(stateOf([put, del]).get('c', 'k')).toBe(del);
  });

  it('tells duplicates from equivocation (same id, other content)', () => {
    const op: Operation = { origin: 'a', seq: 1, hlc: { wall: 10, counter: 0, peer: 'a' }, collection: 'c', key: 'k', kind: 'put', value: { x: 1, y: 2 } };
    const state = stateOf([op]);
    expect(state.merge({ ...op, value: { y: 2, x: 1 } })).toBe('duplicate');
    expect(state.merge({ ...op, value: 'forged' })).toBe('equivocation');
    expect(state.merge({ ...op, key: 'other' })).toBe('equivocation');
    expect(state.get('c', 'k')).toBe(op);
    expect(resolveWinner(op, { ...op, kind: 'del' })).toBe('equivocation');
  });

  it('indexes winners by origin and forgets superseded ones', () => {
    const first: Operation = { origin: 'a', seq: 1, hlc: { wall: 1, counter: 0, peer: 'a' }, collection: 'c', key: 'k', kind: 'put', value: 1 };
    const second: Operation = { origin: 'b', seq: 1, hlc: { wall: 2, counter: 0, peer: 'b' }, collection: 'c', key: 'k', kind: 'put', value: 2 };
    const state = stateOf([first, second]);
    expect(state.winnersOf('a')).toBeUndefined();
    expect(state.winnersOf('b')?.get(1)).toBe(second);
    expect(state.getById({ origin: 'b', seq: 1 })).toBe(second);
    expect(state.size).toBe(1);
    expect(state.removeIfWinner(first)).toBe(false);
    expect(state.removeIfWinner(second)).toBe(true);
    expect(state.size).toBe(0);
  });
});
