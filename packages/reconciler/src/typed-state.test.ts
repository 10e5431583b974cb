import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Operation } from '@softadastra/sync-core';
import { ReplicaState, computeDigest, compareStates, counterPolicy, mergeInto, policyFor, sameState, setAdd, setPolicy, setRemove, type SetState, type TypedOperation } from './index.js';

const PEERS = ['alice', 'bob', 'carol'];

function counterOp(origin: string, seq: number, p: number, n = 0, key = 'k'): TypedOperation {
  return { origin, seq, hlc: { wall: 1000 + seq, counter: 0, peer: origin }, collection: 'votes', key, kind: 'put', type: 'counter', value: { p, n } };
}

/** A history of counter writes: each origin's totals only grow, as a real writer's do. */
const historyArb = fc
  .array(fc.record({ origin: fc.integer({ min: 0, max: 2 }), key: fc.constantFrom('a', 'b'), up: fc.boolean(), amount: fc.integer({ min: 1, max: 5 }) }), { minLength: 1, maxLength: 40 })
  .map((writes) => {
    const totals = new Map<string, { p: number; n: number }>();
    const seqs = new Map<string, number>();
    return writes.map(({ origin, key, up, amount }) => {
      const peer = PEERS[origin]!;
      const seq = (seqs.get(peer) ?? 0) + 1;
      seqs.set(peer, seq);
      const place = `${peer}/${key}`;
      const before = totals.get(place) ?? { p: 0, n: 0 };
      const after = up ? { p: before.p + amount, n: before.n } : { p: before.p, n: before.n + amount };
      totals.set(place, after);
      return counterOp(peer, seq, after.p, after.n, key);
    });
  });

function stateOf(ops: readonly Operation[]): ReplicaState {
  const state = new ReplicaState();
  for (const op of ops) state.merge(op);
  return state;
}

function valueOf(state: ReplicaState, key: string): number {
  const typed = state.getTyped('counter', 'votes', key);
  return typed === undefined ? 0 : counterPolicy.value(typed.state as never);
}

describe('a replica state holding typed keys', () => {
  it('merges typed operations by their policy: any order, any duplication, the same state, digest and held operations', () => {
    fc.assert(
      fc.property(historyArb, fc.integer(), (history, seed) => {
        const shuffled = [...history, ...history.slice(0, seed & 7)].sort((x, y) => ((x.seq * 31 + seed) % 7) - ((y.seq * 31 + seed) % 7) || (x.origin < y.origin ? -1 : 1));
        const a = stateOf(history);
        const b = stateOf(shuffled);
        expect(sameState(a, b)).toBe(true);
        expect(computeDigest(b.winners())).toEqual(computeDigest(a.winners()));
        // The sum of every origin's latest totals: no increment lost, none counted twice.
        for (const key of ['a', 'b']) {
          const latest = new Map<string, TypedOperation>();
          for (const op of history) if (op.key === key) latest.set(op.origin, op);
          const expected = [...latest.values()].reduce((sum, op) => sum + (op.value as { p: number }).p - (op.value as { n: number }).n, 0);
          expect(valueOf(b, key)).toBe(expected);
        }
        // Held operations: one per origin and key, found by id.
        for (const op of a.winners()) expect(a.getById(op)).toBe(op);
        expect([...a.winners()].length).toBeLessThanOrEqual(PEERS.length * 2);
      }),
    );
  });

  it('reports won, superseded, duplicate and equivocation for typed operations', () => {
    const state = new ReplicaState();
    expect(state.merge(counterOp('alice', 2, 5))).toBe('won');
    expect(state.merge(counterOp('alice', 1, 3))).toBe('superseded');
    expect(state.merge(counterOp('alice', 2, 5))).toBe('duplicate');
    expect(state.merge(counterOp('alice', 2, 6))).toBe('equivocation');
    expect(state.getById({ origin: 'alice', seq: 1 })).toBeUndefined();
    expect(valueOf(state, 'k')).toBe(5);
  });

  it('keeps a key under one policy apart from the same name under another, or LWW', () => {
    const state = new ReplicaState();
    const lww: Operation = { origin: 'bob', seq: 1, hlc: { wall: 1, counter: 0, peer: 'bob' }, collection: 'votes', key: 'k', kind: 'put', value: 'x' };
    const set: TypedOperation = { ...counterOp('carol', 1, 0), type: 'set', value: { action: 'add', value: 'red' } };
    for (const op of [counterOp('alice', 1, 2), lww, set]) expect(state.merge(op)).toBe('won');
    expect(state.get('votes', 'k')).toBe(lww);
    expect(valueOf(state, 'k')).toBe(2);
    expect(setPolicy.value(state.getTyped('set', 'votes', 'k')!.state as never)).toEqual(['red']);
    expect(state.size).toBe(3);
    expect([...state.collections()]).toEqual(['votes']);
    expect([...state.winners()]).toHaveLength(3);
  });

  it('drops a typed operation from its key on removeIfWinner and rebuilds the rest', () => {
    const state = new ReplicaState();
    const a = counterOp('alice', 1, 2);
    const b = counterOp('bob', 1, 3);
    state.merge(a);
    state.merge(b);
    expect(state.removeIfWinner(counterOp('alice', 1, 2))).toBe(false);
    expect(state.removeIfWinner(a)).toBe(true);
    expect(valueOf(state, 'k')).toBe(3);
    expect(state.getById(a)).toBeUndefined();
    expect(state.removeIfWinner(b)).toBe(true);
    expect(state.size).toBe(0);
    expect(state.getTyped('counter', 'votes', 'k')).toBeUndefined();
  });

  it('names a typed key on which two states differ', () => {
    const a = stateOf([counterOp('alice', 1, 1)]);
    const b = stateOf([counterOp('alice', 2, 2)]);
    expect(compareStates(a, b)).toMatchObject([{ collection: 'votes', key: 'k', type: 'counter' }]);
    expect(policyFor('counter')).toBe(counterPolicy);
    const store = new ReplicaState();
    expect(mergeInto(store, counterOp('alice', 1, 1))).toBe('won');
  });
});

describe('a replica state holding large set keys', () => {
  it('keeps its by-origin index equal to the held operations when the policy indexes by delta', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ origin: fc.integer({ min: 0, max: 2 }), value: fc.integer({ min: 0, max: 5 }), remove: fc.boolean() }), { maxLength: 80 }),
        (writes) => {
          const state = new ReplicaState();
          const seqs = [0, 0, 0];
          for (const w of writes) {
            const origin = PEERS[w.origin]!;
            const held = state.getTyped('set', 'tags', 'k')?.state as SetState | undefined;
            const payload = w.remove ? setRemove(held ?? setPolicy.empty(), w.value) : setAdd(w.value);
            const op: TypedOperation = { origin, seq: ++seqs[w.origin]!, hlc: { wall: 1, counter: 0, peer: origin }, collection: 'tags', key: 'k', kind: 'put', type: 'set', value: payload };
            state.merge(op);
          }
          const winners = [...state.winners()];
          for (const op of winners) expect(state.getById(op)).toBe(op);
          const indexed = PEERS.reduce((sum, origin) => sum + (state.winnersOf(origin)?.size ?? 0), 0);
          expect(indexed).toBe(winners.length);
          const typed = state.getTyped('set', 'tags', 'k');
          if (typed !== undefined) expect(typed.ops).toEqual(setPolicy.essential(typed.state as SetState));
        },
      ),
      { numRuns: 300 },
    );
  });
});
