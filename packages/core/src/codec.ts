import { ByteReader, ByteWriter, varintSize } from './bytes.js';
import { crc32 } from './crc32.js';
import { SyncError } from './errors.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import type { SyncMessage } from './messages.js';
import { OPERATION_TYPES, sameDependencies, type Dependencies, type OpId, type Operation, type OperationType } from './operation.js';
import { isPeerId } from './peer-id.js';
import { ShapeReader, ShapeWriter, readValue, writeValue } from './value-codec.js';
import { VersionVector } from './version-vector.js';

/**
 * The binary codec of protocol messages, operation batches and version
 * vectors. The format is specified field by field in docs/protocol.md.
 */

/** First byte of every encoded message. */
export const MESSAGE_MAGIC = 0xa7;
/**
 * Newest version of the binary message format (second byte of every
 * message). Version 2 adds typed operations (merge policies other than LWW);
 * a message is written in the lowest version that can carry it, so a message
 * without typed operations is byte for byte a version-1 message that older
 * peers still read. Decoders read versions 1 and 2.
 */
export const CODEC_VERSION = 2;
/** The oldest message format version this build reads. */
export const MIN_CODEC_VERSION = 1;

const TYPE_CODES = { hello: 1, ops: 2, covered: 3, ack: 4, error: 5, 'digest-request': 6, digest: 7, stable: 8 } as const;
const HASH = /^[0-9a-f]{16}$/;
const FLAG_DELETE = 0x01;
// The seq is below the previous seq of the same origin in the batch (delta stored as a magnitude).
const FLAG_SEQ_DOWN = 0x02;
// The key starts with a prefix of the previous operation's key: varint prefix length (UTF-16 units), then the rest.
const FLAG_KEY_PREFIX = 0x04;
// Same origin as the previous operation: no origin index.
const FLAG_SAME_ORIGIN = 0x08;
// Same collection as the previous operation: no collection index.
const FLAG_SAME_COLLECTION = 0x10;
// Same hlc.wall as the previous operation: no wall field.
const FLAG_SAME_WALL = 0x20;
// hlc.wall as a float64 instead of a zigzag delta (a delta that a varint cannot carry exactly).
const FLAG_WALL_F64 = 0x40;
// An extension byte follows the key (format version 2): a typed put and/or dependencies.
const FLAG_EXT = 0x80;
const KNOWN_FLAGS = FLAG_DELETE | FLAG_SEQ_DOWN | FLAG_KEY_PREFIX | FLAG_SAME_ORIGIN | FLAG_SAME_COLLECTION | FLAG_SAME_WALL | FLAG_WALL_F64 | FLAG_EXT;
// In the extension byte: the policy code in the low 3 bits (0 = LWW, else OPERATION_TYPES index + 1) …
const EXT_POLICY_MASK = 0x07;
// … dependencies follow (varint count, count × (varint origin index, varint seq)) …
const EXT_DEPS = 0x08;
// … or the dependencies are those of the previous operation of the same origin in the batch.
const EXT_SAME_DEPS = 0x10;
const KNOWN_EXT = EXT_POLICY_MASK | EXT_DEPS | EXT_SAME_DEPS;
// Shortest key prefix worth sharing (a shorter one saves nothing).
const MIN_KEY_PREFIX = 2;
// Largest wall delta whose zigzag form is a safe integer.
const MAX_WALL_DELTA = 2 ** 52 - 1;
// magic, version, type … crc32
const HEADER_BYTES = 3;
const TRAILER_BYTES = 4;

/** Options of the decoders. */
export interface DecodeOptions {
  /** Size limits; a message over `maxMessageBytes` or with more than `maxBatchOps` operations is refused. */
  readonly limits?: Limits;
}

const shared = new ByteWriter(64 * 1024);

function take(w: ByteWriter): Uint8Array {
  const out = w.finish();
  // Do not keep a huge buffer alive after an exceptional message.
  if (w.buf.length > 4 * 1024 * 1024) w.buf = new Uint8Array(64 * 1024);
  w.pos = 0;
  return out;
}

/**
 * Encodes a protocol message: magic byte, codec version, type, body, and a
 * CRC-32 of all that.
 *
 * @throws SyncError `E_INVALID_OP` when an operation's hlc peer is not its origin (validate first)
 */
