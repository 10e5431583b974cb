import { crc32, decodeWalRecord, decodeWalSnapshot, type WalRecord, type WalSnapshot } from '@softadastra/sync-core';

/**
 * How records and the snapshot are stored in the database: core's WAL codec
 * (`encodeWalRecord`, `encodeWalSnapshot`) for the bytes, framed by a row
 * that adds a CRC-32, as the SQLite adapter does.
 *
 * ```
 * object store "records"  key: seq (1, 2, 3 …, contiguous)   value: { crc, bytes }
 * object store "state"    key: "format"                      value: { format: 'softadastra-wal', version: 1 }
 *                         key: "snapshot"                    value: { crc, after, bytes }
 * ```
 *
 * `crc` covers the key (`seq`, or `after` for the snapshot: the seq of the last
 * record it replaced) and then the bytes, so that a row moved to another key
 * is refused as well as a flipped bit. IndexedDB commits a transaction whole
 * and the browser's store checksums its own pages, but not every engine does
 * and nothing checks a value against what was written: a stored record that
 * no longer decodes to what was appended must be refused, not replayed.
 */

/** The object store of the records, keyed by seq. */
export const RECORDS = 'records';
/** The object store of the format marker and the snapshot. */
export const STATE = 'state';
/** The key of the format marker in {@link STATE}. */
export const FORMAT_KEY = 'format';
/** The key of the snapshot in {@link STATE}. */
export const SNAPSHOT_KEY = 'snapshot';
/** The database version this build creates and reads. */
export const SCHEMA_VERSION = 1;
/** What the format marker holds. */
export const FORMAT_MARKER = Object.freeze({ format: 'softadastra-wal', version: 1 });

/** One stored record. */
export interface RecordRow {
  readonly crc: number;
  readonly bytes: Uint8Array;
}

/** The stored snapshot. */
export interface SnapshotRow {
  readonly crc: number;
  /** The seq of the last record the snapshot replaced (0 when none): records after it start at `after + 1`. */
  readonly after: number;
  readonly bytes: Uint8Array;
}

const keyBytes = new Uint8Array(8);
const keyView = new DataView(keyBytes.buffer);

/** CRC-32 of `key` (as a little-endian float64, exact for every seq) followed by `bytes`. */
export function rowCrc(key: number, bytes: Uint8Array): number {
  keyView.setFloat64(0, key, true);
  return crc32(bytes, 0, bytes.length, crc32(keyBytes));
}

/** The row storing a record's bytes (from `encodeWalRecord`) under `seq`. */
export function recordRow(bytes: Uint8Array, seq: number): RecordRow {
  return { crc: rowCrc(seq, bytes), bytes };
}

/** The row storing a snapshot's bytes (from `encodeWalSnapshot`), which replaces records `1…after`. */
export function snapshotRow(bytes: Uint8Array, after: number): SnapshotRow {
  return { crc: rowCrc(after, bytes), after, bytes };
}

/**
 * What is wrong with a stored record row, or the record.
 *
 * @returns the record, or a string saying why the row is damaged
 */
export function decodeRecordRow(value: unknown, seq: number): WalRecord | string {
  const shape = rowShape(value);
  if (typeof shape === 'string') return shape;
  const computed = rowCrc(seq, shape.bytes);
  if (computed !== shape.crc) return `it fails its checksum (stored 0x${hex(shape.crc)}, computed 0x${hex(computed)})`;
  try {
    return decodeWalRecord(shape.bytes);
  } catch (error) {
    return `it is malformed although its checksum matches (${reason(error)})`;
  }
}

/**
 * The stored snapshot, or a string saying why its row is damaged.
 */
export function decodeSnapshotRow(value: unknown): { readonly snapshot: WalSnapshot; readonly after: number } | string {
  const shape = rowShape(value);
  if (typeof shape === 'string') return shape;
  const after = (value as { after?: unknown }).after;
  if (typeof after !== 'number' || !Number.isSafeInteger(after) || after < 0) return `its "after" is not a seq (${String(after)})`;
  const computed = rowCrc(after, shape.bytes);
  if (computed !== shape.crc) return `it fails its checksum (stored 0x${hex(shape.crc)}, computed 0x${hex(computed)})`;
  try {
    return { snapshot: decodeWalSnapshot(shape.bytes), after };
  } catch (error) {
    return `it is malformed although its checksum matches (${reason(error)})`;
  }
}

function rowShape(value: unknown): RecordRow | string {
  if (typeof value !== 'object' || value === null) return `it is not a row (${value === null ? 'null' : typeof value})`;
  const { crc, bytes } = value as { crc?: unknown; bytes?: unknown };
  if (typeof crc !== 'number' || !Number.isInteger(crc) || crc < 0 || crc > 0xffffffff) return 'its checksum is missing';
  // Not instanceof: a value read in a worker or another realm has that realm's Uint8Array.
  if (Object.prototype.toString.call(bytes) !== '[object Uint8Array]') return 'its bytes are missing';
  return { crc, bytes: bytes as Uint8Array };
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
