import fc from 'fast-check';
import { isSyncError, type JsonValue } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { canonicalJson, setAdd, setHas, setPolicy, setRemove, validateSetPayload, type SetOperation, type SetPayload, type SetState } from '../index.js';
import { describeLaws, historyArb, idOf, simulate, type SimPolicy } from './simulation.test-support.js';

/** Few values, so adds and removes of one value meet often; two spellings of one object. */
const POOL: readonly JsonValue[] = [1, 'x', { a: 1, b: [true, null] }, { b: [true, null], a: 1 }, [0]];

const sim: SimPolicy<SetPayload, SetState, JsonValue[]> = {
  policy: setPolicy,
  write: (state, _origin, choice) => {
    const value = POOL[choice % POOL.length]!;
    // The action is drawn apart from the value, so every value is both added and removed.
    return { value: Math.floor(choice / POOL.length) % 5 < 3 ? setAdd(value) : setRemove(state, value) };
  },
  // The plain OR-set: a value is in when some add of it seen was not seen by any remove of it seen.
  reference: (events) => {
    const present = new Set<string>();
    for (const add of events) {
      if (add.op.value.action !== 'add') continue;
      const text = canonicalJson(add.op.value.value);
      const removed = events.some(
        (remove) => remove.op.value.action === 'remove' && canonicalJson(remove.op.value.value) === text && remove.seenAtWrite.has(idOf(add.op)),
      );
      if (!removed) present.add(text);
    }
    return [...present].sort().map((text) => JSON.parse(text) as JsonValue);
  },
  normalize: (values) => values.map(canonicalJson),
};

describeLaws(sim);

function op(origin: string, seq: number, payload: SetPayload): SetOperation {
  return { origin, seq, hlc: { wall: seq, counter: 0, peer: origin }, collection: 'c', key: 'k', value: payload };
}

