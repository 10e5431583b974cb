import type { Operation } from '@softadastra/sync-core';

/** Number of buckets in a {@link StateDigest}. */
export const DIGEST_BUCKETS = 256;

/** One key of a digest: where it is and which operation wins it. */
export interface DigestLeaf {
  readonly collection: string;
  readonly key: string;
  /** The winner's op id as `origin:seq`. */
  readonly winner: string;
}

/**
 * A summary of a state that two peers can compare to find where they differ.
 *
 * @remarks
 * A two-level hash tree over `(collection, key, winner id)`: each key hashes
 * into one of {@link DIGEST_BUCKETS} buckets, a bucket's hash combines the
 * hashes of its keys, and `root` combines the buckets. Equal states give equal
 * digests on every peer, whatever the order they were built in. With
 * `leaves`, {@link diffDigests} names the exact keys that differ; without, it
 * names the buckets (then ask the other peer for those buckets' leaves).
 * Meant to catch bugs and accidents, not an adversary.
 */
export interface StateDigest {
  /** 16 hex digits combining every bucket. */
  readonly root: string;
  /** Keys in the state, tombstones included. */
  readonly count: number;
  /** {@link DIGEST_BUCKETS} hashes, 16 hex digits each. */
  readonly buckets: readonly string[];
  /** Every key with its winner, when computed with `{ leaves: true }`. */
  readonly leaves?: readonly DigestLeaf[];
}

/** Options of {@link computeDigest}. */
export interface DigestOptions {
  /**
   * Include every key (makes the digest as large as the state).
   * @default false
   */
  readonly leaves?: boolean;
  /** Only include the leaves of these buckets (with `leaves: true`). */
  readonly onlyBuckets?: readonly number[];
}

/**
 * Computes the digest of a set of winners.
 *
 * @param winners - every winning operation of the state (tombstones included)
 * @param options - see {@link DigestOptions}
 */
export function computeDigest(winners: Iterable<Operation>, options: DigestOptions = {}): StateDigest {
  const low = new Uint32Array(DIGEST_BUCKETS);
  const high = new Uint32Array(DIGEST_BUCKETS);
  const sizes = new Uint32Array(DIGEST_BUCKETS);
  const leaves: DigestLeaf[] = [];
  const only = options.onlyBuckets ? new Set(options.onlyBuckets) : undefined;
  let count = 0;
  for (const op of winners) {
    const place = `${op.collection}\u0000${op.key}`;
    const text = `${place}\u0000${op.origin}\u0000${op.seq}`;
    const h1 = fnv1a(text, 0x811c9dc5);
    const h2 = fnv1a(text, 0x01000193 ^ 0x5bd1e995);
    // The bucket depends on the key only, so another winner changes exactly one bucket.
    const bucket = mix(fnv1a(place, 0x811c9dc5)) >>> 24;
    // Sum (mod 2^32) rather than XOR, so that the combination is order-free and keys do not cancel out.
    low[bucket] = (low[bucket]! + mix(h1)) >>> 0;
    high[bucket] = (high[bucket]! + mix(h2)) >>> 0;
    sizes[bucket]! += 1;
    count++;
    if (options.leaves && (only === undefined || only.has(bucket))) {
      leaves.push({ collection: op.collection, key: op.key, winner: `${op.origin}:${op.seq}` });
    }
  }
  const buckets: string[] = new Array<string>(DIGEST_BUCKETS);
  let rootLow = 0x811c9dc5;
  let rootHigh = 0x5bd1e995;
  for (let i = 0; i < DIGEST_BUCKETS; i++) {
    const a = sizes[i] === 0 ? 0 : mix(low[i]! ^ sizes[i]!);
    const b = sizes[i] === 0 ? 0 : mix(high[i]! + sizes[i]!);
    buckets[i] = hex(b) + hex(a);
    rootLow = Math.imul(rootLow ^ a, 0x01000193) >>> 0;
    rootHigh = Math.imul(rootHigh ^ b, 0x85ebca6b) >>> 0;
  }
  const digest = { root: hex(mix(rootHigh + count)) + hex(mix(rootLow ^ count)), count, buckets };
  if (!options.leaves) return digest;
  leaves.sort(compareLeaves);
  return { ...digest, leaves };
}

/** Where two digests differ. */
export interface DigestDiff {
  /** Whether the two states are the same. */
  readonly equal: boolean;
  /** The buckets whose hashes differ. */
  readonly buckets: readonly number[];
  /**
   * The keys that differ, with each side's winner (`undefined` where a side
   * lacks the key). Present only when both digests carry leaves.
   */
  readonly keys?: ReadonlyArray<{ readonly collection: string; readonly key: string; readonly a?: string; readonly b?: string }>;
}

/**
 * Compares two digests and names the buckets — and, with leaves on both
 * sides, the exact keys — on which the states differ.
 */
export function diffDigests(a: StateDigest, b: StateDigest): DigestDiff {
  const buckets: number[] = [];
  for (let i = 0; i < DIGEST_BUCKETS; i++) if (a.buckets[i] !== b.buckets[i]) buckets.push(i);
  const equal = a.root === b.root && buckets.length === 0;
  if (a.leaves === undefined || b.leaves === undefined) return { equal, buckets };
  const keys: Array<{ collection: string; key: string; a?: string; b?: string }> = [];
  const byKey = new Map<string, { collection: string; key: string; a?: string; b?: string }>();
  const at = (leaf: DigestLeaf): { collection: string; key: string; a?: string; b?: string } => {
    const id = `${leaf.collection}\u0000${leaf.key}`;
    let entry = byKey.get(id);
    if (entry === undefined) {
      entry = { collection: leaf.collection, key: leaf.key };
      byKey.set(id, entry);
    }
    return entry;
  };
  // A typed key holds several operations, one leaf each: its "winner" is their list.
  for (const leaf of a.leaves) {
    const entry = at(leaf);
    entry.a = entry.a === undefined ? leaf.winner : `${entry.a},${leaf.winner}`;
  }
  for (const leaf of b.leaves) {
    const entry = at(leaf);
    entry.b = entry.b === undefined ? leaf.winner : `${entry.b},${leaf.winner}`;
  }
  for (const entry of byKey.values()) if (entry.a !== entry.b) keys.push(entry);
  keys.sort(compareLeaves);
  return { equal: equal && keys.length === 0, buckets, keys };
}

function compareLeaves(x: { collection: string; key: string; winner?: string }, y: { collection: string; key: string; winner?: string }): number {
  if (x.collection !== y.collection) return x.collection < y.collection ? -1 : 1;
  if (x.key !== y.key) return x.key < y.key ? -1 : 1;
  // Several leaves of one typed key: in a fixed order, so their list compares alike on both sides.
  const a = x.winner ?? '';
  const b = y.winner ?? '';
  return a < b ? -1 : a > b ? 1 : 0;
}

function fnv1a(s: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// murmur3 finaliser: spreads the bits of a 32-bit hash.
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
