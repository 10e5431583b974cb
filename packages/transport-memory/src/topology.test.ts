import { describe, expect, it } from 'vitest';
import { Topology, pairKey } from './topology.js';

describe('Topology', () => {
  it('keys a pair the same way in both directions, without separator collisions', () => {
    expect(pairKey('a', 'b')).toBe(pairKey('b', 'a'));
    expect(pairKey('a,b', 'c')).not.toBe(pairKey('a', 'b,c'));
  });

  it('cuts and heals a pair, known or not', () => {
    const t = new Topology();
    t.cut('x', 'y');
    expect(t.isCut(pairKey('y', 'x'))).toBe(true);
    t.heal('y', 'x');
    expect(t.isCut(pairKey('x', 'y'))).toBe(false);
  });

  it('puts nodes seen after a partition in the unlisted group', () => {
    const t = new Topology();
    for (const node of ['a', 'b', 'c']) t.register(node);
    t.partition([['a'], ['b']]);
    t.register('d');
    expect(t.isCut(pairKey('a', 'b'))).toBe(true);
    expect(t.isCut(pairKey('a', 'c'))).toBe(true);
    expect(t.isCut(pairKey('c', 'd'))).toBe(false);
    expect(t.isCut(pairKey('b', 'd'))).toBe(true);
    t.clear();
    t.register('e');
    expect(t.isCut(pairKey('a', 'b'))).toBe(false);
    expect(t.isCut(pairKey('a', 'e'))).toBe(false);
  });

  it('blocks one direction only', () => {
    const t = new Topology();
    t.block('a', 'b');
    expect([t.isBlocked('a', 'b'), t.isBlocked('b', 'a')]).toEqual([true, false]);
    t.unblock('a', 'b');
    expect(t.isBlocked('a', 'b')).toBe(false);
  });

  it('refuses malformed input', () => {
    const t = new Topology();
    expect(() => t.partition('ab' as unknown as string[][])).toThrow(/list of groups/);
    expect(() => t.partition([['a'], 'b' as unknown as string[]])).toThrow(/group 1/);
    expect(() => t.partition([[3 as unknown as string]])).toThrow(/non-empty string/);
    expect(() => t.block('a', 'a')).toThrow(/two different nodes/);
  });
});