export function encodeMessage(message: SyncMessage): Uint8Array {
  const w = shared;
  w.pos = 0;
  try {
    w.u8(MESSAGE_MAGIC);
    w.u8(message.type === 'ops' && needsCodecV2(message.ops) ? 2 : 1);
    w.u8(TYPE_CODES[message.type]);
    switch (message.type) {
      case 'hello':
        w.varint(message.protocol);
        w.varint(message.epoch);
        w.string(message.peer);
        w.string(message.space);
        writeVersionVector(w, message.vv);
        break;
      case 'ops':
        w.varint(message.epoch);
        w.varint(message.n);
        writeOperations(w, message.ops);
        break;
      case 'covered':
        w.varint(message.epoch);
        w.varint(message.n);
        writeVersionVector(w, message.vv);
        break;
      case 'ack':
        writeVersionVector(w, message.vv);
        break;
      case 'stable':
        writeVersionVector(w, message.vv);
        w.u8(message.reply === undefined ? 0 : 1);
        if (message.reply !== undefined) {
          w.varint(message.reply.epoch);
          w.varint(message.reply.n);
          writeVersionVector(w, message.reply.covered);
        }
        break;
      case 'error': {
        w.string(message.code);
        w.string(message.message);
        const ids = message.opIds ?? [];
        w.varint(ids.length);
        for (const id of ids) {
          w.string(id.origin);
          w.varint(id.seq);
        }
        break;
      }
      case 'digest-request':
        w.varint(message.id);
        w.u8(message.leaves ? 1 : 0);
        break;
      case 'digest': {
        w.varint(message.id);
        writeHash(w, message.root);
        w.varint(message.count);
        w.varint(message.buckets.length);
        for (const bucket of message.buckets) writeHash(w, bucket);
        const leaves = message.leaves;
        w.u8(leaves === undefined ? 0 : 1);
        if (leaves !== undefined) {
          w.varint(leaves.length);
          for (const leaf of leaves) {
            w.string(leaf.collection);
            w.string(leaf.key);
            w.string(leaf.winner);
          }
        }
        break;
      }
    }
    w.u32le(crc32(w.buf, 0, w.pos));
    return take(w);
  } catch (error) {
    w.pos = 0;
    throw error;
  }
}

/**
 * Decodes a protocol message.
 *
 * @remarks
 * Total on arbitrary input: returns a message or throws a {@link SyncError} —
 * `E_DECODE` for anything malformed (bad magic, version, checksum, truncation,
 * invalid UTF-8, impossible lengths), `E_TOO_LARGE` over the limits. Lengths
 * are checked against the bytes left before anything is allocated. Operations
 * inside are structurally decoded, not validated: run `validateOperation`.
 */
