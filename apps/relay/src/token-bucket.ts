/**
 * A token bucket: `ratePerSecond` tokens a second, bursts up to `burst`.
 */
export class TokenBucket {
  #tokens: number;
  #updated: number;
  readonly #rate: number;
  readonly #burst: number;

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
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#updated) / 1000) * this.#rate);
    this.#updated = now;
    if (this.#tokens <= 0) return false;
    this.#tokens -= count;
    return true;
  }
}
