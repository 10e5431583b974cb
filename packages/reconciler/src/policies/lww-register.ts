import { copyValue, type JsonValue, type Operation } from '@softadastra/sync-core';
import { compareOperations } from '../lww.js';
import { canonicalJson } from './canonical-json.js';
import { guarded, invalid, isPlainObject, type MergePolicy, type PayloadCheck, type PolicyOperation } from './policy.js';

/** A last-writer-wins write: a value, or a delete (a tombstone that wins or loses like a put). */
export type LwwPayload = { readonly kind: 'put'; readonly value: JsonValue } | { readonly kind: 'del' };

/** An LWW write. */
export type LwwOperation = PolicyOperation<LwwPayload>;

/** The state of an LWW key: its winning write, if any. */
export interface LwwState {
  readonly winner: LwwOperation | undefined;
}

/** What an LWW key reads as: its value, or `undefined` when never written or deleted. */
export type LwwValue = JsonValue | undefined;

const EMPTY: LwwState = Object.freeze({ winner: undefined });

/** The operation form {@link compareOperations} orders (the payload travels along). */
function asOperation(op: LwwOperation): Operation {
  const base = { origin: op.origin, seq: op.seq, hlc: op.hlc, collection: op.collection, key: op.key };
  return op.value.kind === 'put' ? { ...base, kind: 'put', value: op.value.value } : { ...base, kind: 'del' };
}

/** Whether `a` beats `b` by the LWW order (greater HLC, then origin, then seq). */
function beats(a: LwwOperation, b: LwwOperation): boolean {
  const order = compareOperations(asOperation(a), asOperation(b));
  if (order !== 0) return order > 0;
  // The same id twice: equivocation is caught upstream; pick by content so the join stays commutative.
  return payloadText(a.value) > payloadText(b.value);
}

function payloadText(payload: LwwPayload): string {
  return payload.kind === 'put' ? `p${canonicalJson(payload.value)}` : 'd';
}

function join(a: LwwOperation | undefined, b: LwwOperation | undefined): LwwOperation | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return beats(b, a) ? b : a;
}

/**
 * Checks an untrusted LWW payload.
 *
 * @returns the payload, or an `E_INVALID_VALUE` / `E_TOO_LARGE` error
 */
export function validateLwwPayload(input: unknown): PayloadCheck<LwwPayload> {
  return guarded('lww payload', () => {
    if (!isPlainObject(input)) return invalid('lww payload must be an object { kind: "put", value } or { kind: "del" }');
    if (input['kind'] === 'del') return { ok: true, value: { kind: 'del' } };
    if (input['kind'] !== 'put') return invalid('lww value: kind must be "put" or "del"');
    const value = input['value'];
    const checked = copyValue(value);
    if (!checked.ok) return { ok: false, error: checked.error };
    return { ok: true, value: { kind: 'put', value: checked.value } };
  });
}

/**
 * Today's register: the write with the greatest HLC wins, ties broken by
 * origin (see {@link compareOperations}).
 */
export const lwwPolicy: MergePolicy<LwwPayload, LwwState, LwwValue> = {
  name: 'lww',
  empty: () => EMPTY,
  apply: (state, op) => {
    const winner = join(state.winner, op);
    return winner === state.winner ? state : { winner };
  },
  merge: (a, b) => {
    const winner = join(a.winner, b.winner);
    return winner === a.winner ? a : winner === b.winner ? b : { winner };
  },
  value: (state) => (state.winner === undefined || state.winner.value.kind === 'del' ? undefined : state.winner.value.value),
  essential: (state) => (state.winner === undefined ? [] : [state.winner]),
  equals: (a, b) =>
    a.winner === b.winner ||
    (a.winner !== undefined &&
      b.winner !== undefined &&
      a.winner.origin === b.winner.origin &&
      a.winner.seq === b.winner.seq &&
      payloadText(a.winner.value) === payloadText(b.winner.value)),
  validatePayload: validateLwwPayload,
};
