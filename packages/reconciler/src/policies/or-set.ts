import { copyValue, type JsonValue, type VersionVector } from '@softadastra/sync-core';
import { canonicalJson } from './canonical-json.js';
import { checkContext, contextDominates, contextHas, joinContexts, sameContext, type CausalContext } from './causal-context.js';
import { compareOpIds, guarded, invalid, isPlainObject, type AppliedDelta, type MergePolicy, type PayloadCheck, type PolicyOperation } from './policy.js';

/**
 * An add-wins set write. An add's dot is its own id `(origin, seq)`; a remove
 * carries the adds of the value its writer had seen (as a
 * {@link CausalContext} restricted to adds of that value) and removes exactly
 * those, so an add it had not seen (a concurrent one) survives.
 */
export type SetPayload =
  | { readonly action: 'add'; readonly value: JsonValue }
  | { readonly action: 'remove'; readonly value: JsonValue; readonly context: CausalContext };

/** A set write. */
export type SetOperation = PolicyOperation<SetPayload>;
/** A set add. */
export type SetAddOperation = PolicyOperation<Extract<SetPayload, { action: 'add' }>>;
/** A set remove. */
export type SetRemoveOperation = PolicyOperation<Extract<SetPayload, { action: 'remove' }>>;

/**
 * The state of a set key, compacted: the adds no known remove covers, and per
 * value the removes no other remove of that value covers (the concurrent
 * ones). Both in `(origin, seq)` order.
 *
 * @remarks
 * An add covered by a known remove is dropped: the remove's context names
 * it, so if the add arrives again it is recognised and ignored. The remove
 * itself must stay as long as some peer may still hold or send that add —
 * see the README, "Tombstones and compaction".
 */
export interface SetState {
  readonly adds: readonly SetAddOperation[];
  readonly removes: readonly SetRemoveOperation[];
}

const EMPTY: SetState = Object.freeze({ adds: Object.freeze([]), removes: Object.freeze([]) });

function isAdd(op: SetOperation): op is SetAddOperation {
  return op.value.action === 'add';
}

/** The canonical JSON of each write's element, computed once per payload object. */
const elementTexts = new WeakMap<object, string>();

function elementOf(op: SetOperation): string {
  let text = elementTexts.get(op.value);
  if (text === undefined) {
    text = canonicalJson(op.value.value);
    elementTexts.set(op.value, text);
  }
  return text;
}

/**
 * The removes of a state by element, built once per removes list: an add
 * leaves the list as it is (the next state shares it), so a run of adds
 * looks their element up instead of scanning every remove.
 */
const removesByElement = new WeakMap<readonly SetRemoveOperation[], Map<string, SetRemoveOperation[]>>();

function removesOf(removes: readonly SetRemoveOperation[], text: string): readonly SetRemoveOperation[] {
  let index = removesByElement.get(removes);
  if (index === undefined) {
    index = new Map();
    for (const remove of removes) {
      const key = elementOf(remove);
      const list = index.get(key);
      if (list === undefined) index.set(key, [remove]);
      else list.push(remove);
    }
    removesByElement.set(removes, index);
  }
  return index.get(text) ?? [];
}

/** Where `op` is, or would be inserted, in a list in `(origin, seq)` order. */
function findId(list: readonly SetOperation[], op: SetOperation): { readonly index: number; readonly found: boolean } {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const order = compareOpIds(list[mid]!, op);
    if (order === 0) return { index: mid, found: true };
    if (order < 0) low = mid + 1;
    else high = mid;
  }
  return { index: low, found: false };
}

function inserted<T extends SetOperation>(list: readonly T[], op: T, index: number): T[] {
  const out = list.slice(0, index);
  out.push(op);
  for (let i = index; i < list.length; i++) out.push(list[i]!);
  return out;
}

/**
 * `join([...state, op])` without rebuilding the state: O(state) array work and
 * string comparisons per write instead of O(state) canonical JSON and a sort,
 * with the operations it added to and removed from the state (its
 * `essential`). The same state, element for element (property-tested
 * against the join).
 */
