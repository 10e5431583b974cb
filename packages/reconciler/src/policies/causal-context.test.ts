import fc from 'fast-check';
import type { JsonValue, Operation } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { canonicalJson, checkContext, concurrent, contextDominates, happenedBefore, joinContexts, mvWrite, mvPolicy, type MvOperation } from '../index.js';
import { historyArb, idOf, simulate, type SimPolicy } from './simulation.test-support.js';

function write(origin: string, seq: number, seen: readonly MvOperation[]): MvOperation {
  const state = seen.reduce(mvPolicy.apply, mvPolicy.empty());
  return { origin, seq, hlc: { wall: seq, counter: 0, peer: origin }, collection: 'c', key: 'k', value: mvWrite(state, seq) };
}

const mvSim: SimPolicy<ReturnType<typeof mvWrite>, ReturnType<typeof mvPolicy.empty>, JsonValue[]> = {
  policy: mvPolicy,
  write: (state, _origin, choice) => ({ value: mvWrite(state, choice) }),
  reference: () => [],
};

describe('causal helpers', () => {
  it('orders a write before one that saw it, and calls writes that did not see each other concurrent', () => {
    const a1 = write('a', 1, []);
    const b1 = write('b', 1, []);
    const a2 = write('a', 2, [a1, b1]);
    expect(happenedBefore(a1, a2)).toBe(true);
    expect(happenedBefore(b1, a2)).toBe(true);
    expect(happenedBefore(a2, a1)).toBe(false);
    expect(concurrent(a1, b1)).toBe(true);
    expect(concurrent(a1, a2)).toBe(false);
    expect(concurrent(a1, a1)).toBe(false);
    expect(happenedBefore(a1, a1)).toBe(false);
  });

  it('agrees with what writers had actually seen, on random histories', () => {
    fc.assert(
      fc.property(historyArb(), (commands) => {
        const { events } = simulate(mvSim, commands);
        for (const x of events) {
          for (const y of events) {
            expect(happenedBefore(x.op, y.op)).toBe(y.seenAtWrite.has(idOf(x.op)));
            expect(concurrent(x.op, y.op)).toBe(idOf(x.op) !== idOf(y.op) && !y.seenAtWrite.has(idOf(x.op)) && !x.seenAtWrite.has(idOf(y.op)));
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it('joins contexts pointwise and checks untrusted ones', () => {
    expect(joinContexts([{ a: 2, b: 1 }, { b: 5 }], [{ origin: 'c', seq: 1 }])).toEqual({ a: 2, b: 5, c: 1 });
    expect(contextDominates({ a: 2, b: 5 }, { b: 4 })).toBe(true);
    expect(contextDominates({ a: 2 }, { b: 1 })).toBe(false);
    expect(checkContext({ b: 1, a: 2 }, 'x')).toEqual({ ok: true, context: { a: 2, b: 1 } });
    expect(checkContext(JSON.parse('{"__proto__": 1}'), 'x').ok).toBe(false);
  });

  it('writes one canonical JSON text for equal values', () => {
    expect(canonicalJson({ b: [1, { d: 1, c: -0 }], a: null })).toBe('{"a":null,"b":[1,{"c":0,"d":1}]}');
    const jsonArb = fc.jsonValue() as fc.Arbitrary<JsonValue>;
    fc.assert(
      fc.property(jsonArb, (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text) as JsonValue)).toBe(text);
        const reversed = JSON.parse(JSON.stringify(value, (_key, inner: unknown) => (inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? Object.fromEntries(Object.entries(inner).reverse()) : inner))) as JsonValue;
        expect(canonicalJson(reversed)).toBe(text);
      }),
      { numRuns: 200 },
    );
  });
});

describe('happenedBefore and concurrent on core operations', () => {
  const at = (origin: string, seq: number, extra: object = {}): Operation =>
    ({ origin, seq, hlc: { wall: seq, counter: 0, peer: origin }, collection: 'c', key: 'k', kind: 'put', value: 1, ...extra });

  it("reads a causal space's dependencies, a writer's own order, and an mv or set context", () => {
    const list = at('alice', 1);
    const item = at('bob', 4, { deps: { alice: 1 } });
    const other = at('carol', 2);
    expect(happenedBefore(list, item)).toBe(true);
    expect(happenedBefore(item, list)).toBe(false);
    expect(concurrent(list, item)).toBe(false);
    expect(happenedBefore(at('bob', 3), item)).toBe(true);
    expect(happenedBefore(at('alice', 2), item)).toBe(false);
    expect(concurrent(other, item)).toBe(true);
    const mv = at('carol', 3, { type: 'mv', value: { value: 'x', context: { alice: 1 } } });
    expect(happenedBefore(list, mv)).toBe(true);
    expect(concurrent(item, mv)).toBe(true);
    expect(concurrent(item, item)).toBe(false);
  });
});
