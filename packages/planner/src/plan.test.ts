import fc from 'fast-check';
import { VersionVector, encodeOperations, type Operation } from '@softadastra/sync-core';
import { ReplicaState } from '@softadastra/sync-reconciler';
import { describe, expect, it } from 'vitest';
import { planSync, toBatches } from './index.js';

function put(origin: string, seq: number, key: string, value: unknown = seq): Operation {
  return { origin, seq, hlc: { wall: 1000 + seq, counter: 0, peer: origin }, collection: 'c', key, kind: 'put', value: value as number };
}

/** Writes as drawn (origin, key index), numbered per origin from 1. */
function numbered(writes: ReadonlyArray<readonly [string, number]>): Operation[] {
  const seqs = new Map<string, number>();
  return writes.map(([origin, k]) => {
    const seq = (seqs.get(origin) ?? 0) + 1;
    seqs.set(origin, seq);
    return put(origin, seq, `k${k}`);
  });
}

/** A peer's durable state after a list of ops. */
function peer(ops: readonly Operation[]): { state: ReplicaState; vv: VersionVector } {
  const state = new ReplicaState();
  const vv = new VersionVector();
  for (const op of ops) {
    state.merge(op);
    vv.add(op);
  }
  return { state, vv };
}

describe('planSync', () => {
  it('sends exactly the winners the remote lacks, and covers everything', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b'), fc.integer({ min: 0, max: 9 })), { maxLength: 60 }), fc.nat({ max: 60 }), (writes, split) => {
        const ops = numbered(writes);
        const local = peer(ops);
        const remote = peer(ops.slice(0, Math.min(split, ops.length)));
        const plan = planSync({ local: local.vv, remote: remote.vv, winners: local.state, maxBatchOps: 3 });
        const sent = plan.batches.flat();
        // Every sent op is a local winner the remote did not have.
        for (const op of sent) {
          expect(local.state.getById(op)).toBe(op);
          expect(remote.vv.has(op)).toBe(false);
        }
        // After applying the batches then covered, the remote equals the local peer.
        for (const op of sent) remote.state.merge(op);
        remote.vv.merge(plan.covered);
        expect(remote.vv.equals(local.vv)).toBe(true);
        expect([...remote.state.winners()].sort((x, y) => (x.key < y.key ? -1 : 1))).toEqual(
          [...local.state.winners()].sort((x, y) => (x.key < y.key ? -1 : 1)),
        );
        expect(plan.opCount).toBe(sent.length);
        for (const batch of plan.batches) expect(batch.length).toBeLessThanOrEqual(3);
      }),
    );
  });

  it('does not send superseded operations', () => {
    const ops = [put('a', 1, 'k'), put('a', 2, 'k'), put('a', 3, 'k')];
    const local = peer(ops);
    const plan = planSync({ local: local.vv, remote: new VersionVector(), winners: local.state });
    expect(plan.batches.flat()).toEqual([ops[2]]);
    expect(plan.covered.toJSON()).toEqual({ a: 3 });
    expect(plan.missing).toEqual([{ origin: 'a', from: 1, to: 3 }]);
  });

  it('plans nothing for a remote that has everything', () => {
    const local = peer([put('a', 1, 'x'), put('b', 1, 'y')]);
    const plan = planSync({ local: local.vv, remote: local.vv.clone(), winners: local.state });
    expect(plan.batches).toEqual([]);
    expect(plan.missing).toEqual([]);
  });

  it('costs what the remote lacks, not the size of the history', () => {
    // 200,000 winners of one origin; the remote lacks the last 3. Counting map reads proves the walk is short.
    const local = peer(Array.from({ length: 200_000 }, (_, i) => put('a', i + 1, `k${i}`)));
    const remote = new VersionVector().addRange('a', 1, 199_997);
    let reads = 0;
    const winners = {
      winnersOf(origin: string) {
        const map = local.state.winnersOf(origin)!;
        return {
          get size() {
            return map.size;
          },
          get(seq: number) {
            reads++;
            return map.get(seq);
          },
          values() {
            reads += map.size;
            return map.values();
          },
        } as unknown as ReadonlyMap<number, Operation>;
      },
    };
    const plan = planSync({ local: local.vv, remote, winners });
    expect(plan.opCount).toBe(3);
    expect(reads).toBe(3);
  });

  it('bounds batches by encoded bytes; an oversized op travels alone', () => {
    const big = 'x'.repeat(10_000);
    const ops = Array.from({ length: 20 }, (_, i) => put('a', i + 1, `k${i}`, big));
    const batches = toBatches(ops, 1000, 25_000);
    for (const batch of batches) expect(encodeOperations(batch).length).toBeLessThanOrEqual(25_000);
    expect(batches.flat()).toEqual(ops);
    expect(toBatches([put('a', 1, 'k', 'y'.repeat(50_000))], 1000, 1000)).toHaveLength(1);
  });
});

