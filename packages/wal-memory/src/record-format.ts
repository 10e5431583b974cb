import {
  SyncError,
  VersionVector,
  crc32,
  decodeOperations,
  decodeVersionVector,
  encodeOperations,
  encodeVersionVector,
  isSyncError,
  type WalRecord,
  type WalSnapshot,
} from '@softadastra/sync-core';

/**
 * The byte format of stored records and snapshots (specified in the README).
 *
 * @remarks
 * A frame is `[u32le payload length][u32le CRC-32 of payload][payload]`. The
 * payload is `[u8 version][u8 kind][u8 flags]` followed by length-prefixed
 * sections: the operations (core's `encodeOperations`), then the version
 * vector (core's `encodeVersionVector`) when flag 0x01 is set, then the
 * metadata when flag 0x02 is set. All lengths are u32le.
 */

/** Bytes of a frame before its payload: the length and the checksum. */
export const FRAME_HEADER_BYTES = 8;
/** The payload format version written by this package. */
export const RECORD_FORMAT_VERSION = 1;

const KIND_RECORD = 1;
const KIND_SNAPSHOT = 2;
const FLAG_VV = 0x01;
const FLAG_META = 0x02;
const KNOWN_FLAGS = FLAG_VV | FLAG_META;
// version, kind, flags
const PAYLOAD_HEADER_BYTES = 3;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
// A lone surrogate would not survive UTF-8: refuse it rather than store another string.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Encodes a {@link WalRecord} as one frame.
 *
 * @throws SyncError `E_INVALID_OP` for an operation the codec refuses, `E_INVALID_ARGUMENT` for bad metadata
 */
export function encodeRecordFrame(record: WalRecord): Uint8Array {
  return encodeFrame(KIND_RECORD, record.ops, record.covered, record.meta);
}

/**
 * Encodes a {@link WalSnapshot} as one frame.
 *
 * @throws SyncError `E_INVALID_OP` for an operation the codec refuses, `E_INVALID_ARGUMENT` for a bad vector or metadata
 */
export function encodeSnapshotFrame(snapshot: WalSnapshot): Uint8Array {
  if (!(snapshot.vv instanceof VersionVector)) {
    throw new SyncError('E_INVALID_ARGUMENT', 'a snapshot needs its version vector in `vv` (a VersionVector)');
  }
  if (snapshot.meta === undefined) throw new SyncError('E_INVALID_ARGUMENT', 'a snapshot needs its metadata in `meta` (use {} for none)');
  return encodeFrame(KIND_SNAPSHOT, snapshot.ops, snapshot.vv, snapshot.meta);
}

/**
 * Decodes a frame made by {@link encodeRecordFrame}.
 *
 * @throws SyncError `E_DECODE` saying what is wrong: incomplete, checksum, or malformed payload
 */
export function decodeRecordFrame(frame: Uint8Array): WalRecord {
  const { ops, vv, meta } = decodePayload(checkFrame(frame), KIND_RECORD);
  return {
    ops,
    ...(vv === undefined ? {} : { covered: vv }),
    ...(meta === undefined ? {} : { meta }),
  };
}

/**
 * Decodes a frame made by {@link encodeSnapshotFrame}.
 *
 * @throws SyncError `E_DECODE` saying what is wrong
 */
export function decodeSnapshotFrame(frame: Uint8Array): WalSnapshot {
  const { ops, vv, meta } = decodePayload(checkFrame(frame), KIND_SNAPSHOT);
  if (vv === undefined || meta === undefined) throw new SyncError('E_DECODE', 'snapshot lacks its version vector or metadata');
  return { ops, vv, meta };
}

function encodeFrame(
  kind: number,
  ops: WalRecord['ops'],
  vv: VersionVector | undefined,
  meta: Readonly<Record<string, string>> | undefined,
): Uint8Array {
  if (!Array.isArray(ops)) throw new SyncError('E_INVALID_ARGUMENT', '`ops` must be an array of operations');
  const sections: Uint8Array[] = [encodeOperations(ops)];
  let flags = 0;
  if (vv !== undefined) {
    if (!(vv instanceof VersionVector)) throw new SyncError('E_INVALID_ARGUMENT', '`covered` must be a VersionVector');
    flags |= FLAG_VV;
    sections.push(encodeVersionVector(vv));
  }
  if (meta !== undefined) {
    flags |= FLAG_META;
    sections.push(encodeMeta(meta));
  }
  let payloadLength = PAYLOAD_HEADER_BYTES;
  for (const section of sections) payloadLength += 4 + section.length;
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payloadLength);
  const view = new DataView(frame.buffer);
  let pos = FRAME_HEADER_BYTES;
  frame[pos++] = RECORD_FORMAT_VERSION;
  frame[pos++] = kind;
  frame[pos++] = flags;
  for (const section of sections) {
    view.setUint32(pos, section.length, true);
    frame.set(section, pos + 4);
    pos += 4 + section.length;
  }
  view.setUint32(0, payloadLength, true);
  view.setUint32(4, crc32(frame, FRAME_HEADER_BYTES), true);
  return frame;
}

