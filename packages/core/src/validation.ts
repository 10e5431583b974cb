import { utf8Length, varintSize } from './bytes.js';
import { SyncError, isSyncError, type SyncErrorCode } from './errors.js';
import { isHlcCounter, isHlcWall } from './hlc.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { OPERATION_TYPES, isOperationType, type Dependencies, type JsonValue, type OpId, type Operation } from './operation.js';
import { isPeerId } from './peer-id.js';
import { numberValueSize, stringValueSize } from './value-codec.js';
import { isSeq } from './version-vector.js';

/** The verdict of {@link validateOperation}. */
export type ValidationResult =
  | { readonly ok: true; readonly op: Operation; readonly valueBytes: number }
  | { readonly ok: false; readonly error: SyncError; readonly opId?: OpId };

/**
 * Checks that `input` is a well-formed {@link Operation} within `limits`.
 *
 * @remarks
 * Pure and total: the same input and limits give the same verdict on every
 * peer, and it never throws. On success it returns a normalised copy holding
 * only the operation's fields (the value is not copied). Error codes:
 * `E_INVALID_OP` (not an object), `E_INVALID_ORIGIN`, `E_INVALID_SEQ`,
 * `E_INVALID_HLC` (malformed, or its peer is not the origin), `E_INVALID_KIND`,
 * `E_INVALID_COLLECTION`, `E_INVALID_KEY` (every problem of a name, over-long
 * included), `E_INVALID_VALUE` (not JSON, non-finite number, lone surrogate,
 * `__proto__` key, class instance, a cycle, a value on a delete) and
 * `E_TOO_LARGE` (a value or its nesting over the limits), `E_POLICY` (a `type`
 * that names no merge policy this peer knows, or one on a delete; the payload
 * itself is checked by the policy, in the applier).
 *
 * @param input - anything, typically a decoded operation
 * @param limits - size limits; every peer of a space must use the same
 */
export function validateOperation(input: unknown, limits: Limits = DEFAULT_LIMITS): ValidationResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return fail('E_INVALID_OP', `an operation must be an object, got ${describe(input)}`);
  }
  const raw = input as Record<string, unknown>;
  const origin = raw['origin'];
  const seq = raw['seq'];
  if (!isPeerId(origin)) return fail('E_INVALID_ORIGIN', `origin ${describe(origin)} is not a valid peer id`);
  if (!isSeq(seq)) return fail('E_INVALID_SEQ', `seq ${describe(seq)} of ${origin} must be a positive safe integer`);
  const opId: OpId = { origin, seq };
  const hlc = raw['hlc'];
  if (typeof hlc !== 'object' || hlc === null) return fail('E_INVALID_HLC', `hlc of ${origin}:${seq} is missing`, opId);
  const wall = (hlc as Record<string, unknown>)['wall'];
  const counter = (hlc as Record<string, unknown>)['counter'];
  const peer = (hlc as Record<string, unknown>)['peer'];
  if (!isHlcWall(wall) || !isHlcCounter(counter)) {
    return fail('E_INVALID_HLC', `hlc of ${origin}:${seq} is out of range (wall ${describe(wall)}, counter ${describe(counter)})`, opId);
  }
  if (peer !== origin) return fail('E_INVALID_HLC', `hlc of ${origin}:${seq} names peer ${describe(peer)}, not its origin`, opId);
  const kind = raw['kind'];
  if (kind !== 'put' && kind !== 'del') return fail('E_INVALID_KIND', `kind ${describe(kind)} of ${origin}:${seq} must be "put" or "del"`, opId);
  const collection = raw['collection'];
  const key = raw['key'];
  const collectionError = checkName(collection, 'collection', limits.maxCollectionBytes, 'E_INVALID_COLLECTION');
  if (collectionError) return fail(collectionError[0], `${collectionError[1]} (op ${origin}:${seq})`, opId);
  const keyError = checkName(key, 'key', limits.maxKeyBytes, 'E_INVALID_KEY');
  if (keyError) return fail(keyError[0], `${keyError[1]} (op ${origin}:${seq})`, opId);
  const hlcCopy = { wall, counter, peer: origin };
  const depsInput = raw['deps'];
  let deps: Dependencies | undefined;
  if (depsInput !== undefined) {
    const checked = checkDependencies(depsInput, origin);
    if (typeof checked === 'string') return fail('E_INVALID_OP', `dependencies of ${origin}:${seq}: ${checked}`, opId);
    deps = checked;
  }
  const type = raw['type'];
  if (type !== undefined && (kind === 'del' || !isOperationType(type))) {
    return fail(
      'E_POLICY',
      kind === 'del'
        ? `delete ${origin}:${seq} must not name a merge policy (typed collections delete through their own payloads)`
        : `op ${origin}:${seq} names merge policy ${describe(type)}, which this peer does not know (it knows ${OPERATION_TYPES.join(', ')} and LWW): upgrade this peer`,
      opId,
    );
  }
  if (kind === 'del') {
    if (raw['value'] !== undefined) return fail('E_INVALID_VALUE', `delete ${origin}:${seq} must not carry a value`, opId);
    const c = collection as string;
    const k = key as string;
    return { ok: true, op: deps === undefined ? { origin, seq, hlc: hlcCopy, collection: c, key: k, kind } : { origin, seq, hlc: hlcCopy, collection: c, key: k, deps, kind }, valueBytes: 0 };
  }
  if (!('value' in raw)) return fail('E_INVALID_VALUE', `put ${origin}:${seq} has no value (use null for an empty one)`, opId);
  const checked = checkValue(raw['value'], limits);
  if (!checked.ok) return fail(checked.error.code, `${checked.error.message} (op ${origin}:${seq})`, opId);
  const c = collection as string;
  const k = key as string;
  const value = raw['value'] as JsonValue;
  // One object literal per shape: the LWW put without dependencies is the hot path of every received batch.
  let op: Operation;
  if (deps === undefined) op = type === undefined ? { origin, seq, hlc: hlcCopy, collection: c, key: k, kind, value } : { origin, seq, hlc: hlcCopy, collection: c, key: k, kind, type, value };
  else op = type === undefined ? { origin, seq, hlc: hlcCopy, collection: c, key: k, deps, kind, value } : { origin, seq, hlc: hlcCopy, collection: c, key: k, deps, kind, type, value };
  return { ok: true, op, valueBytes: checked.bytes };
}

