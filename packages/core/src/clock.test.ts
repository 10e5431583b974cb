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

describe('setLongTimeout', () => {
  const DAY = 24 * 3600 * 1000;

  it('waits a delay longer than 2^31-1 ms instead of firing at once', async () => {
    const { vi } = await import('vitest');
    const { setLongTimeout, systemClock } = await import('./index.js');
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    try {
      const plain: number[] = [];
      // What Node does with such a delay: fires (almost) at once. The fake timers must show it, or this test proves nothing.
      setTimeout(() => plain.push(Date.now()), 30 * DAY);
      const long: number[] = [];
      setLongTimeout(() => long.push(Date.now()), 30 * DAY);
      const viaClock: number[] = [];
      systemClock.setTimeout(() => viaClock.push(Date.now()), 30 * DAY);
      vi.advanceTimersByTime(10);
      expect(plain).toHaveLength(1);
      expect(long).toEqual([]);
      vi.advanceTimersByTime(29 * DAY);
      expect(long).toEqual([]);
      expect(viaClock).toEqual([]);
      vi.advanceTimersByTime(DAY);
      expect(long).toEqual([1_700_000_000_000 + 30 * DAY]);
      expect(viaClock).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('can be cancelled between two re-arms, and never fires for Infinity', async () => {
    const { vi } = await import('vitest');
    const { setLongTimeout, systemClock } = await import('./index.js');
    vi.useFakeTimers({ now: 0 });
    try {
      const fired: string[] = [];
      const timer = setLongTimeout(() => fired.push('long'), 60 * DAY);
      setLongTimeout(() => fired.push('never'), Infinity);
      const handle = systemClock.setTimeout(() => fired.push('clock'), 40 * DAY);
      vi.advanceTimersByTime(30 * DAY);
      timer.cancel();
      systemClock.clearTimeout(handle);
      vi.advanceTimersByTime(100 * DAY);
      expect(fired).toEqual([]);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('systemClock.keepAlive', () => {
  const refTimers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

  it('keeps one ref\'d handle while any hold is taken, none after the last release', async () => {
    const { systemClock } = await import('./index.js');
    const before = refTimers();
    const a = systemClock.keepAlive!();
    const b = systemClock.keepAlive!();
    expect(refTimers()).toBe(before + 1);
    a();
    a(); // a second release of the same hold changes nothing
    expect(refTimers()).toBe(before + 1);
    b();
    expect(refTimers()).toBe(before);
  });

  it('holds nothing for its own retry timers', async () => {
    const { systemClock } = await import('./index.js');
    const before = refTimers();
    const handle = systemClock.setTimeout(() => undefined, 60_000);
    expect(refTimers()).toBe(before);
    systemClock.clearTimeout(handle);
  });
});
