import fc from 'fast-check';
import { VersionVector, type JsonValue } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { ReplicaState, canonicalJson, setAdd, setPolicy, setRemove, type SetPayload, type SetState, type TypedOperation } from '../index.js';
import { PEERS, historyArb, idOf, simulate, stateOf, type SimPolicy } from './simulation.test-support.js';
import type { PolicyOperation } from './policy.js';

const POOL: readonly JsonValue[] = [1, 'x', { a: 1 }];

const sim: SimPolicy<SetPayload, SetState, JsonValue[]> = {
  policy: setPolicy,
  write: (state, _origin, choice) => {
    const value = POOL[choice % POOL.length]!;
    return { value: Math.floor(choice / POOL.length) % 2 === 0 ? setAdd(value) : setRemove(state, value) };
  },
  reference: () => [],
};

const collect = (state: SetState, stable: VersionVector): SetState => setPolicy.collect!(state, stable);
const norm = (state: SetState): string[] => setPolicy.value(state).map(canonicalJson);

/**
 * The stable vector of peers that have seen `seen`: per origin the longest
 * prefix of its seqs every peer has seen (seqs that name no write of this key
 * count as held: they are writes to other keys, held everywhere alike).
 */
function stableOf(ops: readonly PolicyOperation<SetPayload>[], seen: readonly ReadonlySet<string>[]): VersionVector {
  const vv = new VersionVector();
  for (const origin of PEERS) {
    const own = ops.filter((op) => op.origin === origin).sort((a, b) => a.seq - b.seq);
    let prefix = 0;
    for (const op of own) {
      if (!seen.every((ids) => ids.has(idOf(op)))) {
        prefix = op.seq - 1;
        break;
      }
      prefix = op.seq;
    }
    if (prefix > 0) vv.addRange(origin, 1, prefix);
  }
  return vv;
}

describe('collecting set removes', () => {
  it('drops a remove once it and the adds it names are stable, and never changes the value', () => {
    const add = { origin: 'a', seq: 1, hlc: { wall: 1, counter: 0, peer: 'a' }, collection: 'c', key: 'k', value: setAdd('milk') } as const;
    const added = setPolicy.apply(setPolicy.empty(), add);
    const remove = { origin: 'b', seq: 1, hlc: { wall: 2, counter: 0, peer: 'b' }, collection: 'c', key: 'k', value: setRemove(added, 'milk') } as const;
    const removed = setPolicy.apply(added, remove);
    expect(removed.removes).toHaveLength(1);
    // Not stable yet: the remove stays (a peer may still hold the add and not the remove).
    expect(collect(removed, new VersionVector().addRange('a', 1, 1))).toBe(removed);
    expect(collect(removed, new VersionVector().addRange('b', 1, 1))).toBe(removed);
    const gone = collect(removed, new VersionVector().addRange('a', 1, 1).addRange('b', 1, 1));
    expect(gone.removes).toEqual([]);
    expect(setPolicy.value(gone)).toEqual([]);
  });

  it('gives every peer the value of the whole history once the rest is delivered, and one state once all is stable', () => {
    fc.assert(
      fc.property(historyArb(40), (commands) => {
        const result = simulate(sim, commands);
        const all = result.events.map((event) => event.op);
        const whole = stateOf(setPolicy, all);
        const stable = stableOf(all, result.peers.map((peer) => peer.seen));
        const everything = stableOf(all, [new Set(all.map(idOf))]);
        const finals = result.peers.map((peer) => {
          // Collect what is stable, then receive what this peer lacks (what it has seen is deduplicated by id).
          let state = collect(peer.state, stable);
          expect(norm(state)).toEqual(norm(peer.state));
          for (const op of all) if (!peer.seen.has(idOf(op))) state = setPolicy.apply(state, op);
          expect(norm(state)).toEqual(norm(whole));
          return collect(state, everything);
        });
        const reference = collect(whole, everything);
        expect(reference.removes).toEqual([]);
        for (const state of finals) {
          expect(norm(state)).toEqual(norm(whole));
          expect(setPolicy.equals(state, reference)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('ReplicaState.collect', () => {
  function setOp(origin: string, seq: number, key: string, value: SetPayload): TypedOperation {
    return { origin, seq, hlc: { wall: seq, counter: 0, peer: origin }, collection: 'tags', key, kind: 'put', type: 'set', value: value };
  }

  it('unindexes collected removes and forgets a key left with nothing', () => {
    const state = new ReplicaState();
    const add = setOp('a', 1, 'k', setAdd('x'));
    state.merge(add);
    const removeK = setOp('b', 1, 'k', setRemove(state.getTyped('set', 'tags', 'k')!.state as SetState, 'x'));
    state.merge(removeK);
    const keep = setOp('a', 2, 'other', setAdd('y'));
    state.merge(keep);
    expect(state.size).toBe(2);
    expect(state.getById(removeK)).toBe(removeK);

    // A stable vector that lacks the remove collects nothing.
    expect(state.collect(new VersionVector().addRange('a', 1, 2))).toEqual([]);
    expect(state.getById(removeK)).toBe(removeK);

    const collected = state.collect(new VersionVector().addRange('a', 1, 2).addRange('b', 1, 1));
    expect(collected).toEqual([removeK]);
    expect(state.getById(removeK)).toBeUndefined();
    expect(state.getTyped('set', 'tags', 'k')).toBeUndefined();
    expect(state.size).toBe(1);
    expect([...state.winners()]).toEqual([keep]);
  });
});