export function decodeMessage(bytes: Uint8Array, options: DecodeOptions = {}): SyncMessage {
  const limits = options.limits ?? DEFAULT_LIMITS;
  if (!(bytes instanceof Uint8Array)) throw new SyncError('E_DECODE', 'cannot decode message: not a Uint8Array');
  if (bytes.length > limits.maxMessageBytes) {
    throw new SyncError('E_TOO_LARGE', `message of ${bytes.length} bytes exceeds maxMessageBytes ${limits.maxMessageBytes}`);
  }
  if (bytes.length < HEADER_BYTES + TRAILER_BYTES) throw new SyncError('E_DECODE', `cannot decode message: only ${bytes.length} bytes`);
  if (bytes[0] !== MESSAGE_MAGIC) throw new SyncError('E_DECODE', 'cannot decode message: not a sync protocol message (bad magic byte)');
  const version = bytes[1]!;
  if (version < MIN_CODEC_VERSION || version > CODEC_VERSION) {
    throw new SyncError('E_DECODE', `cannot decode message: codec version ${version} is not supported (this peer reads ${MIN_CODEC_VERSION} to ${CODEC_VERSION}); upgrade the older peer`);
  }
  const bodyEnd = bytes.length - TRAILER_BYTES;
  const expected = (bytes[bodyEnd]! | (bytes[bodyEnd + 1]! << 8) | (bytes[bodyEnd + 2]! << 16) | (bytes[bodyEnd + 3]! << 24)) >>> 0;
  if (crc32(bytes, 0, bodyEnd) !== expected) throw new SyncError('E_DECODE', 'cannot decode message: checksum mismatch (corrupted in transit)');
  const r = new ByteReader(bytes, HEADER_BYTES, bodyEnd);
  const type = bytes[2];
  let message: SyncMessage;
  switch (type) {
    case TYPE_CODES.hello: {
      const protocol = r.varint();
      const epoch = r.varint();
      const peer = r.string();
      const space = r.string();
      message = { type: 'hello', protocol, epoch, peer, space, vv: readVersionVector(r, limits.maxVectorRanges) };
      break;
    }
    case TYPE_CODES.ops: {
      const epoch = r.varint();
      const n = r.varint();
      message = { type: 'ops', epoch, n, ops: readOperations(r, limits, version >= 2) };
      break;
    }
    case TYPE_CODES.covered: {
      const epoch = r.varint();
      const n = r.varint();
      message = { type: 'covered', epoch, n, vv: readVersionVector(r, limits.maxVectorRanges) };
      break;
    }
    case TYPE_CODES.ack:
      message = { type: 'ack', vv: readVersionVector(r, limits.maxVectorRanges) };
      break;
    case TYPE_CODES.stable: {
      const vv = readVersionVector(r, limits.maxVectorRanges);
      const hasReply = r.u8();
      if (hasReply > 1) r.fail('unknown stable flags');
      if (hasReply === 0) message = { type: 'stable', vv };
      else {
        const epoch = r.varint();
        const n = r.varint();
        message = { type: 'stable', vv, reply: { epoch, n, covered: readVersionVector(r, limits.maxVectorRanges) } };
      }
      break;
    }
    case TYPE_CODES.error: {
      const code = r.string();
      const text = r.string();
      const count = r.count(2);
      const opIds: OpId[] = [];
      for (let i = 0; i < count; i++) {
        const origin = r.string();
        opIds.push({ origin, seq: r.varint() });
      }
      message = count > 0 ? { type: 'error', code, message: text, opIds } : { type: 'error', code, message: text };
      break;
    }
    case TYPE_CODES['digest-request']: {
      const id = r.varint();
      const flags = r.u8();
      if (flags > 1) r.fail('unknown digest request flags');
      message = { type: 'digest-request', id, leaves: flags === 1 };
      break;
    }
    case TYPE_CODES.digest: {
      const id = r.varint();
      const root = readHash(r);
      const count = r.varint();
      const bucketCount = r.count(8);
      const buckets: string[] = [];
      for (let i = 0; i < bucketCount; i++) buckets.push(readHash(r));
      const hasLeaves = r.u8();
      if (hasLeaves > 1) r.fail('unknown digest flags');
      if (hasLeaves === 0) message = { type: 'digest', id, root, count, buckets };
      else {
        const leafCount = r.count(3);
        const leaves: Array<{ collection: string; key: string; winner: string }> = [];
        for (let i = 0; i < leafCount; i++) leaves.push({ collection: r.string(), key: r.string(), winner: r.string() });
        message = { type: 'digest', id, root, count, buckets, leaves };
      }
      break;
    }
    default:
      throw new SyncError('E_DECODE', `cannot decode message: unknown message type ${String(type)}`);
  }
  if (r.remaining !== 0) r.fail(`${r.remaining} unexpected trailing bytes`);
  return message;
}

/**
 * Encodes an `ops` message around a batch already encoded with
 * {@link encodeOperations} — so that one batch sent to many peers is encoded
 * once (only the header and the checksum differ).
 *
 * @param typed - whether the batch needs format version 2 ({@link needsCodecV2}: typed operations or dependencies)
 */
export function encodeOpsMessage(epoch: number, n: number, batch: Uint8Array, typed = false): Uint8Array {
  const w = shared;
  w.pos = 0;
  try {
    w.u8(MESSAGE_MAGIC);
    w.u8(typed ? 2 : 1);
    w.u8(TYPE_CODES.ops);
    w.varint(epoch);
    w.varint(n);
    w.bytes(batch);
    w.u32le(crc32(w.buf, 0, w.pos));
    return take(w);
  } catch (error) {
    w.pos = 0;
    throw error;
  }
}

/**
 * Encodes operations as a standalone batch (the body of an `ops` message,
 * without header or checksum), e.g. for storage.
 */
