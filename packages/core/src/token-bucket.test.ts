import { describe, expect, it } from 'vitest';
import { TokenBucket } from './index.js';

describe('TokenBucket', () => {
  it('admits a burst, then the sustained rate', () => {
    const bucket = new TokenBucket(10, 5, 0);
    for (let i = 0; i < 5; i++) expect(bucket.tryTake(1, 0)).toBe(true);
    expect(bucket.tryTake(1, 0)).toBe(false);
    expect(bucket.waitMs(1, 0)).toBe(100);
    expect(bucket.tryTake(1, 99)).toBe(false);
    expect(bucket.tryTake(1, 100)).toBe(true);
    // Refills up to the burst, never past it.
    expect(bucket.waitMs(5, 10_000)).toBe(0);
    expect(bucket.tryTake(6, 10_000)).toBe(false);
  });

  it('take() lets one oversized batch go into debt, then waits for it to be paid back', () => {
    const bucket = new TokenBucket(10, 5, 0);
    expect(bucket.take(20, 0)).toBe(true);
    expect(bucket.take(1, 0)).toBe(false);
    expect(bucket.take(1, 1_400)).toBe(false);
    expect(bucket.take(1, 1_600)).toBe(true);
  });

  it('is not drained by a clock that jumps back', () => {
    const bucket = new TokenBucket(1, 3, 1_000_000);
    expect(bucket.tryTake(3, 1_000_000)).toBe(true);
    // Ten minutes back: no debt of 600 tokens, just no refill until time moves forward again.
    expect(bucket.tryTake(1, 400_000)).toBe(false);
    expect(bucket.tryTake(1, 401_000)).toBe(true);
  });
});
