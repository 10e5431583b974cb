import { SyncError } from './errors.js';
import type { OpId } from './operation.js';
import { type PeerId, isPeerId } from './peer-id.js';

/**
 * A run of sequence numbers of one origin, both ends included.
 */
export interface SeqRange {
  readonly origin: PeerId;
  readonly from: number;
  readonly to: number;
}

/**
 * The JSON form of a {@link VersionVector}: per origin, either `n` (seqs 1..n,
 * the common case) or a flat list of inclusive ranges `[from, to, from, to, …]`
 * in increasing order.
 *
 * @example `{ "aB3…": 120, "relay": [1, 40, 42, 57] }`
 */
export type VersionVectorJson = { readonly [origin: string]: number | readonly number[] };

const BRAND = Symbol.for('@softadastra/version-vector');

/**
 * The set of operations a peer has seen: per origin, an interval set of seqs.
 *
 * @remarks
 * Memory is O(origins + gaps): a contiguous prefix costs two numbers whatever
 * its length. `merge` is a join (commutative, associative, idempotent), so
 * vectors can be combined in any order. Mutating methods change `this`; use
 * {@link VersionVector.clone} or {@link mergeVersionVectors} for a new one.
 */
export class VersionVector {
  // origin → flat sorted list [from0, to0, from1, to1, …] of disjoint, non-adjacent inclusive ranges.
  readonly #ranges = new Map<PeerId, number[]>();

  static {
    // On the prototype: every instance carries it at no cost per vector.
    Object.defineProperty(VersionVector.prototype, BRAND, { value: true });
  }

  /**
   * The ranges of `other`: its own field when it is of this class, else read
   * through the public API — a vector of another copy of this package (two
   * installs in one app) has a private field this class cannot see.
   */
  static #rangesOf(other: VersionVector): ReadonlyMap<PeerId, readonly number[]> {
    if (#ranges in other) return other.#ranges;
    return toVersionVector(other).#ranges;
  }

