import { SyncError, type Hlc, type OpId, type SyncErrorCode, type VersionVector } from '@softadastra/sync-core';

/** The names of the merge policies a collection can choose. */
export type PolicyName = 'lww' | 'mv' | 'counter' | 'set' | 'map';

/**
 * One write under a merge policy: the usual operation envelope (id, clock,
 * place) and what the policy needs beyond it, the `payload`.
 *
 * @remarks
 * Identified by `(origin, seq)` like every operation: the same id is the same
 * write, so applying it twice changes nothing. A policy state is the state of
 * one `(collection, key)`; routing an operation to its key is the caller's job.
 */
export interface PolicyOperation<P> extends OpId {
  /** When it was written; orders LWW registers and map fields. */
  readonly hlc: Hlc;
  /** The collection inside the space. */
  readonly collection: string;
  /** The key inside the collection. */
  readonly key: string;
  /** What this policy's write carries (see each policy's payload type). */
  readonly value: P;
}

/** What checking an untrusted payload gives: the payload, or why not. */
export type PayloadCheck<P> = { readonly ok: true; readonly value: P } | { readonly ok: false; readonly error: SyncError };

/**
 * A merge policy: a join-semilattice of states of one key, built from
 * operations.
 *
 * @remarks
 * Every function is pure (no I/O, no clock, no randomness) and never mutates
 * its arguments. The laws, proven by property tests for each policy:
 * `merge` is commutative, associative and idempotent; `apply` is idempotent
 * for a duplicate id, and any order of a history gives one state;
 * `apply(empty(), ...essential(s))` equals `s`.
 *
 * @typeParam P - the payload of a write
 * @typeParam S - the state of one key
 * @typeParam V - what the application reads
 */
export interface MergePolicy<P, S, V> {
  /** Which policy this is. */
  readonly name: PolicyName;
  /** The state of a key nobody wrote. */
  empty(): S;
  /** The state after `op`: the join of `state` and the state of `op` alone. */
  apply(state: S, op: PolicyOperation<P>): S;
  /** The join (least upper bound) of two states. */
  merge(a: S, b: S): S;
  /** What the application reads. */
  value(state: S): V;
  /**
   * The fewest operations that rebuild `state` on a peer that has none of
   * them: what a planner sends. In `(origin, seq)` order.
   */
  essential(state: S): PolicyOperation<P>[];
  /** Whether two states are the same element of the lattice. */
  equals(a: S, b: S): boolean;
  /** Checks an untrusted payload (bounded sizes); never throws. */
  validatePayload(input: unknown): PayloadCheck<P>;
  /**
   * Optional: `apply`, also saying which operations it added to and removed
   * from `essential` — so that a store indexing held operations touches only
   * those (a large set key changes one or two per write).
   */
  applyDelta?(state: S, op: PolicyOperation<P>): AppliedDelta<P, S>;
  /**
   * Optional: `state` without the metadata that only a peer lacking part of
   * `stable` could need — `stable` being held durably by every peer that may
   * still write or send the key (see docs/protocol.md, "Metadata
   * collection"). Never changes `value(state)`. Returns `state` itself when
   * nothing goes. A policy without tombstones has none.
   */
  collect?(state: S, stable: VersionVector): S;
}

/** What {@link MergePolicy.applyDelta} gives: the state after the op, and how its essential operations changed. */
export interface AppliedDelta<P, S> {
  readonly state: S;
  readonly added: readonly PolicyOperation<P>[];
  readonly removed: readonly PolicyOperation<P>[];
}

/** Orders op ids by origin, then seq: the order of {@link MergePolicy.essential}. */
export function compareOpIds(a: OpId, b: OpId): number {
  if (a.origin !== b.origin) return a.origin < b.origin ? -1 : 1;
  return a.seq - b.seq;
}

/** @internal */
export function invalid<P>(message: string, code: SyncErrorCode = 'E_INVALID_VALUE'): PayloadCheck<P> {
  return { ok: false, error: new SyncError(code, message) };
}

/** @internal */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** @internal What a payload check says about a value it cannot read. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/**
 * Runs a payload check, turning anything thrown (a hostile getter, a proxy)
 * into an `E_INVALID_VALUE` result.
 *
 * @internal
 */
export function guarded<P>(what: string, check: () => PayloadCheck<P>): PayloadCheck<P> {
  try {
    return check();
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : 'unreadable value';
    return { ok: false, error: new SyncError('E_INVALID_VALUE', `${what}: cannot read the payload (${detail})`, { cause }) };
  }
}