describe('planSync batchCovered', () => {
  it('lets a receiver merge a claim after each batch that is true of what it then holds, and ends at the full vector', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 12 })), { maxLength: 80 }),
        fc.nat({ max: 80 }),
        fc.integer({ min: 1, max: 5 }),
        (writes, split, maxBatchOps) => {
          const ops = numbered(writes);
          const local = peer(ops);
          const remote = peer(ops.slice(0, Math.min(split, ops.length)));
          const plan = planSync({ local: local.vv, remote: remote.vv, winners: local.state, maxBatchOps });
          expect(plan.batchCovered).toHaveLength(Math.max(0, plan.batches.length - 1));
          // Replay as a receiver would: after batch i, merge batchCovered[i].
          const state = remote.state;
          const vv = remote.vv.clone();
          const byId = new Map(ops.map((op) => [`${op.origin}:${op.seq}`, op]));
          for (let i = 0; i < plan.batches.length; i++) {
            for (const op of plan.batches[i]!) {
              state.merge(op);
              vv.add(op);
            }
            const claim = i < plan.batchCovered.length ? plan.batchCovered[i]! : plan.covered;
            vv.merge(claim);
            // True claim: every op the receiver now counts as held is held, or beaten by what it holds
            // or by a local winner still to come in a later batch (which it does not count as held).
            for (const range of vv.missingFrom(new VersionVector())) {
              for (let seq = range.from; seq <= range.to; seq++) {
                const op = byId.get(`${range.origin}:${seq}`)!;
                const winner = local.state.get(op.collection, op.key)!;
                const laterSent = plan.batches.slice(i + 1).some((b) => b.includes(winner));
                if (!laterSent) expect(state.get(op.collection, op.key)).toBe(winner);
                if (laterSent) expect(vv.has(winner)).toBe(false);
              }
            }
          }
          // The final covered (sent even when there is no batch) completes the vector.
          vv.merge(plan.covered);
          expect(vv.equals(local.vv)).toBe(true);
        },
      ),
    );
  });

  it('keeps a long catch-up from fragmenting the receiver: after every batch the claimed vector has no gap', () => {
    // One origin overwrites 10 keys 500 times: winners are sparse, superseded ops in between.
    const ops: Operation[] = [];
    for (let seq = 1; seq <= 5000; seq++) ops.push(put('a', seq, `k${seq % 10 === 0 ? seq : seq % 7}`));
    const local = peer(ops);
    const plan = planSync({ local: local.vv, remote: new VersionVector(), winners: local.state, maxBatchOps: 50 });
    expect(plan.batches.length).toBeGreaterThan(5);
    const vv = new VersionVector();
    for (let i = 0; i < plan.batches.length - 1; i++) {
      for (const op of plan.batches[i]!) vv.add(op);
      vv.merge(plan.batchCovered[i]!);
      expect(vv.rangeCount('a')).toBe(1);
    }
  });
});
