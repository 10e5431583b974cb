import { compareHlc, copyValue, type JsonValue } from '@softadastra/sync-core';
import { canonicalJson } from './canonical-json.js';
import { compareOpIds, describeValue, guarded, invalid, isPlainObject, type MergePolicy, type PayloadCheck, type PolicyOperation } from './policy.js';

/**
 * A map write: fields it sets and fields it deletes. Each field is its own
 * last-writer-wins register, so writes to different fields never conflict.
 */
export interface MapPayload {
  /** Fields written, with their values. */
  readonly set: { readonly [field: string]: JsonValue };
  /** Fields deleted: a tombstone per field that wins or loses like a write. */
  readonly del: readonly string[];
}

/** A map write. */
export type MapOperation = PolicyOperation<MapPayload>;

/** One field's winning write. */
export interface MapFieldWinner {
  readonly field: string;
  readonly op: MapOperation;
}

/** The state of a map key: per field ever written, its winning write, in field order. */
export interface MapState {
  readonly fields: readonly MapFieldWinner[];
}

/** Bounds on a map payload accepted from a remote. */
export const MAX_MAP_FIELDS = 1024;
/** The longest field name, in UTF-16 code units. */
export const MAX_MAP_FIELD_LENGTH = 256;

const EMPTY: MapState = Object.freeze({ fields: Object.freeze([]) });

function payloadText(payload: MapPayload): string {
  return `${canonicalJson(payload.set)}|${JSON.stringify([...payload.del].sort())}`;
}

/** The LWW order of `compareOperations`: HLC, then origin, then seq; content for one id seen twice. */
function beats(a: MapOperation, b: MapOperation): boolean {
  const byClock = compareHlc(a.hlc, b.hlc);
  if (byClock !== 0) return byClock > 0;
  const byId = compareOpIds(a, b);
  if (byId !== 0) return byId > 0;
  return payloadText(a.value) > payloadText(b.value);
}

function touched(op: MapOperation): string[] {
  return [...Object.keys(op.value.set), ...op.value.del];
}

function join(a: readonly MapFieldWinner[], b: readonly MapFieldWinner[]): readonly MapFieldWinner[] {
  const winners = new Map<string, MapOperation>();
  for (const { field, op } of [...a, ...b]) {
    const known = winners.get(field);
    if (known === undefined || beats(op, known)) winners.set(field, op);
  }
  return [...winners.keys()].sort().map((field) => ({ field, op: winners.get(field)! }));
}

/** The payload of a write setting `set` and deleting `del`. */
export function mapWrite(set: { readonly [field: string]: JsonValue }, del: readonly string[] = []): MapPayload {
  return { set, del };
}

/**
 * Checks an untrusted map value: at most {@link MAX_MAP_FIELDS} fields, of
 * at most {@link MAX_MAP_FIELD_LENGTH} units, none both set and deleted, at
 * least one.
 */
export function validateMapPayload(input: unknown): PayloadCheck<MapPayload> {
  return guarded('map payload', () => {
    if (!isPlainObject(input)) return invalid('map payload must be an object { set: { field: value }, del: [field] }');
    const rawSet = input['set'];
    const rawDel = input['del'];
    if (!isPlainObject(rawSet)) return invalid(`map value: set must be an object of field → value, got ${describeValue(rawSet)}`);
    if (!Array.isArray(rawDel)) return invalid(`map value: del must be an array of field names, got ${describeValue(rawDel)}`);
    const setFields = Object.keys(rawSet);
    if (setFields.length + rawDel.length > MAX_MAP_FIELDS) {
      return invalid(`map value: ${setFields.length + rawDel.length} fields, more than ${MAX_MAP_FIELDS}`, 'E_TOO_LARGE');
    }
    if (setFields.length + rawDel.length === 0) return invalid('map value: a write must set or delete at least one field');
    const seen = new Set<string>();
    for (const field of [...setFields, ...(rawDel as unknown[])]) {
      if (typeof field !== 'string' || field.length === 0 || field.length > MAX_MAP_FIELD_LENGTH || field === '__proto__') {
        return invalid(`map value: a field name must be a non-empty string of at most ${MAX_MAP_FIELD_LENGTH} characters, not "__proto__"`);
      }
      if (seen.has(field)) return invalid(`map value: field "${field}" is named twice (set and deleted, or deleted twice)`);
      seen.add(field);
    }
    const set = copyValue(rawSet);
    if (!set.ok) return { ok: false, error: set.error };
    return { ok: true, value: { set: set.value as { readonly [field: string]: JsonValue }, del: [...(rawDel as string[])] } };
  });
}

/**
 * A JSON object whose fields merge independently, each as a
 * last-writer-wins register; a deleted field is a tombstone that keeps an
 * older write from bringing it back.
 */
export const mapPolicy: MergePolicy<MapPayload, MapState, { [field: string]: JsonValue }> = {
  name: 'map',
  empty: () => EMPTY,
  apply: (state, op) =>
    ({
      fields: join(
        state.fields,
        touched(op).map((field) => ({ field, op })),
      ),
    }),
  merge: (a, b) => ({ fields: join(a.fields, b.fields) }),
  value: (state) => {
    const entries: Array<[string, JsonValue]> = [];
    for (const { field, op } of state.fields) {
      if (Object.prototype.hasOwnProperty.call(op.value.set, field)) entries.push([field, op.value.set[field]!]);
    }
    return Object.fromEntries(entries);
  },
  essential: (state) => {
    const byId = new Map<string, MapOperation>();
    for (const { op } of state.fields) byId.set(`${op.origin}:${op.seq}`, op);
    return [...byId.values()].sort(compareOpIds);
  },
  equals: (a, b) =>
    a.fields.length === b.fields.length &&
    a.fields.every(({ field, op }, i) => {
      const other = b.fields[i]!;
      return field === other.field && op.origin === other.op.origin && op.seq === other.op.seq && payloadText(op.value) === payloadText(other.op.value);
    }),
  validatePayload: validateMapPayload,
};
