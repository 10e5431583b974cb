import type { JsonValue, Operation, OperationType } from '@softadastra/sync-core';
import { isNewerWrite } from './oracle.js';

/**
 * The simulator's reference model of the typed merge policies, written from
 * their specification (docs/testing.md, "Typed collections") over the whole
 * history of a key's operations — never by calling the reconciler's
 * policies, whose bugs it would share.
 *
 * @remarks
 * Each spec reads the documented payload of the operations (a counter's
 * running totals `{ p, n }`, a set's `{ action, value, context }`, an mv
 * write's `{ value, context }`, a map's `{ set, del }`) and nothing of the
 * engine's state: the engine compacts (drops superseded writes), the spec
 * looks at every operation that survived. A context names a write
 * `(origin, seq)` when `context[origin] >= seq`.
 * @internal
 */

/** An operation of a typed key, as the specs read it. */
type TypedOp = Operation & { readonly kind: 'put'; readonly type: OperationType };

interface CounterTotals {
  readonly p: number;
  readonly n: number;
}

/** Canonical JSON (object keys sorted), to compare values whatever their key order. @internal */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    return `{${Object.keys(object)
      .sort()
      .map((field) => `${JSON.stringify(field)}:${canonical(object[field])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

function payload(op: Operation): Record<string, unknown> {
  return op.kind === 'put' && op.value !== null && typeof op.value === 'object' && !Array.isArray(op.value) ? (op.value as Record<string, unknown>) : {};
}

function contextOf(op: Operation): Record<string, number> {
  const context = payload(op)['context'];
  return context !== null && typeof context === 'object' ? (context as Record<string, number>) : {};
}

/** Whether `context` names the write `id` (its origin's entry reaches its seq). */
function names(context: Record<string, number>, id: Pick<Operation, 'origin' | 'seq'>): boolean {
  return Object.prototype.hasOwnProperty.call(context, id.origin) && (context[id.origin] ?? 0) >= id.seq;
}

/** A counter write's running totals. @internal */
export function totalsOf(op: Operation): CounterTotals {
  const value = payload(op);
  return { p: Number(value['p'] ?? 0), n: Number(value['n'] ?? 0) };
}

/** PN-counter: the sum over origins of their latest totals (greatest seq), `p − n`. */
export function counterSpec(ops: readonly Operation[]): number {
  const latest = new Map<string, Operation>();
  for (const op of ops) {
    const known = latest.get(op.origin);
    if (known === undefined || op.seq > known.seq) latest.set(op.origin, op);
  }
  let sum = 0;
  for (const op of latest.values()) {
    const { p, n } = totalsOf(op);
    sum += p - n;
  }
  return sum;
}

/**
 * Add-wins set: a value is in the set when some add of it is covered by no
 * remove of it — a remove covers the adds its context names. Sorted by
 * canonical JSON.
 */
export function setSpec(ops: readonly Operation[]): JsonValue[] {
  const removes = ops.filter((op) => payload(op)['action'] === 'remove');
  const present = new Map<string, JsonValue>();
  for (const add of ops) {
    if (payload(add)['action'] !== 'add') continue;
    const value = payload(add)['value'] as JsonValue;
    const text = canonical(value);
    const covered = removes.some((remove) => canonical(payload(remove)['value']) === text && names(contextOf(remove), add));
    if (!covered) present.set(text, value);
  }
  return [...present.keys()].sort().map((text) => present.get(text)!);
}

/**
 * Multi-value register: the values of the writes no other write of the key
 * had seen (the concurrent maxima), sorted by canonical JSON.
 */
export function mvSpec(ops: readonly Operation[]): JsonValue[] {
  const maxima = ops.filter((op) => !ops.some((other) => !(other.origin === op.origin && other.seq === op.seq) && names(contextOf(other), op)));
  return maxima.map((op) => payload(op)['value'] as JsonValue).sort((a, b) => (canonical(a) < canonical(b) ? -1 : canonical(a) > canonical(b) ? 1 : 0));
}

/**
 * LWW map: each field is the newest (by {@link isNewerWrite}, the LWW order)
 * of the writes that set or delete it; a deleted field is absent.
 */
export function mapSpec(ops: readonly Operation[]): Record<string, JsonValue> {
  const winners = new Map<string, Operation>();
  for (const op of ops) {
    const value = payload(op);
    const set = (value['set'] ?? {}) as Record<string, JsonValue>;
    const del = (value['del'] ?? []) as string[];
    for (const field of [...Object.keys(set), ...del]) {
      const known = winners.get(field);
      if (known === undefined || isNewerWrite(op, known)) winners.set(field, op);
    }
  }
  const out: Record<string, JsonValue> = {};
  for (const field of [...winners.keys()].sort()) {
    const set = (payload(winners.get(field)!)['set'] ?? {}) as Record<string, JsonValue>;
    if (Object.prototype.hasOwnProperty.call(set, field)) out[field] = set[field]!;
  }
  return out;
}

/**
 * The value a key of `type` must show, from the whole history of its
 * operations that survived (any order).
 */
export function expectedTypedValue(type: OperationType, ops: readonly Operation[]): JsonValue {
  switch (type) {
    case 'counter':
      return counterSpec(ops);
    case 'set':
      return setSpec(ops);
    case 'mv':
      return mvSpec(ops);
    case 'map':
      return mapSpec(ops);
  }
}

/**
 * A policy value as the specs give it, for comparison: sets and mv values
 * are compared as sorted lists, a key never written as the policy's empty value.
 */
export function normalizedValue(type: OperationType, value: JsonValue | undefined): string {
  if (value === undefined) return type === 'counter' ? '0' : type === 'map' ? '{}' : '[]';
  if ((type === 'set' || type === 'mv') && Array.isArray(value)) return canonical((value as readonly JsonValue[]).map(canonical).sort());
  return canonical(value);
}

/** Whether an operation is a write of a typed collection. @internal */
export function isTypedOp(op: Operation): op is TypedOp {
  return op.kind === 'put' && op.type !== undefined;
}
