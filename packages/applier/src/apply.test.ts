import fc from 'fast-check';
import { VersionVector, type Operation } from '@softadastra/sync-core';
import { ReplicaState, computeDigest } from '@softadastra/sync-reconciler';
import { describe, expect, it } from 'vitest';
import { applyBatch } from './index.js';

function put(origin: string, seq: number, key: string, wall = seq): Operation {
  return { origin, seq, hlc: { wall, counter: 0, peer: origin }, collection: 'c', key, kind: 'put', value: `${origin}${seq}` };
}

function target(): { store: ReplicaState; seen: VersionVector } {
  return { store: new ReplicaState(), seen: new VersionVector() };
}

const opArb = fc
  .record({ origin: fc.constantFrom('a', 'b', 'c'), seq: fc.integer({ min: 1, max: 10 }) })
  .map(({ origin, seq }) => put(origin, seq, `k${(seq * 3 + origin.charCodeAt(0)) % 4}`, (seq * 7 + origin.charCodeAt(0)) % 6));

describe('applyBatch', () => {
  it('gives the same state for a batch applied twice or in any order', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), fc.func(fc.integer()), (ops, order) => {
        const once = target();
        applyBatch(once, ops);
        const twice = target();
        applyBatch(twice, ops);
        const again = applyBatch(twice, ops);
        expect(again.applied).toEqual([]);
        expect(again.superseded).toEqual([]);
        const shuffled = target();
        applyBatch(shuffled, ops.map((op, i) => ({ op, k: order(i) })).sort((x, y) => x.k - y.k).map((e) => e.op));
        const root = (t: ReturnType<typeof target>): string => computeDigest(t.store.winners()).root;
        expect(root(twice)).toBe(root(once));
        expect(root(shuffled)).toBe(root(once));
        expect(shuffled.seen.equals(once.seen)).toBe(true);
      }),
    );
  });

  it('rejects a bad op alone and applies the good ones around it', () => {
    const t = target();
    const report = applyBatch(t, [put('a', 1, 'x'), { ...put('a', 2, 'y'), value: Number.NaN }, 'garbage', put('a', 3, 'z')]);
    expect(report.applied.map((op) => op.seq)).toEqual([1, 3]);
    expect(report.rejected.map((r) => r.error.code)).toEqual(['E_INVALID_VALUE', 'E_INVALID_OP']);
    expect(report.rejected[0]!.opId).toEqual({ origin: 'a', seq: 2 });
    expect(t.seen.has({ origin: 'a', seq: 2 })).toBe(false);
    expect(t.store.get('c', 'y')).toBeUndefined();
  });

  it('counts duplicates, within a batch and across batches', () => {
    const t = target();
    const op = put('a', 1, 'x');
    expect(applyBatch(t, [op, op]).duplicates).toEqual([{ origin: 'a', seq: 1 }]);
    expect(applyBatch(t, [op]).duplicates).toHaveLength(1);
  });

  it('reports superseded ops and records their ids as seen', () => {
    const t = target();
    const report = applyBatch(t, [put('a', 1, 'k', 50), put('b', 1, 'k', 10)]);
    expect(report.superseded.map((op) => op.origin)).toEqual(['b']);
    expect(t.seen.has({ origin: 'b', seq: 1 })).toBe(true);
    expect(t.store.get('c', 'k')?.origin).toBe('a');
  });

  it('rejects an op id reused with other content as equivocation, keeping the held one', () => {
    const t = target();
    const original = put('a', 1, 'k');
    applyBatch(t, [original]);
    const forged = { ...original, value: 'forged' };
    const report = applyBatch(t, [forged]);
    expect(report.rejected.map((r) => r.error.code)).toEqual(['E_EQUIVOCATION']);
    expect(report.rejected[0]!.error.message).toContain('a:1');
    expect(t.store.get('c', 'k')).toEqual(original);
  });
});

describe('applyBatch with typed collections', () => {
  const counter = (origin: string, seq: number, value: unknown, collection = 'votes'): unknown => ({
    origin,
    seq,
    hlc: { wall: seq, counter: 0, peer: origin },
    collection,
    key: 'k',
    kind: 'put',
    type: 'counter',
    value,
  });

  it('checks a typed payload against its policy and keeps a clean copy of it', () => {
    const t = target();
    const report = applyBatch(t, [counter('a', 1, { p: 2, n: 0, extra: 'dropped' }), counter('b', 1, { p: -1, n: 0 }), counter('c', 1, 'not totals'), put('a', 2, 'x')]);
    expect(report.applied.map((op) => `${op.origin}:${op.seq}`)).toEqual(['a:1', 'a:2']);
    expect(report.applied[0]).toMatchObject({ type: 'counter', value: { p: 2, n: 0 } });
    expect(report.applied[0]!.kind === 'put' && report.applied[0]!.value).toEqual({ p: 2, n: 0 });
    expect(report.rejected.map((r) => [r.opId, r.error.code])).toEqual([
      [{ origin: 'b', seq: 1 }, 'E_POLICY'],
      [{ origin: 'c', seq: 1 }, 'E_POLICY'],
    ]);
    expect(t.seen.has({ origin: 'b', seq: 1 })).toBe(false);
  });

  it("rejects an operation whose policy is not its collection's declared one, alone, with E_POLICY", () => {
    const declared = { votes: 'counter', todos: 'lww' } as const;
    const policyOf = (collection: string) => (declared as Record<string, 'counter' | 'lww' | undefined>)[collection];
    const t = target();
    const lwwInCounter = { ...put('a', 1, 'k'), collection: 'votes' };
    const delInCounter = { origin: 'a', seq: 2, hlc: { wall: 2, counter: 0, peer: 'a' }, collection: 'votes', key: 'k', kind: 'del' };
    const counterInLww = counter('a', 3, { p: 1, n: 0 }, 'todos');
    const setInCounter = { ...(counter('a', 4, { action: 'add', value: 1 }) as object), type: 'set' };
    const fine = counter('a', 5, { p: 1, n: 0 });
    const undeclared = counter('a', 6, { p: 1, n: 0 }, 'elsewhere');
    const report = applyBatch(t, [lwwInCounter, delInCounter, counterInLww, setInCounter, fine, undeclared], { policyOf });
    expect(report.rejected.map((r) => [r.opId?.seq, r.error.code])).toEqual([
      [1, 'E_POLICY'],
      [2, 'E_POLICY'],
      [3, 'E_POLICY'],
      [4, 'E_POLICY'],
    ]);
    expect(report.applied.map((op) => op.seq)).toEqual([5, 6]);
    expect(report.rejected[0]!.error.message).toMatch(/declares counter/);
  });
});