export function encodeOperations(ops: readonly Operation[]): Uint8Array {
  const w = shared;
  w.pos = 0;
  try {
    writeOperations(w, ops);
    return take(w);
  } catch (error) {
    w.pos = 0;
    throw error;
  }
}

/**
 * Decodes a batch made by {@link encodeOperations}.
 *
 * @throws SyncError `E_DECODE` when malformed
 */
export function decodeOperations(bytes: Uint8Array, options: DecodeOptions = {}): Operation[] {
  const r = new ByteReader(bytes);
  const ops = readOperations(r, options.limits ?? { ...DEFAULT_LIMITS, maxBatchOps: Number.MAX_SAFE_INTEGER });
  if (r.remaining !== 0) r.fail(`${r.remaining} unexpected trailing bytes`);
  return ops;
}

/** Encodes a version vector alone (as inside messages). */
export function encodeVersionVector(vv: VersionVector): Uint8Array {
  const w = new ByteWriter(64);
  writeVersionVector(w, vv);
  return w.finish();
}

/**
 * Decodes a version vector made by {@link encodeVersionVector}.
 *
 * @throws SyncError `E_DECODE` when malformed
 */
export function decodeVersionVector(bytes: Uint8Array): VersionVector {
  const r = new ByteReader(bytes);
  const vv = readVersionVector(r);
  if (r.remaining !== 0) r.fail(`${r.remaining} unexpected trailing bytes`);
  return vv;
}

/**
 * An upper bound of the bytes `op` adds to an encoded batch, for sizing batches.
 *
 * @param op - a valid operation
 * @param valueBytes - its value's encoded size, if known (from validation)
 */
export function operationSize(op: Operation, valueBytes?: number): number {
  // flags + origin index + seq delta + wall delta + counter + collection index: at most 1+3+8+8+3+3.
  // A shared key prefix or a shaped value is never larger than the plain form counted here.
  const keyBytes = op.key.length * 3;
  let size = 26 + varintSize(keyBytes) + keyBytes;
  if (op.kind === 'put') size += (op.type === undefined ? 0 : 1) + (valueBytes ?? approximateValueSize(op.value));
  if (op.deps !== undefined) {
    // extension byte, count, and per origin an index (≤ 3 bytes) and a seq (≤ 8)
    size += 2 + 11 * Object.keys(op.deps).length;
  }
  return size;
}

function approximateValueSize(value: unknown): number {
  // Cheap upper bound without walking twice: strings at 3 bytes per code unit.
  switch (typeof value) {
    case 'string':
      return 9 + value.length * 3;
    case 'number':
      return 9;
    case 'object': {
      if (value === null) return 1;
      let size = 9;
      if (Array.isArray(value)) for (const item of value) size += approximateValueSize(item);
      else for (const [key, item] of Object.entries(value)) size += 9 + key.length * 3 + approximateValueSize(item);
      return size;
    }
    default:
      return 1;
  }
}

/**
 * Whether any of `ops` needs format version 2: a typed put (a merge policy
 * other than LWW) or an operation with dependencies (a causal space).
 */
export function needsCodecV2(ops: readonly Operation[]): boolean {
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.deps !== undefined || (op.kind === 'put' && op.type !== undefined)) return true;
  }
  return false;
}