describe('add-wins set policy', () => {
  it('keeps an element that one peer adds while another removes it', () => {
    const first = op('a', 1, setAdd('milk'));
    const base = setPolicy.apply(setPolicy.empty(), first);
    const remove = op('b', 1, setRemove(base, 'milk'));
    const concurrentAdd = op('a', 2, setAdd('milk'));
    const atA = setPolicy.apply(base, concurrentAdd);
    const atB = setPolicy.apply(base, remove);
    expect(setPolicy.value(atB)).toEqual([]);
    const merged = setPolicy.merge(atA, atB);
    expect(setPolicy.value(merged)).toEqual(['milk']);
    expect(setPolicy.merge(atB, atA)).toEqual(merged);
    // The removed add is compacted away; the remove stays so that the add, arriving again, stays removed.
    expect(merged.adds).toEqual([concurrentAdd]);
    expect(merged.removes).toEqual([remove]);
    expect(setPolicy.value(setPolicy.apply(merged, first))).toEqual(['milk']);
  });

  it('removes an add the remover never received when a later add of that origin it did see came after it', () => {
    // `a` adds "v" twice (seq 3, then seq 10); `b` receives only seq 10, then removes "v".
    const early = op('a', 3, setAdd('v'));
    const late = op('a', 10, setAdd('v'));
    const remove = op('b', 1, setRemove(setPolicy.apply(setPolicy.empty(), late), 'v'));
    expect(remove.value).toEqual({ action: 'remove', value: 'v', context: { a: 10 } });
    // `early` happened before `late` at `a`, so before the remove: it is not concurrent, and it goes too.
    expect(setPolicy.value([early, late, remove].reduce(setPolicy.apply, setPolicy.empty()))).toEqual([]);
    // An add of `a` after seq 10 is concurrent with the remove and survives.
    expect(setPolicy.value([remove, early, late, op('a', 11, setAdd('v'))].reduce(setPolicy.apply, setPolicy.empty()))).toEqual(['v']);
  });

  it('compares values by canonical JSON: the key order of an object does not matter', () => {
    const state = setPolicy.apply(setPolicy.empty(), op('a', 1, setAdd({ x: 1, y: { p: 0, q: -0 } })));
    expect(setHas(state, { y: { q: 0, p: 0 }, x: 1 })).toBe(true);
    const removed = setPolicy.apply(state, op('b', 1, setRemove(state, { y: { q: 0, p: 0 }, x: 1 })));
    expect(setPolicy.value(removed)).toEqual([]);
  });

  it('lets one remove that saw earlier removes replace them: removes do not pile up', () => {
    let state = setPolicy.empty();
    let seq = 0;
    for (let round = 0; round < 50; round++) {
      state = setPolicy.apply(state, op('a', ++seq, setAdd('v')));
      state = setPolicy.apply(state, op('a', ++seq, setRemove(state, 'v')));
    }
    expect(setPolicy.value(state)).toEqual([]);
    expect(state.adds).toEqual([]);
    expect(state.removes).toHaveLength(1);
    expect(state.removes[0]!.value).toEqual({ action: 'remove', value: 'v', context: { a: 99 } });
  });

  it('lets a remove replace the removes it knew of, from other peers too', () => {
    const addA = op('a', 1, setAdd('v'));
    const removeB = op('b', 1, setRemove(setPolicy.apply(setPolicy.empty(), addA), 'v'));
    const addC = op('c', 1, setAdd('v'));
    const atA = [addA, removeB, addC].reduce(setPolicy.apply, setPolicy.empty());
    const removeA = op('a', 2, setRemove(atA, 'v'));
    expect(removeA.value).toEqual({ action: 'remove', value: 'v', context: { a: 1, c: 1 } });
    const after = setPolicy.apply(atA, removeA);
    expect(setPolicy.value(after)).toEqual([]);
    expect(setPolicy.essential(after)).toEqual([removeA]);
  });

  it('keeps no more removes than there are writers of them, whatever the history length', () => {
    fc.assert(
      fc.property(historyArb(40), (commands) => {
        for (const peer of simulate(sim, commands).peers) {
          const perValue = new Map<string, number>();
          for (const remove of peer.state.removes) {
            const text = canonicalJson(remove.value.value);
            perValue.set(text, (perValue.get(text) ?? 0) + 1);
          }
          for (const count of perValue.values()) expect(count).toBeLessThanOrEqual(3);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('validates payloads and never throws', () => {
    expect(validateSetPayload({ action: 'add', value: [1] })).toEqual({ ok: true, value: { action: 'add', value: [1] } });
    expect(validateSetPayload({ action: 'remove', value: 'v', context: { a: 2 } })).toEqual({
      ok: true,
      value: { action: 'remove', value: 'v', context: { a: 2 } },
    });
    for (const bad of [null, {}, { action: 'toggle', value: 1 }, { action: 'add' }, { action: 'remove', value: 1 }, { action: 'remove', value: 1, context: { a: -2 } }]) {
      const result = validateSetPayload(bad);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('E_INVALID_VALUE');
    }
    const huge = validateSetPayload({ action: 'add', value: 'x'.repeat(2_000_000) });
    expect(huge.ok || huge.error.code).toBe('E_TOO_LARGE');
    fc.assert(
      fc.property(fc.constantFrom('add', 'remove', 'other'), fc.anything(), fc.anything(), (action, value, context) => {
        const checked = validateSetPayload({ action, value, context });
        expect(checked.ok || isSyncError(checked.error)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('add-wins set policy: apply is the join, incrementally', () => {
  it('gives element for element the state the join of all its operations gives, in any delivery order', () => {
    const writesArb = fc.array(
      fc.record({ writer: fc.integer({ min: 0, max: 2 }), value: fc.integer({ min: 0, max: 3 }), remove: fc.boolean(), sees: fc.array(fc.nat({ max: 60 }), { maxLength: 4 }) }),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(writesArb, fc.integer(), (writes, seed) => {
        const ops: SetOperation[] = [];
        const states: SetState[] = [setPolicy.empty(), setPolicy.empty(), setPolicy.empty()];
        const seqs = [0, 0, 0];
        for (const w of writes) {
          // The writer learns some earlier operations, then writes from what it has.
          for (const index of w.sees) if (index < ops.length) states[w.writer] = setPolicy.apply(states[w.writer]!, ops[index]!);
          const value = POOL[w.value]!;
          const payload = w.remove ? setRemove(states[w.writer]!, value) : setAdd(value);
          const written = op(`p${w.writer}`, ++seqs[w.writer]!, payload);
          ops.push(written);
          states[w.writer] = setPolicy.apply(states[w.writer]!, written);
        }
        const order = [...ops].sort((a, b) => ((a.seq * 7919 + a.origin.charCodeAt(1) * 31 + seed) % 13) - ((b.seq * 7919 + b.origin.charCodeAt(1) * 31 + seed) % 13));
        const applied = order.reduce(setPolicy.apply, setPolicy.empty());
        const joined = order.reduce((state, o) => setPolicy.merge(state, setPolicy.apply(setPolicy.empty(), o)), setPolicy.empty());
        expect(applied).toEqual(joined);
        expect(setPolicy.essential(applied)).toEqual([...applied.adds, ...applied.removes].sort((a, b) => (a.origin !== b.origin ? (a.origin < b.origin ? -1 : 1) : a.seq - b.seq)));
        // Applying everything again changes nothing.
        expect(order.reduce(setPolicy.apply, applied)).toEqual(applied);
        // Merging a large state with a small one (the engine's durable state and the writes on their way)
        // gives the same state as applying everything, both ways round.
        const cut = Math.max(0, order.length - 1 - (Math.abs(seed) % 3));
        const large = order.slice(0, cut).reduce(setPolicy.apply, setPolicy.empty());
        const small = order.slice(cut).reduce(setPolicy.apply, setPolicy.empty());
        expect(setPolicy.merge(large, small)).toEqual(applied);
        expect(setPolicy.merge(small, large)).toEqual(applied);
      }),
      { numRuns: 300 },
    );
  });
});

describe('add-wins set policy: merging a large state with a few writes', () => {
  it('applies the few to the large one, with the result of the join', () => {
    let large = setPolicy.empty();
    // Large enough that the few are applied one by one rather than joined.
    for (let i = 1; i <= 80; i++) large = setPolicy.apply(large, op('a', i, setAdd(`v${i}`)));
    // Another peer that had seen all of it removes two values and adds one; one more add of a removed value is concurrent.
    let b = large;
    const removeOne = op('b', 1, setRemove(b, 'v3'));
    b = setPolicy.apply(b, removeOne);
    const removeTwo = op('b', 2, setRemove(b, 'v7'));
    const addNew = op('b', 3, setAdd('w'));
    const small = [removeOne, removeTwo, addNew].reduce(setPolicy.apply, setPolicy.empty());
    const concurrentAdd = op('c', 1, setAdd('v3'));
    const largeWithAdd = setPolicy.apply(large, concurrentAdd);
    const expected = [removeOne, removeTwo, addNew].reduce(setPolicy.apply, largeWithAdd);
    expect(setPolicy.merge(largeWithAdd, small)).toEqual(expected);
    expect(setPolicy.merge(small, largeWithAdd)).toEqual(expected);
    expect(setPolicy.value(expected)).toContain('v3');
    expect(setPolicy.value(expected)).not.toContain('v7');
    expect(setPolicy.value(expected)).toContain('w');
  });
});