function applyDelta(state: SetState, op: SetOperation): AppliedDelta<SetPayload, SetState> {
  const adds = findId(state.adds, op);
  const removes = findId(state.removes, op);
  // Held already (or the same id with other content: the join decides).
  if (adds.found || removes.found) {
    const joined = join([...state.adds, ...state.removes, op]);
    return { state: joined, ...differences(mergeSorted(state.adds, state.removes), mergeSorted(joined.adds, joined.removes)) };
  }
  const text = elementOf(op);
  if (isAdd(op)) {
    // An add a held remove had seen was removed already, wherever it arrives from.
    for (const remove of removesOf(state.removes, text)) if (contextHas(remove.value.context, op)) return unchanged(state);
    return { state: { adds: inserted(state.adds, op, adds.index), removes: state.removes }, added: [op], removed: [] };
  }
  const remove = op as SetRemoveOperation;
  if (Object.keys(remove.value.context).length === 0) return unchanged(state);
  // A remove another held remove makes redundant removes nothing that one did not.
  for (const other of removesOf(state.removes, text)) if (covers(other, remove)) return unchanged(state);
  const removed: SetOperation[] = [];
  const keptRemoves = state.removes.filter((other) => {
    const keep = elementOf(other) !== text || !covers(remove, other);
    if (!keep) removed.push(other);
    return keep;
  });
  const keptAdds = state.adds.filter((add) => {
    const keep = elementOf(add) !== text || !contextHas(remove.value.context, add);
    if (!keep) removed.push(add);
    return keep;
  });
  return { state: { adds: keptAdds, removes: inserted(keptRemoves, remove, findId(keptRemoves, remove).index) }, added: [remove], removed };
}

function unchanged(state: SetState): AppliedDelta<SetPayload, SetState> {
  return { state, added: [], removed: [] };
}

/** The operations only in `after` and only in `before`, both in `(origin, seq)` order (by object). */
function differences(before: readonly SetOperation[], after: readonly SetOperation[]): { added: SetOperation[]; removed: SetOperation[] } {
  const was = new Set(before);
  const now = new Set(after);
  return { added: after.filter((op) => !was.has(op)), removed: before.filter((op) => !now.has(op)) };
}

