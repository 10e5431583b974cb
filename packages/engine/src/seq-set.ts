/**
 * A set of positive integers that is mostly a prefix 1..n: the message
 * numbers of a session that have arrived, or have become durable.
 * @internal
 */
export class SeqSet {
  #upTo = 0;
  #above = new Set<number>();
  #max = 0;

  add(n: number): void {
    if (n <= this.#upTo) return;
    if (n > this.#max) this.#max = n;
    if (n !== this.#upTo + 1) {
      this.#above.add(n);
      return;
    }
    this.#upTo = n;
    while (this.#above.delete(this.#upTo + 1)) this.#upTo++;
  }

  has(n: number): boolean {
    return n <= this.#upTo || this.#above.has(n);
  }

  /** Whether every number 1..n is in the set. */
  hasAllUpTo(n: number): boolean {
    return n <= this.#upTo;
  }

  /** Whether some number below the largest one is missing. */
  hasGap(): boolean {
    return this.#max > this.#upTo;
  }

  /** The largest number in the set, or 0. */
  get max(): number {
    return this.#max;
  }
}
