/**
 * A seeded pseudo-random generator (sfc32), for simulations and tests that
 * must replay exactly from a seed. Not for secrets: use {@link generatePeerId}
 * or the platform CSPRNG for those.
 */
export interface SeededRandom {
  /** A number in `[0, 1)`. */
  next(): number;
  /** An integer in `[min, max]`, both included. */
  int(min: number, max: number): number;
  /** `true` with probability `p`. */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** A new generator whose sequence depends on this one's state and `label`. */
  fork(label: string): SeededRandom;
}

/**
 * Makes a {@link SeededRandom} from a seed; the same seed always gives the
 * same sequence, on every platform.
 *
 * @param seed - any integer (or a string, hashed)
 */
export function createSeededRandom(seed: number | string): SeededRandom {
  const h = typeof seed === 'string' ? hashString(seed) : seed >>> 0;
  let a = 0x9e3779b9 ^ h;
  let b = 0x243f6a88 ^ Math.imul(h, 0x85ebca6b);
  let c = 0xb7e15162 ^ Math.imul(h, 0xc2b2ae35);
  let d = 1;
  const nextUint = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (a + b + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 15; i++) nextUint();
  const random: SeededRandom = {
    next: () => nextUint() / 4294967296,
    int: (min, max) => min + Math.floor((nextUint() / 4294967296) * (max - min + 1)),
    chance: (p) => p > 0 && nextUint() / 4294967296 < p,
    pick: <T>(items: readonly T[]): T => items[Math.floor((nextUint() / 4294967296) * items.length)]!,
    fork: (label) => createSeededRandom((nextUint() ^ hashString(label)) >>> 0),
  };
  return random;
}

function hashString(s: string): number {
  // FNV-1a, 32 bits.
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