// The metadata section's body (its own length prefix is added by the frame):
// u32le count, then count × (u32le length, UTF-8 key, u32le length, UTF-8 value).
function encodeMeta(meta: Readonly<Record<string, string>>): Uint8Array {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw new SyncError('E_INVALID_ARGUMENT', '`meta` must be an object of string values');
  }
  const parts: Uint8Array[] = [];
  let length = 4;
  const keys = Object.keys(meta);
  for (const key of keys) {
    const value: unknown = meta[key];
    if (typeof value !== 'string') {
      throw new SyncError('E_INVALID_ARGUMENT', `meta ${JSON.stringify(key)} must be a string, got ${typeof value}`);
    }
    for (const text of [key, value]) {
      if (LONE_SURROGATE.test(text)) {
        throw new SyncError('E_INVALID_ARGUMENT', `meta ${JSON.stringify(key)} holds a lone surrogate, which UTF-8 cannot store`);
      }
      const bytes = utf8Encoder.encode(text);
      parts.push(bytes);
      length += 4 + bytes.length;
    }
  }
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  view.setUint32(0, keys.length, true);
  let pos = 4;
  for (const part of parts) {
    view.setUint32(pos, part.length, true);
    out.set(part, pos + 4);
    pos += 4 + part.length;
  }
  return out;
}

function checkFrame(frame: Uint8Array): Uint8Array {
  if (frame.length < FRAME_HEADER_BYTES) {
    throw new SyncError('E_DECODE', `incomplete frame: ${frame.length} bytes, shorter than its ${FRAME_HEADER_BYTES}-byte header`);
  }
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const declared = view.getUint32(0, true);
  const actual = frame.length - FRAME_HEADER_BYTES;
  if (declared !== actual) {
    throw new SyncError(
      'E_DECODE',
      declared > actual ? `incomplete frame: ${actual} of ${declared} payload bytes` : `frame holds ${actual} payload bytes, ${declared} declared`,
    );
  }
  const expected = view.getUint32(4, true);
  const crc = crc32(frame, FRAME_HEADER_BYTES);
  if (crc !== expected) {
    throw new SyncError('E_DECODE', `checksum mismatch: stored 0x${hex(expected)}, computed 0x${hex(crc)}`);
  }
  return frame.subarray(FRAME_HEADER_BYTES);
}

function decodePayload(
  payload: Uint8Array,
  kind: number,
): { ops: WalRecord['ops']; vv: VersionVector | undefined; meta: Readonly<Record<string, string>> | undefined } {
  const r = new Reader(payload);
  const version = r.u8();
  if (version !== RECORD_FORMAT_VERSION) r.fail(`unknown format version ${version}`);
  const actualKind = r.u8();
  if (actualKind !== kind) r.fail(`expected a ${kindName(kind)}, found a ${kindName(actualKind)}`);
  const flags = r.u8();
  if ((flags & ~KNOWN_FLAGS) !== 0) r.fail(`unknown flags 0x${flags.toString(16)}`);
  const ops = guard('operations', () => decodeOperations(r.section()));
  const vv = flags & FLAG_VV ? guard('version vector', () => decodeVersionVector(r.section())) : undefined;
  const meta = flags & FLAG_META ? decodeMeta(new Reader(r.section())) : undefined;
  r.end();
  return { ops, vv, meta };
}

function decodeMeta(r: Reader): Readonly<Record<string, string>> {
  const count = r.u32();
  // Each entry takes at least 8 bytes: refuse a count the bytes cannot hold before allocating.
  if (count * 8 > r.remaining) r.fail(`metadata count ${count} exceeds the bytes left`);
  const entries: [string, string][] = [];
  for (let i = 0; i < count; i++) entries.push([r.text(), r.text()]);
  r.end();
  // fromEntries defines own properties, so a "__proto__" key stays a plain key.
  return Object.fromEntries(entries);
}

function guard<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (isSyncError(error)) throw new SyncError('E_DECODE', `malformed ${what}: ${error.message}`, { cause: error });
    throw error;
  }
}

class Reader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #pos = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.#bytes.length - this.#pos;
  }

  fail(reason: string): never {
    throw new SyncError('E_DECODE', `${reason} (payload byte ${this.#pos})`);
  }

  u8(): number {
    if (this.remaining < 1) this.fail('unexpected end of payload');
    return this.#bytes[this.#pos++]!;
  }

  u32(): number {
    if (this.remaining < 4) this.fail('unexpected end of payload');
    const value = this.#view.getUint32(this.#pos, true);
    this.#pos += 4;
    return value;
  }

  section(): Uint8Array {
    const length = this.u32();
    if (length > this.remaining) this.fail(`section of ${length} bytes exceeds the ${this.remaining} bytes left`);
    const out = this.#bytes.subarray(this.#pos, this.#pos + length);
    this.#pos += length;
    return out;
  }

  text(): string {
    const bytes = this.section();
    try {
      return utf8Decoder.decode(bytes);
    } catch (error) {
      throw new SyncError('E_DECODE', 'metadata is not valid UTF-8', { cause: error });
    }
  }

  end(): void {
    if (this.remaining !== 0) this.fail(`${this.remaining} unexpected trailing bytes`);
  }
}

function kindName(kind: number): string {
  if (kind === KIND_RECORD) return 'record';
  if (kind === KIND_SNAPSHOT) return 'snapshot';
  return `kind ${kind}`;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
