import { describe, expect, it } from 'vitest';
import { createSeededRandom } from './index.js';

describe('createSeededRandom', () => {
  it('replays the same sequence from the same seed', () => {
    const a = createSeededRandom(42);
    const b = createSeededRandom(42);
    const c = createSeededRandom(43);
    const seqA = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(seqA);
  });

  it('stays in range and spreads evenly', () => {
    const r = createSeededRandom('spread');
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const x = r.next();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      buckets[Math.floor(x * 10)]! += 1;
      const n = r.int(3, 5);
      expect(n >= 3 && n <= 5).toBe(true);
    }
    for (const count of buckets) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });

  it('forks independent, reproducible streams', () => {
    const x = createSeededRandom(7).fork('net');
    const y = createSeededRandom(7).fork('net');
    expect(x.next()).toBe(y.next());
    expect(createSeededRandom(7).fork('a').next()).not.toBe(createSeededRandom(7).fork('b').next());
  });
});