  /**
   * Builds a vector from its JSON form.
   *
   * @throws SyncError `E_INVALID_ARGUMENT` when `json` is malformed
   */
  static fromJSON(json: unknown): VersionVector {
    const vv = new VersionVector();
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new SyncError('E_INVALID_ARGUMENT', 'a version vector must be a JSON object of origin → ranges');
    }
    for (const origin of Object.keys(json)) {
      if (!isPeerId(origin)) throw new SyncError('E_INVALID_ARGUMENT', `version vector: invalid origin ${JSON.stringify(origin)}`);
      const entry = (json as Record<string, unknown>)[origin];
      if (typeof entry === 'number') {
        if (!isSeq(entry)) throw new SyncError('E_INVALID_ARGUMENT', `version vector: invalid count ${String(entry)} for ${origin}`);
        vv.addRange(origin, 1, entry);
        continue;
      }
      if (!Array.isArray(entry) || entry.length % 2 !== 0) {
        throw new SyncError('E_INVALID_ARGUMENT', `version vector: ranges of ${origin} must be a flat list of [from, to] pairs`);
      }
      let previous = 0;
      for (let i = 0; i < entry.length; i += 2) {
        const from: unknown = entry[i];
        const to: unknown = entry[i + 1];
        if (!isSeq(from) || !isSeq(to) || from > to || from <= previous) {
          throw new SyncError('E_INVALID_ARGUMENT', `version vector: ranges of ${origin} must be increasing positive integers`);
        }
        vv.addRange(origin, from, to);
        previous = to;
      }
    }
    return vv;
  }

  /** Whether the vector holds op `id`. */
  has(id: OpId): boolean {
    const list = this.#ranges.get(id.origin);
    if (list === undefined) return false;
    const seq = id.seq;
    // Fast path: most vectors are a single prefix.
    if (list.length === 2) return seq >= list[0]! && seq <= list[1]!;
    let lo = 0;
    let hi = list.length / 2 - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (seq < list[2 * mid]!) hi = mid - 1;
      else if (seq > list[2 * mid + 1]!) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /**
   * Adds op `id`.
   *
   * @returns whether it was new
   */
  add(id: OpId): boolean {
    const list = this.#ranges.get(id.origin);
    const seq = id.seq;
    if (list !== undefined) {
      const last = list[list.length - 1]!;
      if (seq === last + 1) {
        // Fast path: the next seq of a prefix.
        list[list.length - 1] = seq;
        return true;
      }
      if (seq <= last && seq >= list[list.length - 2]!) return false;
    }
    if (this.has(id)) return false;
    this.addRange(id.origin, seq, seq);
    return true;
  }

  /** Adds seqs `from..to` (both included) of `origin`. */
  addRange(origin: PeerId, from: number, to: number): this {
    if (from > to) return this;
    const list = this.#ranges.get(origin);
    if (list === undefined) {
      this.#ranges.set(origin, [from, to]);
      return this;
    }
    const n = list.length;
    const lastTo = list[n - 1]!;
    // Fast paths, O(1): after the last range (decoding, appends), or joining it.
    if (from > lastTo + 1) {
      list.push(from, to);
      return this;
    }
    if (from >= list[n - 2]!) {
      if (to > lastTo) list[n - 1] = to;
      return this;
    }
    // Find the ranges that overlap or touch [from, to] (binary search for the
    // first one that ends at or after from - 1) and replace them with their union.
    let lo = 0;
    let hi = n / 2;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[2 * mid + 1]! < from - 1) lo = mid + 1;
      else hi = mid;
    }
    const start = 2 * lo;
    let end = start;
    let newFrom = from;
    let newTo = to;
    while (end < list.length && list[end]! <= to + 1) {
      newFrom = Math.min(newFrom, list[end]!);
      newTo = Math.max(newTo, list[end + 1]!);
      end += 2;
    }
    list.splice(start, end - start, newFrom, newTo);
    return this;
  }

  /** Joins `other` into this vector (set union per origin). */
  merge(other: VersionVector): this {
    for (const [origin, list] of VersionVector.#rangesOf(other)) {
      const mine = this.#ranges.get(origin);
      if (mine === undefined) {
        this.#ranges.set(origin, list.slice());
        continue;
      }
      if (mine.length === 2 && list.length === 2 && mine[0] === 1 && list[0] === 1) {
        mine[1] = Math.max(mine[1]!, list[1]!);
        continue;
      }
      this.#ranges.set(origin, unionRanges(mine, list));
    }
    return this;
  }

  /** A copy that can be changed independently. */
  clone(): VersionVector {
    const copy = new VersionVector();
    for (const [origin, list] of this.#ranges) copy.#ranges.set(origin, list.slice());
    return copy;
  }

  /**
   * The ranges this vector holds and `other` lacks, per origin, in increasing
   * order: exactly the ops a peer with vector `other` is missing.
   */
  missingFrom(other: VersionVector): SeqRange[] {
    const out: SeqRange[] = [];
    const others = VersionVector.#rangesOf(other);
    for (const [origin, list] of this.#ranges) {
      const theirs = others.get(origin);
      if (theirs === undefined) {
        for (let i = 0; i < list.length; i += 2) out.push({ origin, from: list[i]!, to: list[i + 1]! });
        continue;
      }
      let j = 0;
      for (let i = 0; i < list.length; i += 2) {
        let from = list[i]!;
        const to = list[i + 1]!;
        while (j < theirs.length && theirs[j + 1]! < from) j += 2;
        let k = j;
        while (from <= to) {
          if (k >= theirs.length || theirs[k]! > to) {
            out.push({ origin, from, to });
            break;
          }
          const theirFrom = theirs[k]!;
          const theirTo = theirs[k + 1]!;
          if (theirFrom > from) out.push({ origin, from, to: theirFrom - 1 });
          from = theirTo + 1;
          k += 2;
        }
      }
    }
    return out;
  }

  /** Whether both vectors hold exactly the same ops. */
  equals(other: VersionVector): boolean {
    const others = VersionVector.#rangesOf(other);
    if (this.#ranges.size !== others.size) return false;
    for (const [origin, list] of this.#ranges) {
      const theirs = others.get(origin);
      if (theirs === undefined || theirs.length !== list.length) return false;
      for (let i = 0; i < list.length; i++) if (list[i] !== theirs[i]) return false;
    }
    return true;
  }

  /** Whether this vector holds every op that `other` holds. */
  dominates(other: VersionVector): boolean {
    return other.missingFrom(this).length === 0;
  }

  /** The origins that have at least one op in the vector. */
  origins(): IterableIterator<PeerId> {
    return this.#ranges.keys();
  }

  /** The highest seq held for `origin`, or 0. */
  max(origin: PeerId): number {
    const list = this.#ranges.get(origin);
    return list === undefined ? 0 : list[list.length - 1]!;
  }

  /** The largest `n` such that seqs 1..n of `origin` are all held, or 0. */
  contiguous(origin: PeerId): number {
    const list = this.#ranges.get(origin);
    return list !== undefined && list[0] === 1 ? list[1]! : 0;
  }

  /** The ranges held for `origin`, as `[from, to]` pairs in increasing order. */
  ranges(origin: PeerId): Array<readonly [number, number]> {
    const list = this.#ranges.get(origin);
    const out: Array<readonly [number, number]> = [];
    if (list !== undefined) for (let i = 0; i < list.length; i += 2) out.push([list[i]!, list[i + 1]!]);
    return out;
  }

  /** How many ranges the vector holds for `origin`, or over all origins without one. */
  rangeCount(origin?: PeerId): number {
    if (origin !== undefined) return (this.#ranges.get(origin)?.length ?? 0) / 2;
    let total = 0;
    for (const list of this.#ranges.values()) total += list.length / 2;
    return total;
  }

  /**
   * Whether holding `id` would add a range of its own (it is not held and
   * touches no held range): what fragments a vector.
   */
  wouldFragment(id: OpId): boolean {
    const list = this.#ranges.get(id.origin);
    if (list === undefined) return true;
    // The first range whose end is >= seq - 1.
    let lo = 0;
    let hi = list.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[2 * mid + 1]! < id.seq - 1) lo = mid + 1;
      else hi = mid;
    }
    return lo * 2 >= list.length || list[2 * lo]! > id.seq + 1;
  }

  /** A new vector of the ops held both here and in `other`. */
  intersection(other: VersionVector): VersionVector {
    const out = new VersionVector();
    const others = VersionVector.#rangesOf(other);
    for (const [origin, a] of this.#ranges) {
      const b = others.get(origin);
      if (b === undefined) continue;
      const list: number[] = [];
      let i = 0;
      let j = 0;
      while (i < a.length && j < b.length) {
        const from = Math.max(a[i]!, b[j]!);
        const to = Math.min(a[i + 1]!, b[j + 1]!);
        if (from <= to) {
          // Ranges of `a` and `b` may touch: keep the result's ranges apart.
          if (list.length > 0 && list[list.length - 1]! + 1 >= from) list[list.length - 1] = to;
          else list.push(from, to);
        }
        if (a[i + 1]! < b[j + 1]!) i += 2;
        else j += 2;
      }
      if (list.length > 0) out.#ranges.set(origin, list);
    }
    return out;
  }

  /** Whether `origin` has a gap: a missing seq below its highest held one. */
  hasGap(origin: PeerId): boolean {
    const list = this.#ranges.get(origin);
    return list !== undefined && (list.length > 2 || list[0] !== 1);
  }

  /** How many ops the vector holds in all. */
  count(): number {
    let total = 0;
    for (const list of this.#ranges.values()) for (let i = 0; i < list.length; i += 2) total += list[i + 1]! - list[i]! + 1;
    return total;
  }

  /** Whether the vector holds no op at all. */
  isEmpty(): boolean {
    return this.#ranges.size === 0;
  }

  /** The compact JSON form ({@link VersionVectorJson}), origins in sorted order. */
  toJSON(): VersionVectorJson {
    const out: Record<string, number | number[]> = {};
    for (const origin of [...this.#ranges.keys()].sort()) {
      const list = this.#ranges.get(origin)!;
      out[origin] = list.length === 2 && list[0] === 1 ? list[1]! : list.slice();
    }
    return out;
  }

  /** @internal Raw ranges for codecs: origin → flat `[from, to, …]`. Do not mutate. */
  entries(): IterableIterator<[PeerId, readonly number[]]> {
    return this.#ranges.entries();
  }
}

/**
 * Whether `value` is a {@link VersionVector}, also one made by another copy
 * of this package (npm installs two when versions mix).
 *
 * @remarks
 * Check this rather than `instanceof`: it goes by a brand shared through
 * `Symbol.for`, as {@link isSyncError} does. A vector that passes may be of
 * the other copy's class; {@link toVersionVector} makes it one of this.
 *
 * @param value - anything
 */
export function isVersionVector(value: unknown): value is VersionVector {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * `vv` as a vector of this copy's class: itself when it already is, else a
 * copy read through its public API (`entries()`, or `toJSON()` for a copy
 * without it).
 *
 * @param vv - a vector that passes {@link isVersionVector}
 * @throws SyncError `E_INVALID_ARGUMENT` when it is no version vector
 */
export function toVersionVector(vv: VersionVector): VersionVector {
  if (vv instanceof VersionVector) return vv;
  if (!isVersionVector(vv)) throw new SyncError('E_INVALID_ARGUMENT', 'expected a VersionVector');
  const foreign = vv as { entries?: () => Iterable<[PeerId, readonly number[]]>; toJSON(): unknown };
  if (typeof foreign.entries !== 'function') return VersionVector.fromJSON(foreign.toJSON());
  const out = new VersionVector();
  for (const [origin, list] of foreign.entries()) for (let i = 0; i + 1 < list.length; i += 2) out.addRange(origin, list[i]!, list[i + 1]!);
  return out;
}

/** A new vector holding every op of `a` and of `b` (their join). */
export function mergeVersionVectors(a: VersionVector, b: VersionVector): VersionVector {
  return a.clone().merge(b);
}

/**
 * The union of two interval lists (increasing, non-touching `[from, to, …]`),
 * in one pass: O(a + b), where adding the ranges one by one would cost
 * O(a × b) for two vectors with many gaps (a receiver's vector in the middle
 * of a catch-up that skips superseded ops).
 */
function unionRanges(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let from: number;
    let to: number;
    if (j >= b.length || (i < a.length && a[i]! <= b[j]!)) {
      from = a[i]!;
      to = a[i + 1]!;
      i += 2;
    } else {
      from = b[j]!;
      to = b[j + 1]!;
      j += 2;
    }
    const n = out.length;
    if (n > 0 && from <= out[n - 1]! + 1) {
      if (to > out[n - 1]!) out[n - 1] = to;
    } else out.push(from, to);
  }
  return out;
}

/** Whether `value` is a valid sequence number: a positive safe integer. */
export function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}