/** Two lists in `(origin, seq)` order, merged. */
function mergeSorted(a: readonly SetOperation[], b: readonly SetOperation[]): SetOperation[] {
  const out: SetOperation[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(compareOpIds(a[i]!, b[j]!) < 0 ? a[i++]! : b[j++]!);
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}

function payloadText(payload: SetPayload): string {
  return payload.action === 'add' ? `a${canonicalJson(payload.value)}` : `r${canonicalJson(payload.value)}|${JSON.stringify(payload.context)}`;
}

/** Whether remove `a` makes remove `b` redundant: it removes all `b` removes (ties kept once, by smallest id). */
function covers(a: SetRemoveOperation, b: SetRemoveOperation): boolean {
  if (a.origin === b.origin && a.seq === b.seq) return false;
  if (!contextDominates(a.value.context, b.value.context)) return false;
  return !sameContext(a.value.context, b.value.context) || compareOpIds(a, b) < 0;
}

function join(ops: readonly SetOperation[]): SetState {
  const byId = new Map<string, SetOperation>();
  for (const op of ops) {
    const id = `${op.origin}:${op.seq}`;
    const known = byId.get(id);
    // The same id twice: equivocation is caught upstream; pick by content so the join stays commutative.
    if (known === undefined || payloadText(op.value) > payloadText(known.value)) byId.set(id, op);
  }
  const removesByValue = new Map<string, SetRemoveOperation[]>();
  const adds: SetAddOperation[] = [];
  for (const op of byId.values()) {
    if (isAdd(op)) {
      adds.push(op);
      continue;
    }
    const remove = op as SetRemoveOperation;
    // A remove that had seen no add of its value removes nothing.
    if (Object.keys(remove.value.context).length === 0) continue;
    const text = elementOf(remove);
    const list = removesByValue.get(text);
    if (list === undefined) removesByValue.set(text, [remove]);
    else list.push(remove);
  }
  const removes: SetRemoveOperation[] = [];
  for (const list of removesByValue.values()) {
    for (const remove of list) if (!list.some((other) => covers(other, remove))) removes.push(remove);
  }
  const live = adds.filter((add) => !(removesByValue.get(elementOf(add)) ?? []).some((remove) => contextHas(remove.value.context, add)));
  return { adds: live.sort(compareOpIds), removes: removes.sort(compareOpIds) };
}

/**
 * Whether a remove can be collected: it is in `stable`, and so is every add it
 * names (its context is the prefix `1..n` of each origin's seqs). Every peer
 * then holds the remove and those adds, so none still shows one of them or
 * can send one of them as new (an id in a peer's vector is deduplicated);
 * the remove has done all it will ever do.
 */
function collectable(remove: SetRemoveOperation, stable: VersionVector): boolean {
  if (!stable.has(remove)) return false;
  const context = remove.value.context;
  for (const origin of Object.keys(context)) if (stable.contiguous(origin) < context[origin]!) return false;
  return true;
}

function collect(state: SetState, stable: VersionVector): SetState {
  if (state.removes.length === 0) return state;
  const kept = state.removes.filter((remove) => !collectable(remove, stable));
  return kept.length === state.removes.length ? state : { adds: state.adds, removes: kept };
}

/** The payload adding `value`: a new dot, the op's own id. */
export function setAdd(value: JsonValue): SetPayload {
  return { action: 'add', value };
}

/**
 * The payload removing `value` as a peer whose state of the key is `state`
 * sees it: every add of it that peer knows (live, or already removed by a
 * remove it keeps), so this remove makes those removes redundant.
 */
export function setRemove(state: SetState, value: JsonValue): SetPayload {
  const text = canonicalJson(value);
  const adds = state.adds.filter((add) => elementOf(add) === text);
  const removes = state.removes.filter((remove) => elementOf(remove) === text);
  return {
    action: 'remove',
    value,
    context: joinContexts(
      removes.map((remove) => remove.value.context),
      adds,
    ),
  };
}

/** Whether `value` is in the set. */
export function setHas(state: SetState, value: JsonValue): boolean {
  const text = canonicalJson(value);
  return state.adds.some((add) => elementOf(add) === text);
}

/**
 * Checks an untrusted set payload.
 *
 * @returns the payload (a copy), or an `E_INVALID_VALUE` / `E_TOO_LARGE` error
 */
export function validateSetPayload(input: unknown): PayloadCheck<SetPayload> {
  return guarded('set payload', () => {
    if (!isPlainObject(input)) return invalid('set payload must be an object { action: "add", value } or { action: "remove", value, context }');
    const action = input['action'];
    if (action !== 'add' && action !== 'remove') return invalid('set value: action must be "add" or "remove"');
    const value = copyValue(input['value']);
    if (!value.ok) return { ok: false, error: value.error };
    if (action === 'add') return { ok: true, value: { action, value: value.value } };
    const context = checkContext(input['context'], 'set remove');
    if (!context.ok) return { ok: false, error: context.error };
    return { ok: true, value: { action, value: value.value, context: context.context } };
  });
}

/**
 * Add-wins observed-remove set of JSON values (compared by
 * {@link canonicalJson}): a value is in the set when some add of it was not
 * seen by any remove of it.
 */
export const setPolicy: MergePolicy<SetPayload, SetState, JsonValue[]> = {
  name: 'set',
  empty: () => EMPTY,
  apply: (state, op) => applyDelta(state, op).state,
  applyDelta,
  // The smaller side's operations applied to the larger (apply is the join, incrementally): a durable
  // state and the few writes still on their way to disk merge in O(few × state), not a rebuild.
  merge: (a, b) => {
    if (a === b) return a;
    const [large, small] = a.adds.length + a.removes.length >= b.adds.length + b.removes.length ? [a, b] : [b, a];
    // Two states of like size: one rebuild (O(n log n)) beats n incremental steps (O(n) each).
    if ((small.adds.length + small.removes.length) * 16 > large.adds.length + large.removes.length) return join([...a.adds, ...a.removes, ...b.adds, ...b.removes]);
    let state = large;
    for (const op of small.adds) state = applyDelta(state, op).state;
    for (const op of small.removes) state = applyDelta(state, op).state;
    return state;
  },
  value: (state) => {
    const byText = new Map<string, JsonValue>();
    for (const add of state.adds) byText.set(elementOf(add), add.value.value);
    return [...byText.keys()].sort().map((text) => byText.get(text)!);
  },
  essential: (state) => mergeSorted(state.adds, state.removes),
  equals: (a, b) => {
    if (a === b) return true;
    if (a.adds.length !== b.adds.length || a.removes.length !== b.removes.length) return false;
    const left = [...a.adds, ...a.removes];
    const right = [...b.adds, ...b.removes];
    return (
      left.length === right.length &&
      // The same operation objects (what an unchanged state shares) compare at once, without canonical JSON.
      left.every((op, i) => op === right[i] || (op.origin === right[i]!.origin && op.seq === right[i]!.seq && payloadText(op.value) === payloadText(right[i]!.value)))
    );
  },
  validatePayload: validateSetPayload,
  collect,
};
