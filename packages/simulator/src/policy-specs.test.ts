import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { JsonValue, Operation, OperationType } from '@softadastra/sync-core';
import {
  counterDecrement,
  counterIncrement,
  mapWrite,
  mvWrite,
  policyFor,
  setAdd,
  setRemove,
  type CounterState,
  type MvState,
  type SetState,
} from '@softadastra/sync-reconciler';
import { describe, expect, it } from 'vitest';
import { counterSpec, expectedTypedValue, mapSpec, mvSpec, normalizedValue, setSpec } from './policy-specs.js';

function typed(type: OperationType, origin: string, seq: number, value: unknown, wall = seq): Operation {
  return { origin, seq, hlc: { wall, counter: 0, peer: origin }, collection: type, key: 'k', kind: 'put', type, value: value as JsonValue };
}

const orders = <T>(items: readonly T[]): T[][] => [[...items], [...items].reverse(), [...items.slice(1), items[0]!]];

describe('the reference specs of the typed policies', () => {
  it('counts each origin by its latest totals, not by the sum of its writes', () => {
    const history = [typed('counter', 'a', 1, { p: 1, n: 0 }), typed('counter', 'a', 2, { p: 3, n: 0 }), typed('counter', 'b', 1, { p: 2, n: 1 })];
    const totals = (op: Operation): { p: number; n: number } => (op.kind === 'put' ? (op.value as { p: number; n: number }) : { p: 0, n: 0 });
    const naive = history.reduce((sum, op) => sum + totals(op).p - totals(op).n, 0);
    expect(naive).toBe(5);
    for (const order of orders(history)) expect(counterSpec(order)).toBe(4);
    // Without a's latest total, a counts 1.
    expect(counterSpec([history[0]!, history[2]!])).toBe(2);
  });

  it('keeps a set value an add of which no remove had seen, and only then', () => {
    const addA = typed('set', 'a', 1, { action: 'add', value: 'x' });
    const removeB = typed('set', 'b', 1, { action: 'remove', value: 'x', context: { a: 1 } });
    const addC = typed('set', 'c', 1, { action: 'add', value: 'x' });
    const blind = typed('set', 'd', 1, { action: 'remove', value: 'y', context: {} });
    const addY = typed('set', 'a', 2, { action: 'add', value: 'y' });
    for (const order of orders([addA, removeB, addC, blind, addY])) expect(setSpec(order)).toEqual(['x', 'y']);
    // The remove saw a's add: x is gone once c's concurrent add is not in the history.
    expect(setSpec([addA, removeB, blind, addY])).toEqual(['y']);
    // A remove whose context names the add by a later seq of its origin covers it too.
    expect(setSpec([addA, typed('set', 'b', 2, { action: 'remove', value: 'x', context: { a: 5 } })])).toEqual([]);
    // A remove of another value, or one that names another origin, removes nothing.
    expect(setSpec([addA, typed('set', 'b', 3, { action: 'remove', value: 'z', context: { a: 1 } }), typed('set', 'b', 4, { action: 'remove', value: 'x', context: { c: 9 } })])).toEqual(['x']);
  });

  it('shows every mv write no other write had seen', () => {
    const first = typed('mv', 'a', 1, { value: 1, context: {} });
    const second = typed('mv', 'b', 1, { value: 2, context: { a: 1 } });
    const concurrent = typed('mv', 'c', 1, { value: 3, context: {} }, 99);
    for (const order of orders([first, second, concurrent])) expect(mvSpec(order)).toEqual([2, 3]);
    // The newest alone (an LWW register) would show [3]; a write that saw both replaces both.
    expect(mvSpec([first, second, concurrent, typed('mv', 'a', 2, { value: 4, context: { a: 1, b: 1, c: 1 } })])).toEqual([4]);
  });

  it('merges map fields one by one, each to its newest write, deletes included', () => {
    const a = typed('map', 'a', 1, { set: { f: 1, g: 1 }, del: [] }, 10);
    const b = typed('map', 'b', 1, { set: { f: 2 }, del: ['g'] }, 20);
    const c = typed('map', 'c', 1, { set: { h: 3, g: 3 }, del: [] }, 15);
    for (const order of orders([a, b, c])) expect(mapSpec(order)).toEqual({ f: 2, h: 3 });
    // The newest write alone would be { f: 2 }. A tie of whole clocks is broken by origin.
    const tie = (origin: string): Operation => ({ ...typed('map', origin, 1, { set: { f: 9 }, del: [] }), hlc: b.hlc });
    expect(mapSpec([a, b, c, tie('0')])).toEqual({ f: 2, h: 3 });
    expect(mapSpec([a, b, c, tie('z')])).toEqual({ f: 9, h: 3 });
  });

  it('compares set and mv values in any order, and an unwritten key as the empty value', () => {
    expect(normalizedValue('set', ['b', 'a'])).toBe(normalizedValue('set', ['a', 'b']));
    expect(normalizedValue('mv', [2, 1])).toBe(normalizedValue('mv', [1, 2]));
    expect(normalizedValue('counter', undefined)).toBe(normalizedValue('counter', 0));
    expect(normalizedValue('map', { b: 1, a: 2 })).toBe(normalizedValue('map', { a: 2, b: 1 }));
    expect(normalizedValue('set', ['a'])).not.toBe(normalizedValue('set', ['a', 'b']));
  });

  // Replicas write with the reconciler's helpers and merge each other's states by its policies, in a random schedule:
  // the join of all must show what the spec says of all the writes (each checks the other).
  for (const type of ['counter', 'set', 'mv', 'map'] as const) {
    it(`agrees with the reconciler's ${type} policy on random histories of three replicas`, () => {
      const policy = policyFor(type);
      const step = fc.record({ replica: fc.integer({ min: 0, max: 2 }), merge: fc.integer({ min: -1, max: 2 }), pick: fc.integer({ min: 0, max: 5 }) });
      fc.assert(
        fc.property(fc.array(step, { minLength: 1, maxLength: 25 }), (steps) => {
          const states: unknown[] = [policy.empty(), policy.empty(), policy.empty()];
          const seqs = [0, 0, 0];
          const ops: Operation[] = [];
          let wall = 0;
          for (const { replica, merge, pick } of steps) {
            if (merge >= 0 && merge !== replica) {
              states[replica] = policy.merge(states[replica], states[merge]);
              continue;
            }
            const origin = `r${replica}`;
            const state = states[replica];
            const payload =
              type === 'counter'
                ? pick % 2 === 0
                  ? counterIncrement(state as CounterState, origin, pick + 1)
                  : counterDecrement(state as CounterState, origin, pick)
                : type === 'set'
                  ? pick < 3
                    ? setAdd(['x', 'y'][pick % 2]!)
                    : setRemove(state as SetState, ['x', 'y'][pick % 2]!)
                  : type === 'mv'
                    ? mvWrite(state as MvState, ops.length)
                    : mapWrite(pick < 4 ? { [`f${pick % 3}`]: ops.length } : {}, pick >= 4 ? [`f${pick % 3}`] : []);
            // Clocks of a few ms, so that map writes of different replicas tie and fall back to origin.
            wall += pick % 2;
            const op = typed(type, origin, ++seqs[replica]!, payload, wall);
            ops.push(op);
            states[replica] = policy.apply(states[replica], op as never);
          }
          const all = states.reduce((a, b) => policy.merge(a, b));
          expect(normalizedValue(type, expectedTypedValue(type, ops))).toBe(normalizedValue(type, policy.value(all) as JsonValue));
        }),
        { numRuns: 500 },
      );
    });
  }

  it('imports no policy from the code it checks', () => {
    const source = readFileSync(new URL('./policy-specs.ts', import.meta.url), 'utf8');
    const imports = [...source.matchAll(/^import\s+(.*?)\s+from\s+'([^']+)'/gms)].map((m) => `${m[1]} from ${m[2]}`);
    expect(imports).toEqual(['type { JsonValue, Operation, OperationType } from @softadastra/sync-core', '{ isNewerWrite } from ./oracle.js']);
  });
});
