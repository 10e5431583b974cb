import { ByteReader, ByteWriter, utf8Length } from './bytes.js';
import { needsCodecV2, readOperations, readVersionVector, writeOperations, writeVersionVector } from './codec.js';
import { SyncError } from './errors.js';
import { DEFAULT_LIMITS } from './limits.js';
import type { VersionVector } from './version-vector.js';
import type { WalRecord, WalSnapshot } from './wal.js';

/**
 * The byte form of WAL records and snapshots, shared by the storage adapters
 * (each adds its own framing: lengths, checksums, files or rows).
 *
 * ```
 * u8 version (1 or 2) · u8 kind (1 record, 2 snapshot) · u8 flags (0x01 vector, 0x02 meta)
 * operations     — a batch, as in protocol messages
 * vector         — when flag 0x01: the record's `covered` or the snapshot's `vv`
 * meta           — when flag 0x02: varint count, then (string key, string value) pairs
 * ```
 *
 * Every section delimits itself; nothing may follow the last one. Version 2
 * adds typed operations (merge policies other than LWW); a record or snapshot
 * is written in the lowest version that can hold it, so a log of LWW writes
 * stays readable by older builds, and this build reads both.
 */

/** Newest version of the WAL payload format. */
export const WAL_FORMAT_VERSION = 2;
/** The oldest WAL payload format version this build reads. */
export const MIN_WAL_FORMAT_VERSION = 1;

const KIND_RECORD = 1;
const KIND_SNAPSHOT = 2;
const FLAG_VV = 0x01;
const FLAG_META = 0x02;
const NO_LIMITS = { ...DEFAULT_LIMITS, maxBatchOps: Number.MAX_SAFE_INTEGER };

const writer = new ByteWriter(64 * 1024);

/**
 * Encodes a WAL record.
 *
 * @throws SyncError `E_INVALID_OP` for an operation the codec cannot encode,
 * `E_INVALID_ARGUMENT` for metadata that is not well-formed strings
 */
export function encodeWalRecord(record: WalRecord): Uint8Array {
  return encode(KIND_RECORD, record.ops, record.covered, record.meta);
}

/** Encodes a WAL snapshot. */
export function encodeWalSnapshot(snapshot: WalSnapshot): Uint8Array {
  return encode(KIND_SNAPSHOT, snapshot.ops, snapshot.vv, snapshot.meta);
}

/**
 * Decodes a WAL record made by {@link encodeWalRecord}.
 *
 * @throws SyncError `E_DECODE` when malformed
 */
export function decodeWalRecord(bytes: Uint8Array): WalRecord {
  const { ops, vv, meta } = decode(bytes, KIND_RECORD);
  return { ops, ...(vv === undefined ? {} : { covered: vv }), ...(meta === undefined ? {} : { meta }) };
}

/**
 * Decodes a WAL snapshot made by {@link encodeWalSnapshot}.
 *
 * @throws SyncError `E_DECODE` when malformed
 */
export function decodeWalSnapshot(bytes: Uint8Array): WalSnapshot {
  const { ops, vv, meta } = decode(bytes, KIND_SNAPSHOT);
  if (vv === undefined) throw new SyncError('E_DECODE', 'cannot decode WAL snapshot: it has no version vector');
  return { ops, vv, meta: meta ?? {} };
}

function encode(kind: number, ops: WalRecord['ops'], vv: VersionVector | undefined, meta: Readonly<Record<string, string>> | undefined): Uint8Array {
  const w = writer;
  w.pos = 0;
  try {
    w.u8(needsCodecV2(ops) ? 2 : 1);
    w.u8(kind);
    w.u8((vv !== undefined ? FLAG_VV : 0) | (meta !== undefined ? FLAG_META : 0));
    writeOperations(w, ops);
    if (vv !== undefined) writeVersionVector(w, vv);
    if (meta !== undefined) {
      const keys = Object.keys(meta);
      w.varint(keys.length);
      for (const key of keys) {
        const value: unknown = meta[key];
        if (typeof value !== 'string' || utf8Length(value) < 0 || utf8Length(key) < 0) {
          throw new SyncError('E_INVALID_ARGUMENT', `WAL meta ${JSON.stringify(key)} must be a well-formed string, got ${typeof value}`);
        }
        w.string(key);
        w.string(value);
      }
    }
    const out = w.finish();
    if (w.buf.length > 4 * 1024 * 1024) w.buf = new Uint8Array(64 * 1024);
    return out;
  } finally {
    w.pos = 0;
  }
}

function decode(bytes: Uint8Array, kind: number): { ops: WalRecord['ops']; vv: VersionVector | undefined; meta: Record<string, string> | undefined } {
  const r = new ByteReader(bytes, 0, bytes.length, kind === KIND_RECORD ? 'WAL record' : 'WAL snapshot');
  const version = r.u8();
  if (version < MIN_WAL_FORMAT_VERSION || version > WAL_FORMAT_VERSION) {
    r.fail(`WAL format version ${version} is not supported (this build reads ${MIN_WAL_FORMAT_VERSION} to ${WAL_FORMAT_VERSION}): open it with a newer build`);
  }
  const actualKind = r.u8();
  if (actualKind !== kind) r.fail(`expected a WAL ${kind === KIND_RECORD ? 'record' : 'snapshot'}, found kind ${actualKind}`);
  const flags = r.u8();
  if ((flags & ~(FLAG_VV | FLAG_META)) !== 0) r.fail(`unknown WAL flags 0x${flags.toString(16)}`);
  const ops = readOperations(r, NO_LIMITS, version >= 2);
  const vv = flags & FLAG_VV ? readVersionVector(r) : undefined;
  let meta: Record<string, string> | undefined;
  if (flags & FLAG_META) {
    meta = {};
    const count = r.count(2);
    for (let i = 0; i < count; i++) {
      const key = r.string();
      const value = r.string();
      Object.defineProperty(meta, key, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  if (r.remaining !== 0) r.fail(`${r.remaining} unexpected trailing bytes`);
  return { ops, vv, meta };
}
