import fc from 'fast-check';
import { isSyncError } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { counterDecrement, counterIncrement, counterPolicy, validateCounterPayload, type CounterOperation, type CounterPayload, type CounterState } from '../index.js';
import { PEERS, describeLaws, simulate, historyArb, stateOf, type SimPolicy } from './simulation.test-support.js';

const sim: SimPolicy<CounterPayload, CounterState, number> = {
  policy: counterPolicy,
  write: (state, origin, choice) => {
    const amount = 1 + (choice % 7);
    return choice % 3 === 0
      ? { value: counterDecrement(state, origin, amount), meta: -amount }
      : { value: counterIncrement(state, origin, amount), meta: amount };
  },
  // The plain counter: the sum of every increment minus every decrement seen.
  reference: (events) => events.reduce((sum, event) => sum + (event.meta as number), 0),
};

describeLaws(sim);

function op(origin: string, seq: number, payload: CounterPayload): CounterOperation {
  return { origin, seq, hlc: { wall: seq, counter: 0, peer: origin }, collection: 'c', key: 'k', value: payload };
}

describe('counter policy', () => {
  it('counts 2,000 when two peers each increment 1,000 times offline, then sync', () => {
    let a = counterPolicy.empty();
    let b = counterPolicy.empty();
    for (let seq = 1; seq <= 1000; seq++) {
      a = counterPolicy.apply(a, op('a', seq, counterIncrement(a, 'a')));
      b = counterPolicy.apply(b, op('b', seq, counterIncrement(b, 'b')));
    }
    expect(counterPolicy.value(a)).toBe(1000);
    const merged = counterPolicy.merge(a, b);
    expect(counterPolicy.value(merged)).toBe(2000);
    // What a planner sends is one op per origin, not 2,000.
    expect(counterPolicy.essential(merged)).toHaveLength(2);
    expect(counterPolicy.value(stateOf(counterPolicy, counterPolicy.essential(b).concat(counterPolicy.essential(a))))).toBe(2000);
  });

  it('loses no increment when earlier ops of an origin never arrive, or arrive late and twice', () => {
    let a = counterPolicy.empty();
    const ops: CounterOperation[] = [];
    for (let seq = 1; seq <= 5; seq++) {
      const next = op('a', seq, seq === 3 ? counterDecrement(a, 'a', 2) : counterIncrement(a, 'a', seq));
      ops.push(next);
      a = counterPolicy.apply(a, next);
    }
    // 1 + 2 − 2 + 4 + 5
    expect(counterPolicy.value(a)).toBe(10);
    const receiver = stateOf(counterPolicy, [ops[4]!, ops[1]!, ops[0]!, ops[4]!]);
    expect(counterPolicy.value(receiver)).toBe(10);
  });

  it('keeps its state to one op per origin however long the history', () => {
    fc.assert(
      fc.property(historyArb(40), (commands) => {
        for (const peer of simulate(sim, commands).peers) expect(peer.state.latest.length).toBeLessThanOrEqual(PEERS.length);
      }),
      { numRuns: 50 },
    );
  });

  it('refuses an amount that is not a positive safe integer, or a total past 2^53 − 1', () => {
    const state = stateOf(counterPolicy, [op('a', 1, { p: Number.MAX_SAFE_INTEGER, n: 0 })]);
    for (const amount of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => counterIncrement(counterPolicy.empty(), 'a', amount)).toThrowError(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }) as Error);
    }
    expect(() => counterIncrement(state, 'a')).toThrowError(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }) as Error);
    expect(counterDecrement(state, 'a', 3)).toEqual({ p: Number.MAX_SAFE_INTEGER, n: 3 });
  });

  it('validates payloads: totals are non-negative safe integers, and it never throws', () => {
    expect(validateCounterPayload({ p: 3, n: 0 })).toEqual({ ok: true, value: { p: 3, n: 0 } });
    for (const bad of [null, 1, [], { p: -1, n: 0 }, { p: 1 }, { p: 1, n: 0.5 }, { p: '1', n: 0 }, { p: 2 ** 53, n: 0 }]) {
      const result = validateCounterPayload(bad);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(isSyncError(result.error)).toBe(true);
        expect(result.error.code).toBe('E_INVALID_VALUE');
      }
    }
    const hostile = Object.defineProperty({}, 'p', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    const result = validateCounterPayload(hostile);
    expect(result.ok || result.error.code).toBe('E_INVALID_VALUE');
    fc.assert(
      fc.property(fc.anything(), (input) => {
        const checked = validateCounterPayload(input);
        expect(checked.ok || isSyncError(checked.error)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