/** @internal */
export function writeOperations(w: ByteWriter, ops: readonly Operation[]): void {
  const origins = new Map<string, number>();
  const collections = new Map<string, number>();
  let withDeps = false;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (!origins.has(op.origin)) origins.set(op.origin, origins.size);
    if (!collections.has(op.collection)) collections.set(op.collection, collections.size);
    if (op.deps !== undefined) withDeps = true;
  }
  if (withDeps) {
    // Dependencies name origins by index too: every origin they name joins the table.
    for (let i = 0; i < ops.length; i++) {
      const deps = ops[i]!.deps;
      if (deps !== undefined) for (const origin of Object.keys(deps).sort()) if (!origins.has(origin)) origins.set(origin, origins.size);
    }
  }
  const lastDeps: Array<Dependencies | undefined> = withDeps ? new Array<Dependencies | undefined>(origins.size) : [];
  w.varint(origins.size);
  for (const origin of origins.keys()) w.string(origin);
  w.varint(collections.size);
  for (const collection of collections.keys()) w.string(collection);
  w.varint(ops.length);
  const lastSeq: number[] = new Array<number>(origins.size).fill(0);
  const shapes = new ShapeWriter();
  let lastWall = 0;
  let lastOrigin = -1;
  let lastCollection = -1;
  let lastKey = '';
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.hlc.peer !== op.origin) {
      throw new SyncError('E_INVALID_OP', `cannot encode op ${op.origin}:${op.seq}: its hlc names another peer (validate ops before encoding)`);
    }
    const originIndex = origins.get(op.origin)!;
    const collectionIndex = collections.get(op.collection)!;
    const previousSeq = lastSeq[originIndex]!;
    const down = op.seq < previousSeq;
    const key = op.key;
    const prefix = i === 0 ? 0 : sharedPrefix(lastKey, key, shapes.budget);
    const wall = op.hlc.wall;
    let wallFlag = 0;
    let wallDelta = 0;
    if (Object.is(wall, lastWall)) wallFlag = FLAG_SAME_WALL;
    else {
      wallDelta = wall - lastWall;
      // The decoder computes lastWall + delta: use the delta only when that gives back this wall exactly.
      if (!Number.isSafeInteger(wallDelta) || wallDelta > MAX_WALL_DELTA || wallDelta < -MAX_WALL_DELTA || !Object.is(lastWall + wallDelta, wall)) {
        wallFlag = FLAG_WALL_F64;
      }
    }
    const typeCode = op.kind === 'put' && op.type !== undefined ? OPERATION_TYPES.indexOf(op.type) + 1 : 0;
    if (typeCode < 0) throw new SyncError('E_POLICY', `cannot encode op ${op.origin}:${op.seq}: unknown merge policy (validate ops before encoding)`);
    const deps = op.deps;
    let ext = typeCode;
    if (deps !== undefined) ext |= sameDependencies(deps, lastDeps[originIndex]) ? EXT_SAME_DEPS : EXT_DEPS;
    w.u8(
      (op.kind === 'del' ? FLAG_DELETE : 0) |
        (ext !== 0 ? FLAG_EXT : 0) |
        (down ? FLAG_SEQ_DOWN : 0) |
        (prefix > 0 ? FLAG_KEY_PREFIX : 0) |
        (originIndex === lastOrigin ? FLAG_SAME_ORIGIN : 0) |
        (collectionIndex === lastCollection ? FLAG_SAME_COLLECTION : 0) |
        wallFlag,
    );
    if (originIndex !== lastOrigin) w.varint(originIndex);
    w.varint(down ? previousSeq - op.seq : op.seq - previousSeq);
    lastSeq[originIndex] = op.seq;
    if (wallFlag === 0) w.zigzag(wallDelta);
    else if (wallFlag === FLAG_WALL_F64) w.f64(wall);
    lastWall = wall;
    w.varint(op.hlc.counter);
    if (collectionIndex !== lastCollection) w.varint(collectionIndex);
    if (prefix > 0) {
      shapes.budget -= prefix;
      w.varint(prefix);
      w.string(key.slice(prefix));
    } else w.string(key);
    lastOrigin = originIndex;
    lastCollection = collectionIndex;
    lastKey = key;
    if (ext !== 0) {
      w.u8(ext);
      if (ext & EXT_DEPS) {
        // In origin order, so that an operation has one encoding whatever the order its object was built in.
        const entries = Object.keys(deps!).sort();
        w.varint(entries.length);
        for (const origin of entries) {
          w.varint(origins.get(origin)!);
          w.varint(deps![origin]!);
        }
      }
      if (deps !== undefined) lastDeps[originIndex] = deps;
    }
    if (op.kind === 'put') writeValue(w, op.value, shapes);
  }
}

/**
 * Length in UTF-16 units of the prefix `key` may take from `previous`: 0
 * below {@link MIN_KEY_PREFIX} or over `budget`, and never ending inside a
 * surrogate pair (the rest is written as UTF-8, which cannot carry half a pair).
 */
function sharedPrefix(previous: string, key: string, budget: number): number {
  const max = Math.min(previous.length, key.length);
  let n = 0;
  while (n < max && previous.charCodeAt(n) === key.charCodeAt(n)) n++;
  if (n > 0 && n < key.length) {
    const last = key.charCodeAt(n - 1);
    const next = key.charCodeAt(n);
    if (last >= 0xd800 && last <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) n--;
  }
  return n >= MIN_KEY_PREFIX && n <= budget ? n : 0;
}

