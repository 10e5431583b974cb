import { describe, expect, it } from 'vitest';
import { backoffDelay, createManualClock } from './index.js';

describe('manual clock', () => {
  it('fires timers in time order, then in scheduling order', () => {
    const clock = createManualClock({ start: 0 });
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 10);
    clock.setTimeout(() => fired.push('a'), 5);
    clock.setTimeout(() => fired.push('c'), 10);
    const cancelled = clock.setTimeout(() => fired.push('x'), 7);
    clock.clearTimeout(cancelled);
    expect(clock.pending()).toBe(3);
    clock.advance(10);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(clock.now()).toBe(10);
    expect(clock.pending()).toBe(0);
  });

  it('lets a timer schedule another within the same advance', () => {
    const clock = createManualClock({ start: 0 });
    const times: number[] = [];
    clock.setTimeout(() => {
      times.push(clock.now());
      clock.setTimeout(() => times.push(clock.now()), 3);
    }, 2);
    clock.advance(100);
    expect(times).toEqual([2, 5]);
    expect(clock.runNext()).toBe(false);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, with full jitter', () => {
    expect(backoffDelay(0, 0.999, 100, 1000)).toBe(99);
    expect(backoffDelay(3, 0.5, 100, 1000)).toBe(400);
    expect(backoffDelay(30, 0.999, 100, 1000)).toBe(999);
    expect(backoffDelay(5, 0, 100, 1000)).toBe(0);
  });
});
