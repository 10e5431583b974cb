import { copyValue, type JsonValue, type PeerId, type Hlc } from '@softadastra/sync-core';
import { canonicalJson } from './canonical-json.js';
import { checkContext, contextHas, joinContexts, type CausalContext } from './causal-context.js';
import { compareOpIds, guarded, invalid, isPlainObject, type MergePolicy, type PayloadCheck, type PolicyOperation } from './policy.js';

/**
 * A multi-value register write: the value and what its writer had seen of the
 * key (see {@link CausalContext}).
 */
export interface MvPayload {
  readonly value: JsonValue;
  /** The writes to this key its writer had seen; every one of them is replaced. */
  readonly context: CausalContext;
}

/** A multi-value register write. */
export type MvOperation = PolicyOperation<MvPayload>;

/**
 * The state of a multi-value key: the writes no other write had seen, in
 * `(origin, seq)` order. One value when writes were sequential; several when
 * writers did not see each other.
 */
export interface MvState {
  readonly values: readonly MvOperation[];
}

/** One of the concurrent values of a key, with who wrote it and when. */
export interface MvConflict {
  readonly value: JsonValue;
  readonly origin: PeerId;
  readonly seq: number;
  readonly hlc: Hlc;
}

const EMPTY: MvState = Object.freeze({ values: Object.freeze([]) });

/** Whether some write in `others` had seen `op`. */
function dominated(op: MvOperation, others: readonly MvOperation[]): boolean {
  return others.some((other) => !(other.origin === op.origin && other.seq === op.seq) && contextHas(other.value.context, op));
}

function join(a: readonly MvOperation[], b: readonly MvOperation[]): readonly MvOperation[] {
  const byId = new Map<string, MvOperation>();
  for (const op of [...a, ...b]) {
    const id = `${op.origin}:${op.seq}`;
    const known = byId.get(id);
    // The same id twice: equivocation is caught upstream; pick by content so the join stays commutative.
    if (known === undefined || payloadText(op.value) > payloadText(known.value)) byId.set(id, op);
  }
  const all = [...byId.values()];
  return all.filter((op) => !dominated(op, all)).sort(compareOpIds);
}

function payloadText(payload: MvPayload): string {
  return `${canonicalJson(payload.value)}|${JSON.stringify(payload.context)}`;
}

function sameValues(a: readonly MvOperation[], b: readonly MvOperation[]): boolean {
  return a.length === b.length && a.every((op, i) => op === b[i] || (op.origin === b[i]!.origin && op.seq === b[i]!.seq && payloadText(op.value) === payloadText(b[i]!.value)));
}

/**
 * The payload of a new write of `value` by a peer whose state of the key is
 * `state`: it replaces every value the peer sees.
 */
export function mvWrite(state: MvState, value: JsonValue): MvPayload {
  return {
    value,
    context: joinContexts(
      state.values.map((op) => op.value.context),
      state.values,
    ),
  };
}

/** Every concurrent value of a key with its writer and clock, in `(origin, seq)` order. */
export function mvConflicts(state: MvState): MvConflict[] {
  return state.values.map((op) => ({ value: op.value.value, origin: op.origin, seq: op.seq, hlc: op.hlc }));
}

/**
 * Checks an untrusted multi-value payload.
 *
 * @returns the payload (a copy), or an `E_INVALID_VALUE` / `E_TOO_LARGE` error
 */
export function validateMvPayload(input: unknown): PayloadCheck<MvPayload> {
  return guarded('mv payload', () => {
    if (!isPlainObject(input)) return invalid('mv payload must be an object { value, context }');
    const value = copyValue(input['value']);
    if (!value.ok) return { ok: false, error: value.error };
    const context = checkContext(input['context'], 'mv payload');
    if (!context.ok) return { ok: false, error: context.error };
    return { ok: true, value: { value: value.value, context: context.context } };
  });
}

/**
 * Multi-value register: a write that had seen every current value replaces
 * them all; writes that did not see each other are all kept, so the
 * application sees the conflict ({@link mvConflicts}) and resolves it with a
 * write that saw them.
 */
export const mvPolicy: MergePolicy<MvPayload, MvState, JsonValue[]> = {
  name: 'mv',
  empty: () => EMPTY,
  apply: (state, op) => ({ values: join(state.values, [op]) }),
  merge: (a, b) => ({ values: join(a.values, b.values) }),
  value: (state) => state.values.map((op) => op.value.value),
  essential: (state) => [...state.values],
  equals: (a, b) => sameValues(a.values, b.values),
  validatePayload: validateMvPayload,
};
