/**
 * The inputs of every workload: a seeded stream of `(key, value)` writes, so
 * every contestant writes exactly the same keys and values in the same order.
 *
 * @remarks
 * Values are made on the fly (a few arithmetic steps each, the same for
 * everyone) instead of being generated up front: a pre-generated array would
 * keep every value alive and spoil the heap measurements of contestants that
 * store the caller's object by reference.
 */
import type { Item } from './adapter.ts';

/** mulberry32: small, fast, and fixed here so results stay comparable across product changes. */
export function seededRandom(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stream of writes over `keys` keys. */
export interface ItemStream {
  next(): [key: string, value: Item];
}

/** Writes over keys `item-0 … item-(keys−1)`, each key drawn uniformly; values `{ name, n, done }`. */
export function itemStream(seed: number, keys: number): ItemStream {
  const random = seededRandom(seed);
  return {
    next() {
      const key = `item-${Math.floor(random() * keys)}`;
      const n = Math.floor(random() * 1_000_000);
      const value: Item = { name: `task ${(Math.floor(random() * 2 ** 31)).toString(36)}`, n, done: random() < 0.5 };
      return [key, value];
    },
  };
}