/**
 * @param typed - whether typed operations may appear (format version 2; standalone batches)
 * @internal
 */
export function readOperations(r: ByteReader, limits: Limits, typed = true): Operation[] {
  const originCount = r.count(2);
  const origins: string[] = new Array<string>(originCount);
  for (let i = 0; i < originCount; i++) origins[i] = r.string();
  const collectionCount = r.count(2);
  const collections: string[] = new Array<string>(collectionCount);
  for (let i = 0; i < collectionCount; i++) collections[i] = r.string();
  // Each operation takes at least 4 bytes: flags, seq delta, counter, key (same origin, collection and wall; a delete).
  const count = r.count(4);
  if (count > limits.maxBatchOps) throw new SyncError('E_TOO_LARGE', `batch of ${count} operations exceeds maxBatchOps ${limits.maxBatchOps}`);
  const ops: Operation[] = new Array<Operation>(count);
  const lastSeq: number[] = new Array<number>(originCount).fill(0);
  const shapes = new ShapeReader();
  let lastWall = 0;
  let originIndex = -1;
  let collectionIndex = -1;
  let lastKey = '';
  let lastDeps: Array<Dependencies | undefined> | undefined;
  for (let i = 0; i < count; i++) {
    const flags = r.u8();
    if ((flags & ~KNOWN_FLAGS) !== 0) r.fail(`unknown operation flags 0x${flags.toString(16)}`);
    if (flags & FLAG_SAME_ORIGIN) {
      if (i === 0) r.fail('the first operation cannot have the origin of the previous one');
    } else originIndex = r.varint();
    const origin = origins[originIndex];
    if (origin === undefined) r.fail(`origin index ${originIndex} out of range`);
    const seqDelta = r.varint();
    const seq = flags & FLAG_SEQ_DOWN ? lastSeq[originIndex]! - seqDelta : lastSeq[originIndex]! + seqDelta;
    lastSeq[originIndex] = seq;
    let wall: number;
    if (flags & FLAG_SAME_WALL) {
      if (flags & FLAG_WALL_F64) r.fail('operation flags name two wall encodings');
      wall = lastWall;
    } else if (flags & FLAG_WALL_F64) wall = r.f64();
    else wall = lastWall + r.zigzag();
    lastWall = wall;
    const counter = r.varint();
    if (flags & FLAG_SAME_COLLECTION) {
      if (i === 0) r.fail('the first operation cannot have the collection of the previous one');
    } else collectionIndex = r.varint();
    const collection = collections[collectionIndex];
    if (collection === undefined) r.fail(`collection index ${collectionIndex} out of range`);
    let key: string;
    if (flags & FLAG_KEY_PREFIX) {
      if (i === 0) r.fail('the first operation cannot share a key prefix');
      const prefix = r.varint();
      if (prefix > lastKey.length) r.fail(`key prefix of ${prefix} exceeds the previous key's length ${lastKey.length}`);
      if (prefix > shapes.budget) r.fail('shapes and key prefixes expand beyond the batch limit');
      shapes.budget -= prefix;
      key = lastKey.slice(0, prefix) + r.string();
    } else key = r.string();
    lastKey = key;
    const hlc = { wall, counter, peer: origin };
    if (flags & FLAG_EXT) {
      if (!typed) r.fail('an extended operation (typed, or with dependencies) in a format version 1 batch');
      const ext = r.u8();
      if ((ext & ~KNOWN_EXT) !== 0) r.fail(`unknown operation extension bits 0x${ext.toString(16)}: upgrade this peer`);
      if ((ext & EXT_DEPS) !== 0 && (ext & EXT_SAME_DEPS) !== 0) r.fail('operation extension names two dependency encodings');
      const code = ext & EXT_POLICY_MASK;
      if (ext === 0) r.fail('an empty operation extension');
      let type: OperationType | undefined;
      if (code !== 0) {
        if (flags & FLAG_DELETE) r.fail('a delete cannot be typed');
        type = OPERATION_TYPES[code - 1];
        if (type === undefined) r.fail(`unknown merge policy code ${code} (this build knows ${OPERATION_TYPES.length}): upgrade this peer`);
      }
      let deps: Dependencies | undefined;
      lastDeps ??= new Array<Dependencies | undefined>(originCount);
      if (ext & EXT_DEPS) {
        const n = r.count(2);
        const read: Record<string, number> = {};
        for (let j = 0; j < n; j++) {
          const depOrigin = origins[r.varint()];
          if (depOrigin === undefined) r.fail('dependency origin index out of range');
          if (Object.prototype.hasOwnProperty.call(read, depOrigin)) r.fail(`dependencies name origin ${depOrigin} twice`);
          Object.defineProperty(read, depOrigin, { value: r.varint(), enumerable: true, writable: true, configurable: true });
        }
        deps = read;
        lastDeps[originIndex] = deps;
      } else if (ext & EXT_SAME_DEPS) {
        deps = lastDeps[originIndex];
        if (deps === undefined) r.fail('same dependencies as a previous operation of this origin, but there is none');
      }
      const base = deps === undefined ? { origin, seq, hlc, collection, key } : { origin, seq, hlc, collection, key, deps };
      if (flags & FLAG_DELETE) ops[i] = { ...base, kind: 'del' };
      else {
        const value = readValue(r, 0, shapes);
        ops[i] = type === undefined ? { ...base, kind: 'put', value } : { ...base, kind: 'put', type, value };
      }
    } else {
      ops[i] =
        flags & FLAG_DELETE
          ? { origin, seq, hlc, collection, key, kind: 'del' }
          : { origin, seq, hlc, collection, key, kind: 'put', value: readValue(r, 0, shapes) };
    }
  }
  return ops;
}