/** The most origins one operation's dependencies may name. */
export const MAX_DEPENDENCY_ORIGINS = 4096;

/**
 * Checks an operation's dependencies: a plain object of at most
 * {@link MAX_DEPENDENCY_ORIGINS} peer ids (not the op's own origin, whose
 * earlier writes are implied) to positive safe integers.
 *
 * @returns a copy, or what is wrong
 */
function checkDependencies(input: unknown, origin: string): Dependencies | string {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return 'must be an object of origin → seq';
  const proto = Object.getPrototypeOf(input) as unknown;
  if (proto !== Object.prototype && proto !== null) return 'must be a plain object';
  const keys = Object.keys(input);
  if (keys.length > MAX_DEPENDENCY_ORIGINS) return `more than ${MAX_DEPENDENCY_ORIGINS} origins`;
  // The copy lists origins in order, as the codec writes them.
  keys.sort();
  const copy: Record<string, number> = {};
  for (const key of keys) {
    if (!isPeerId(key)) return `${describe(key)} is not a peer id`;
    if (key === origin) return 'must not name the op\'s own origin (its earlier writes are implied)';
    const seq = (input as Record<string, unknown>)[key];
    if (!isSeq(seq)) return `seq of ${key} must be a positive safe integer`;
    copy[key] = seq;
  }
  return copy;
}

/**
 * Checks that `value` can be stored: a JSON value with finite numbers, no lone
 * surrogates, no `__proto__` keys, plain objects only, within the size and
 * depth limits. Returns its encoded size.
 *
 * @param value - anything
 * @param limits - the size limits
 */
export function checkValue(
  value: unknown,
  limits: Limits = DEFAULT_LIMITS,
): { readonly ok: true; readonly bytes: number } | { readonly ok: false; readonly error: SyncError } {
  try {
    const bytes = valueSize(value, 0, limits.maxValueDepth, '');
    if (bytes > limits.maxValueBytes) {
      return { ok: false, error: new SyncError('E_TOO_LARGE', `value is ${bytes} bytes encoded, over the limit of ${limits.maxValueBytes}`) };
    }
    return { ok: true, bytes };
  } catch (error) {
    if (isSyncError(error)) return { ok: false, error };
    return { ok: false, error: new SyncError('E_INVALID_VALUE', 'value could not be read', { cause: error }) };
  }
}

/**
 * Checks a collection name or key: a non-empty well-formed string within
 * `maxBytes` UTF-8 bytes, and not `__proto__`.
 *
 * @remarks
 * Every problem gets `code` (over-long names too); the message says which.
 *
 * @returns `undefined` when valid, else the error code and message
 */
export function checkName(
  name: unknown,
  what: 'collection' | 'key',
  maxBytes: number,
  code: 'E_INVALID_COLLECTION' | 'E_INVALID_KEY',
): readonly [SyncErrorCode, string] | undefined {
  if (typeof name !== 'string') return [code, `${what} must be a string, got ${describe(name)}`];
  if (name.length === 0) return [code, `${what} must not be empty`];
  if (name === '__proto__') return [code, `${what} "__proto__" is reserved`];
  const bytes = utf8Length(name);
  if (bytes < 0) return [code, `${what} holds a lone surrogate (not valid Unicode)`];
  // Every problem of a name has the name's code, over-long included: "what is wrong with my key" has one answer.
  if (bytes > maxBytes) return [code, `${what} is ${bytes} UTF-8 bytes, over the limit of ${maxBytes}: use a shorter ${what}`];
  return undefined;
}

