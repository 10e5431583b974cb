import type { Hlc } from './hlc.js';
import type { PeerId } from './peer-id.js';

/**
 * A value that can be stored: what JSON can express, with finite numbers only.
 */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** The two kinds of operation: a write, and a delete (a tombstone). */
export type OperationKind = 'put' | 'del';

/**
 * The merge policies a collection may declare instead of the default
 * last-writer-wins register (see the reconciler's policies): a multi-value
 * register, a PN-counter, an add-wins set, a map of LWW fields.
 *
 * @remarks
 * An operation of such a collection is a `put` whose `type` names the policy
 * and whose `value` is that policy's payload (what the reconciler's
 * `validatePayload` accepts). An operation without `type` is LWW, as every
 * operation written before types existed.
 */
export type OperationType = 'mv' | 'counter' | 'set' | 'map';

/** Every {@link OperationType}, in wire-code order (code = index + 1). */
export const OPERATION_TYPES: readonly OperationType[] = Object.freeze(['mv', 'counter', 'set', 'map'] as const);

/** Whether `value` names an {@link OperationType}. */
export function isOperationType(value: unknown): value is OperationType {
  return value === 'mv' || value === 'counter' || value === 'set' || value === 'map';
}

/**
 * Identifies an operation: the peer that wrote it and its sequence number there.
 *
 * @remarks
 * The same id with different content is equivocation and is rejected.
 */
export interface OpId {
  /** The writing peer. */
  readonly origin: PeerId;
  /** 1, 2, 3… per origin, gapless and never reused. */
  readonly seq: number;
}

/**
 * One write or delete of one key, as it is stored and sent.
 *
 * @remarks
 * The state of a space is, per `(collection, key)`, the operation with the
 * greatest {@link Hlc}; a delete wins or loses by the same rule, so an older
 * write can never resurrect a deleted key.
 */
export type Operation = PutOperation | DeleteOperation;

/**
 * What the writer of an operation had seen when it wrote it, beyond its own
 * earlier writes: for each other origin, the writer held every operation of
 * that origin with a seq up to this one (the contiguous prefix it held).
 *
 * @remarks
 * Written by peers of a causal space (`causal: true`): every peer then
 * exposes an operation only once it holds its dependencies and its writer's
 * earlier operations (docs/protocol.md, "Causal consistency").
 */
export type Dependencies = { readonly [origin: PeerId]: number };

interface OperationBase extends OpId {
  /** When it was written; also breaks LWW ties (totally, see {@link compareHlc}). */
  readonly hlc: Hlc;
  /** What its writer had seen (causal spaces only). */
  readonly deps?: Dependencies;
  /** The collection inside the space. */
  readonly collection: string;
  /** The key inside the collection. */
  readonly key: string;
}

/**
 * Sets `(collection, key)` to `value` — or, with a `type`, is one write of
 * that merge policy, `value` being its payload.
 */
export interface PutOperation extends OperationBase {
  readonly kind: 'put';
  /** The collection's merge policy; absent for last-writer-wins. */
  readonly type?: OperationType;
  readonly value: JsonValue;
}

/** Deletes `(collection, key)`: a tombstone that wins or loses by HLC like a put. */
export interface DeleteOperation extends OperationBase {
  readonly kind: 'del';
}

/**
 * A compact string form of an op id, `origin:seq`, usable as a map key.
 *
 * @param id - the op id (or an operation)
 */
export function opIdKey(id: OpId): string {
  return `${id.origin}:${id.seq}`;
}

/**
 * Whether two op ids are the same.
 */
export function sameOpId(a: OpId, b: OpId): boolean {
  return a.origin === b.origin && a.seq === b.seq;
}

/**
 * Whether two operations have the same content: the same id, clock, place,
 * kind and (structurally) value. Object key order does not matter.
 *
 * @remarks
 * Two operations with the same id and different content are equivocation.
 */
export function sameOperation(a: Operation, b: Operation): boolean {
  if (a === b) return true;
  if (
    a.origin !== b.origin ||
    a.seq !== b.seq ||
    a.kind !== b.kind ||
    a.collection !== b.collection ||
    a.key !== b.key ||
    a.hlc.wall !== b.hlc.wall ||
    a.hlc.counter !== b.hlc.counter ||
    a.hlc.peer !== b.hlc.peer ||
    !sameDependencies(a.deps, b.deps)
  ) {
    return false;
  }
  if (a.kind === 'put' && b.kind === 'put') return a.type === b.type && sameJsonValue(a.value, b.value);
  return true;
}

/** Whether two dependency sets are the same (both absent, or the same origins and seqs). */
export function sameDependencies(a: Dependencies | undefined, b: Dependencies | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const origin of keys) if (a[origin] !== b[origin]) return false;
  return true;
}

/**
 * Structural equality of two JSON values; object key order does not matter,
 * and `0` equals `-0` (they encode alike).
 */
export function sameJsonValue(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const aIsArray = Array.isArray(a);
  if (aIsArray !== Array.isArray(b)) return false;
  if (aIsArray) {
    const aArray = a as readonly JsonValue[];
    const bArray = b as readonly JsonValue[];
    if (aArray.length !== bArray.length) return false;
    for (let i = 0; i < aArray.length; i++) if (!sameJsonValue(aArray[i]!, bArray[i]!)) return false;
    return true;
  }
  const aObject = a as { readonly [key: string]: JsonValue };
  const bObject = b as { readonly [key: string]: JsonValue };
  const aKeys = Object.keys(aObject);
  if (aKeys.length !== Object.keys(bObject).length) return false;
  for (const key of aKeys) {
    if (!Object.prototype.hasOwnProperty.call(bObject, key)) return false;
    if (!sameJsonValue(aObject[key]!, bObject[key]!)) return false;
  }
  return true;
}