/** @internal */
export function writeVersionVector(w: ByteWriter, vv: VersionVector): void {
  const entries = [...vv.entries()];
  w.varint(entries.length);
  for (const [origin, list] of entries) {
    w.string(origin);
    w.varint(list.length / 2);
    let previous = 0;
    for (let i = 0; i < list.length; i += 2) {
      w.varint(list[i]! - previous);
      w.varint(list[i + 1]! - list[i]!);
      previous = list[i + 1]!;
    }
  }
}

/**
 * @param maxRanges - most ranges over all origins; more is `E_TOO_LARGE` (protocol messages; storage passes none)
 * @internal
 */
export function readVersionVector(r: ByteReader, maxRanges = Number.POSITIVE_INFINITY): VersionVector {
  const vv = new VersionVector();
  const count = r.count(3);
  const seen = new Set<string>();
  let total = 0;
  for (let i = 0; i < count; i++) {
    const origin = r.string();
    if (!isPeerId(origin)) r.fail(`version vector origin ${JSON.stringify(String(origin).slice(0, 70))} is not a peer id`);
    if (seen.has(origin)) r.fail(`version vector lists origin ${origin} twice`);
    seen.add(origin);
    const ranges = r.count(2);
    total += ranges;
    if (total > maxRanges) {
      throw new SyncError('E_TOO_LARGE', `a version vector with more than ${maxRanges} seq ranges (maxVectorRanges): honest vectors are contiguous but for rare gaps`);
    }
    let previous = 0;
    for (let j = 0; j < ranges; j++) {
      const gap = r.varint();
      // The first range starts at >= 1; later ones leave at least one seq out.
      if (gap < (j === 0 ? 1 : 2)) r.fail('version vector ranges overlap or touch');
      const from = previous + gap;
      const to = from + r.varint();
      if (!Number.isSafeInteger(to)) r.fail('version vector seq above 2^53');
      vv.addRange(origin, from, to);
      previous = to;
    }
    if (ranges === 0) r.fail(`version vector origin ${origin} has no ranges`);
  }
  return vv;
}

/** A 64-bit hash given as 16 hex digits, as 8 bytes. */
function writeHash(w: ByteWriter, hex: string): void {
  if (!HASH.test(hex)) throw new SyncError('E_INVALID_ARGUMENT', `a digest hash must be 16 lower-case hex digits, got ${JSON.stringify(hex.slice(0, 20))}`);
  for (let i = 0; i < 16; i += 2) w.u8(Number.parseInt(hex.slice(i, i + 2), 16));
}

function readHash(r: ByteReader): string {
  let out = '';
  for (let i = 0; i < 8; i++) out += r.u8().toString(16).padStart(2, '0');
  return out;
}
