/**
 * Time and chance, as the engine sees them.
 *
 * @remarks
 * The engine takes a `Clock` instead of calling `Date.now`, `setTimeout` or
 * `Math.random`, so a simulator can run it on virtual time with a seeded
 * random source and replay a run exactly.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch (also the HLC's physical clock). */
  now(): number;
  /** Calls `callback` once after `ms` milliseconds. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a pending `setTimeout`. */
  clearTimeout(handle: unknown): void;
  /** A random number in `[0, 1)`, for retry jitter. */
  random(): number;
}

/**
 * The real clock: `Date.now`, `setTimeout` (unref'd in Node, so pending retries
 * never keep a process alive by themselves) and `Math.random`.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms) as unknown as { unref?: () => void };
    handle.unref?.();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as Parameters<typeof clearTimeout>[0]);
  },
  random: () => Math.random(),
};

/**
 * Exponential backoff with full jitter: a delay drawn uniformly from
 * `[0, min(maxMs, baseMs · 2^attempt))`.
 *
 * @param attempt - 0 for the first retry
 * @param random - a number in `[0, 1)`
 */
export function backoffDelay(attempt: number, random: number, baseMs = 100, maxMs = 30_000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random * ceiling);
}
