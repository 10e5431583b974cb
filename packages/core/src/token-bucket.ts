/**
 * A token bucket: `ratePerSecond` tokens a second, bursts up to `burst` —
 * the budget of a connection (operations, bytes, requests per second).
 *
 * @remarks
 * Pure: the caller passes the time, so it runs on any clock, virtual or real.
 */
export class TokenBucket {
  #tokens: number;
  #updated: number;
  readonly #rate: number;
  readonly #burst: number;

  /**
   * @param ratePerSecond - tokens added per second
   * @param burst - the most tokens held (and the initial amount)
   * @param now - the current time in ms
   */
  constructor(ratePerSecond: number, burst: number, now: number) {
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#tokens = burst;
    this.#updated = now;
  }

  /**
   * Takes `count` tokens when the bucket is not empty, possibly going into
   * debt (so that a batch larger than the burst is admitted once, and the
   * next ones wait until the debt is paid back); returns whether it did.
   */
  take(count: number, now: number): boolean {
    this.#refill(now);
    if (this.#tokens <= 0) return false;
    this.#tokens -= count;
    return true;
  }

  /** Takes `count` tokens only if that many are there (no debt); returns whether it did. */
  tryTake(count: number, now: number): boolean {
    this.#refill(now);
    if (this.#tokens < count) return false;
    this.#tokens -= count;
    return true;
  }

  /** Milliseconds until `count` tokens are there (0 when they are now). */
  waitMs(count: number, now: number): number {
    this.#refill(now);
    return this.#tokens >= count ? 0 : Math.ceil(((count - this.#tokens) / this.#rate) * 1000);
  }

  #refill(now: number): void {
    // A clock that jumps back must not drain the bucket (it would lock the caller out for as long).
    const elapsed = Math.max(0, now - this.#updated);
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed / 1000) * this.#rate);
    this.#updated = now;
  }
}
