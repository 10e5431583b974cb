import { SyncError } from './errors.js';
import { decodeHlcText, encodeHlcText } from './hlc.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import type { SyncMessage } from './messages.js';
import { isOperationType, type JsonValue, type OpId, type Operation, type OperationType } from './operation.js';
import { VersionVector, type VersionVectorJson } from './version-vector.js';

/**
 * The JSON form of protocol messages, for debugging, logs and HTTP clients
 * that cannot send binary. Same fields as the binary form; version vectors in
 * their compact JSON form and timestamps in the sortable text form.
 */

/** The JSON form of an operation. */
export interface OperationJson {
  readonly origin: string;
  readonly seq: number;
  /** The timestamp in sortable text form (`encodeHlcText`). */
  readonly hlc: string;
  readonly collection: string;
  readonly key: string;
  readonly kind: 'put' | 'del';
  /** The merge policy of a typed put; absent for LWW. */
  readonly type?: OperationType;
  /** What the writer had seen (causal spaces). */
  readonly deps?: { readonly [origin: string]: number };
  readonly value?: JsonValue;
}

/** The JSON form of a {@link SyncMessage}. */
export type SyncMessageJson =
  | { readonly type: 'hello'; readonly protocol: number; readonly epoch: number; readonly peer: string; readonly space: string; readonly vv: VersionVectorJson }
  | { readonly type: 'ops'; readonly epoch: number; readonly n: number; readonly ops: readonly OperationJson[] }
  | { readonly type: 'covered'; readonly epoch: number; readonly n: number; readonly vv: VersionVectorJson }
  | { readonly type: 'ack'; readonly vv: VersionVectorJson }
  | { readonly type: 'stable'; readonly vv: VersionVectorJson; readonly reply?: { readonly epoch: number; readonly n: number; readonly covered: VersionVectorJson } }
  | { readonly type: 'error'; readonly code: string; readonly message: string; readonly opIds?: readonly OpId[] }
  | { readonly type: 'digest-request'; readonly id: number; readonly leaves: boolean }
  | {
      readonly type: 'digest';
      readonly id: number;
      readonly root: string;
      readonly count: number;
      readonly buckets: readonly string[];
      readonly leaves?: ReadonlyArray<{ readonly collection: string; readonly key: string; readonly winner: string }>;
    };

/** The JSON form of an operation. */
export function operationToJson(op: Operation): OperationJson {
  const base =
    op.deps === undefined
      ? { origin: op.origin, seq: op.seq, hlc: encodeHlcText(op.hlc), collection: op.collection, key: op.key }
      : { origin: op.origin, seq: op.seq, hlc: encodeHlcText(op.hlc), collection: op.collection, key: op.key, deps: op.deps };
  if (op.kind === 'del') return { ...base, kind: 'del' };
  return op.type === undefined ? { ...base, kind: 'put', value: op.value } : { ...base, kind: 'put', type: op.type, value: op.value };
}

/**
 * Reads the JSON form of an operation (structure only; validate it after).
 *
 * @throws SyncError `E_DECODE` when malformed
 */
export function operationFromJson(json: unknown): Operation {
  const o = asObject(json, 'operation');
  const origin = field(o, 'origin', 'string');
  const seq = field(o, 'seq', 'number');
  const hlcText = field(o, 'hlc', 'string');
  let hlc;
  try {
    hlc = decodeHlcText(hlcText);
  } catch (error) {
    throw new SyncError('E_DECODE', `cannot decode JSON operation: bad hlc ${JSON.stringify(hlcText.slice(0, 90))}`, { cause: error });
  }
  const collection = field(o, 'collection', 'string');
  const key = field(o, 'key', 'string');
  const kind = o['kind'];
  const depsJson = o['deps'];
  if (depsJson !== undefined && (typeof depsJson !== 'object' || depsJson === null || Array.isArray(depsJson))) {
    throw new SyncError('E_DECODE', 'cannot decode JSON operation: deps must be an object of origin → seq');
  }
  // Structure only; validation checks the entries.
  const deps = depsJson as { readonly [origin: string]: number } | undefined;
  if (kind === 'del') return deps === undefined ? { origin, seq, hlc, collection, key, kind } : { origin, seq, hlc, collection, key, deps, kind };
  if (kind !== 'put') throw new SyncError('E_DECODE', 'cannot decode JSON operation: kind must be "put" or "del"');
  if (!('value' in o)) throw new SyncError('E_DECODE', 'cannot decode JSON operation: a put needs a value');
  const type = o['type'];
  const base = deps === undefined ? { origin, seq, hlc, collection, key } : { origin, seq, hlc, collection, key, deps };
  if (type === undefined) return { ...base, kind, value: o['value'] as JsonValue };
  if (!isOperationType(type)) throw new SyncError('E_DECODE', `cannot decode JSON operation: unknown merge policy ${JSON.stringify(typeof type === 'string' ? type.slice(0, 40) : typeof type)}: upgrade this peer`);
  return { ...base, kind, type, value: o['value'] as JsonValue };
}

/** The JSON form of a message. */
export function messageToJson(message: SyncMessage): SyncMessageJson {
  switch (message.type) {
    case 'hello':
      return { ...message, vv: message.vv.toJSON() };
    case 'ops':
      return { type: 'ops', epoch: message.epoch, n: message.n, ops: message.ops.map(operationToJson) };
    case 'covered':
      return { ...message, vv: message.vv.toJSON() };
    case 'ack':
      return { type: 'ack', vv: message.vv.toJSON() };
    case 'stable': {
      const reply = message.reply;
      return reply === undefined ? { type: 'stable', vv: message.vv.toJSON() } : { type: 'stable', vv: message.vv.toJSON(), reply: { epoch: reply.epoch, n: reply.n, covered: reply.covered.toJSON() } };
    }
    case 'error':
    case 'digest-request':
    case 'digest':
      return message;
  }
}

