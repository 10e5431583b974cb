import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { Operation } from '@softadastra/sync-core';
import { compareOperations } from '@softadastra/sync-reconciler';
import { describe, expect, it } from 'vitest';
import { expectedState, isNewerWrite } from './oracle.js';

function op(origin: string, seq: number, wall: number, counter: number, key = 'k'): Operation {
  return { origin, seq, hlc: { wall, counter, peer: origin }, collection: 'c', key, kind: 'put', value: seq };
}

describe('the reference model of last-writer-wins', () => {
  it('lets the later wall clock win, whatever the counter or the peer', () => {
    expect(isNewerWrite(op('a', 1, 11, 0), op('z', 9, 10, 99))).toBe(true);
    expect(isNewerWrite(op('z', 9, 10, 99), op('a', 1, 11, 0))).toBe(false);
  });

  it('lets the higher counter win within one millisecond', () => {
    expect(isNewerWrite(op('a', 2, 10, 1), op('a', 1, 10, 0))).toBe(true);
    expect(isNewerWrite(op('a', 1, 10, 0), op('b', 1, 10, 1))).toBe(false);
  });

  it('breaks a tie of clocks by peer id, the same way on every peer', () => {
    expect(isNewerWrite(op('b', 1, 10, 0), op('a', 1, 10, 0))).toBe(true);
    expect(isNewerWrite(op('a', 1, 10, 0), op('b', 1, 10, 0))).toBe(false);
  });

  it('picks the newest write of each key, in any order of arrival', () => {
    const writes = [op('a', 1, 10, 0, 'x'), op('b', 1, 10, 2, 'x'), op('a', 2, 10, 1, 'x'), op('c', 1, 5, 0, 'y')];
    for (const order of [writes, [...writes].reverse(), [writes[2]!, writes[0]!, writes[3]!, writes[1]!]]) {
      const state = expectedState(order);
      expect(state.get('c/x')).toBe(writes[1]);
      expect(state.get('c/y')).toBe(writes[3]);
      expect(state.size).toBe(2);
    }
  });

  it('agrees with the engine comparison on every pair (each checks the other)', () => {
    const peer = fc.constantFrom('p0', 'p1', 'p2', 'p10', 'Z', 'a-b');
    const operation = fc.record({ origin: peer, seq: fc.integer({ min: 1, max: 4 }), wall: fc.integer({ min: 0, max: 3 }), counter: fc.integer({ min: 0, max: 3 }) });
    fc.assert(
      fc.property(operation, operation, (x, y) => {
        const a = op(x.origin, x.seq, x.wall, x.counter);
        const b = op(y.origin, y.seq, y.wall, y.counter);
        expect(isNewerWrite(a, b)).toBe(compareOperations(a, b) > 0);
      }),
      { numRuns: 2_000 },
    );
  });

  it('imports no ordering from the code it checks', () => {
    const source = readFileSync(new URL('./oracle.ts', import.meta.url), 'utf8');
    const imports = [...source.matchAll(/^import\s+(.*?)\s+from\s+'([^']+)'/gms)].map((m) => `${m[1]} from ${m[2]}`);
    expect(imports).toEqual(["type { Operation } from @softadastra/sync-core"]);
  });
});