/** Encoded size of a value, counted by {@link walk}. */
let walked = 0;
/**
 * The objects on the path being walked, by depth: read only once the depth
 * limit is hit, to tell a cycle from a value that is merely deep.
 */
const ancestors: unknown[] = [];

function valueSize(value: unknown, depth: number, maxDepth: number, path: string): number {
  walked = 0;
  try {
    walk(value, depth, maxDepth, path, false);
  } finally {
    ancestors.length = 0;
  }
  return walked;
}

/**
 * Checks a value, adds its encoded size to `walked`, and returns it — or,
 * with `copy`, a deep copy of it (one walk for both).
 */
function walk(value: unknown, depth: number, maxDepth: number, path: string, copy: boolean): unknown {
  switch (typeof value) {
    case 'string': {
      const size = stringValueSize(value);
      if (size < 0) throw new SyncError('E_INVALID_VALUE', `string at ${path || 'the top'} holds a lone surrogate (not valid Unicode)`);
      walked += size;
      return value;
    }
    case 'number':
      if (!Number.isFinite(value)) {
        throw new SyncError('E_INVALID_VALUE', `number at ${path || 'the top'} is ${value}: only finite numbers can be stored`);
      }
      walked += numberValueSize(value);
      return value;
    case 'boolean':
      walked += 1;
      return value;
    case 'object': {
      if (value === null) {
        walked += 1;
        return value;
      }
      if (depth >= maxDepth) {
        const cyclic = ancestors.lastIndexOf(value, depth - 1) >= 0;
        ancestors.length = 0;
        if (cyclic) throw new SyncError('E_INVALID_VALUE', `value is cyclic (an object contains itself, seen again at ${path}): only trees of JSON values can be stored`);
        throw new SyncError('E_TOO_LARGE', `value is nested deeper than ${maxDepth} levels at ${path}`);
      }
      ancestors[depth] = value;
      if (Array.isArray(value)) {
        walked += 1 + varintSize(value.length);
        const out: unknown[] | undefined = copy ? new Array<unknown>(value.length) : undefined;
        for (let i = 0; i < value.length; i++) {
          const item = walk((value as unknown[])[i], depth + 1, maxDepth, path === '' ? `[${i}]` : `${path}[${i}]`, copy);
          if (out !== undefined) out[i] = item;
        }
        return out ?? value;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new SyncError('E_INVALID_VALUE', `value at ${path || 'the top'} is a class instance; only plain objects and arrays can be stored`);
      }
      const keys = Object.keys(value);
      walked += 1 + varintSize(keys.length);
      const out: Record<string, unknown> | undefined = copy ? {} : undefined;
      for (const key of keys) {
        if (key === '__proto__') throw new SyncError('E_INVALID_VALUE', `object at ${path || 'the top'} has a "__proto__" key`);
        const keyBytes = utf8Length(key);
        if (keyBytes < 0) throw new SyncError('E_INVALID_VALUE', `object key at ${path || 'the top'} holds a lone surrogate`);
        walked += varintSize(keyBytes) + keyBytes;
        const item = walk((value as Record<string, unknown>)[key], depth + 1, maxDepth, `${path}.${key}`, copy);
        if (out !== undefined) out[key] = item;
      }
      return out ?? value;
    }
    default:
      throw new SyncError('E_INVALID_VALUE', `value at ${path || 'the top'} is ${describe(value)}: only JSON values can be stored`);
  }
}

/**
 * Checks that `value` can be stored (as {@link checkValue}) and returns a deep
 * copy of it, so that later changes by the caller cannot reach the stored one.
 * One walk does both.
 *
 * @param value - anything
 * @param limits - the size limits
 */
export function copyValue(
  value: unknown,
  limits: Limits = DEFAULT_LIMITS,
): { readonly ok: true; readonly value: JsonValue; readonly bytes: number } | { readonly ok: false; readonly error: SyncError } {
  try {
    walked = 0;
    let copy: JsonValue;
    try {
      copy = walk(value, 0, limits.maxValueDepth, '', true) as JsonValue;
    } finally {
      ancestors.length = 0;
    }
    if (walked > limits.maxValueBytes) {
      return { ok: false, error: new SyncError('E_TOO_LARGE', `value is ${walked} bytes encoded, over the limit of ${limits.maxValueBytes}`) };
    }
    return { ok: true, value: copy, bytes: walked };
  } catch (error) {
    if (isSyncError(error)) return { ok: false, error };
    return { ok: false, error: new SyncError('E_INVALID_VALUE', 'value could not be read', { cause: error }) };
  }
}

function fail(code: SyncErrorCode, message: string, opId?: OpId): ValidationResult {
  const error = new SyncError(code, message);
  return opId === undefined ? { ok: false, error } : { ok: false, error, opId };
}

/** A short, safe description of an untrusted value for error messages. */
function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a value of type ${typeof value}`;
}