/**
 * Reads the JSON form of a message.
 *
 * @throws SyncError `E_DECODE` when malformed, `E_TOO_LARGE` over `maxBatchOps`
 */
export function messageFromJson(json: unknown, options: { readonly limits?: Limits } = {}): SyncMessage {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const o = asObject(json, 'message');
  const type = o['type'];
  switch (type) {
    case 'hello':
      return {
        type,
        protocol: field(o, 'protocol', 'number'),
        epoch: field(o, 'epoch', 'number'),
        peer: field(o, 'peer', 'string'),
        space: field(o, 'space', 'string'),
        vv: vvFromJson(o['vv'], limits),
      };
    case 'ops': {
      const ops = o['ops'];
      if (!Array.isArray(ops)) throw new SyncError('E_DECODE', 'cannot decode JSON message: ops must be an array');
      if (ops.length > limits.maxBatchOps) throw new SyncError('E_TOO_LARGE', `batch of ${ops.length} operations exceeds maxBatchOps ${limits.maxBatchOps}`);
      return { type, epoch: field(o, 'epoch', 'number'), n: field(o, 'n', 'number'), ops: ops.map(operationFromJson) };
    }
    case 'covered':
      return { type, epoch: field(o, 'epoch', 'number'), n: field(o, 'n', 'number'), vv: vvFromJson(o['vv'], limits) };
    case 'ack':
      return { type, vv: vvFromJson(o['vv'], limits) };
    case 'stable': {
      const vv = vvFromJson(o['vv'], limits);
      if (o['reply'] === undefined) return { type, vv };
      const reply = asObject(o['reply'], 'stable reply');
      return { type, vv, reply: { epoch: field(reply, 'epoch', 'number'), n: field(reply, 'n', 'number'), covered: vvFromJson(reply['covered'], limits) } };
    }
    case 'error': {
      const code = field(o, 'code', 'string');
      const message = field(o, 'message', 'string');
      const rawIds = o['opIds'];
      if (rawIds === undefined) return { type, code, message };
      if (!Array.isArray(rawIds)) throw new SyncError('E_DECODE', 'cannot decode JSON message: opIds must be an array');
      const opIds = rawIds.map((id) => {
        const idObject = asObject(id, 'op id');
        return { origin: field(idObject, 'origin', 'string'), seq: field(idObject, 'seq', 'number') };
      });
      return { type, code, message, opIds };
    }
    case 'digest-request':
      return { type, id: field(o, 'id', 'number'), leaves: o['leaves'] === true };
    case 'digest': {
      const buckets = o['buckets'];
      if (!Array.isArray(buckets) || !buckets.every((b) => typeof b === 'string')) throw new SyncError('E_DECODE', 'cannot decode JSON message: buckets must be strings');
      const base = { type, id: field(o, 'id', 'number'), root: field(o, 'root', 'string'), count: field(o, 'count', 'number'), buckets: buckets };
      const leaves = o['leaves'];
      if (leaves === undefined) return base;
      if (!Array.isArray(leaves)) throw new SyncError('E_DECODE', 'cannot decode JSON message: leaves must be an array');
      return {
        ...base,
        leaves: leaves.map((leaf) => {
          const l = asObject(leaf, 'digest leaf');
          return { collection: field(l, 'collection', 'string'), key: field(l, 'key', 'string'), winner: field(l, 'winner', 'string') };
        }),
      };
    }
    default:
      throw new SyncError('E_DECODE', `cannot decode JSON message: unknown type ${JSON.stringify(type)}`);
  }
}

/** Encodes a message as JSON text. */
export function encodeMessageJson(message: SyncMessage): string {
  return JSON.stringify(messageToJson(message));
}

/**
 * Decodes JSON text made by {@link encodeMessageJson}.
 *
 * @throws SyncError `E_DECODE` when malformed
 */
export function decodeMessageJson(text: string, options: { readonly limits?: Limits } = {}): SyncMessage {
  const limits = options.limits ?? DEFAULT_LIMITS;
  if (text.length > limits.maxMessageBytes * 2) {
    throw new SyncError('E_TOO_LARGE', `JSON message of ${text.length} characters exceeds twice maxMessageBytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SyncError('E_DECODE', 'cannot decode JSON message: not valid JSON', { cause: error });
  }
  return messageFromJson(json, options);
}

function asObject(json: unknown, what: string): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SyncError('E_DECODE', `cannot decode JSON ${what}: not an object`);
  }
  return json as Record<string, unknown>;
}

function field<T extends 'string' | 'number'>(o: Record<string, unknown>, name: string, type: T): T extends 'string' ? string : number {
  const value = o[name];
  if (typeof value !== type) throw new SyncError('E_DECODE', `cannot decode JSON message: field ${name} must be a ${type}`);
  return value as T extends 'string' ? string : number;
}

function vvFromJson(json: unknown, limits: Limits): VersionVector {
  let vv: VersionVector;
  try {
    vv = VersionVector.fromJSON(json);
  } catch (error) {
    throw new SyncError('E_DECODE', `cannot decode JSON message: ${(error as Error).message}`, { cause: error });
  }
  if (vv.rangeCount() > limits.maxVectorRanges) {
    throw new SyncError('E_TOO_LARGE', `a version vector with more than ${limits.maxVectorRanges} seq ranges (maxVectorRanges): honest vectors are contiguous but for rare gaps`);
  }
  return vv;
}
