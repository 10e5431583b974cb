import {
  SyncError,
  type VersionVector,
  decodeOperations,
  decodeVersionVector,
  encodeOperations,
  encodeVersionVector,
  isSyncError,
  isVersionVector,
  type Operation,
  type WalRecord,
  type WalSnapshot,
} from '@softadastra/sync-core';
import { crc32 } from '@softadastra/sync-core/node';

/**
 * The column values of stored records and snapshots (specified in the
 * README), and their checksums.
 *
 * @remarks
 * A commit (the records of one transaction: a group of concurrent appends)
 * is one row; each record in it keeps its own sections, so it is recovered
 * exactly as it was appended. SQLite keeps a transaction whole, but it does
 * not checksum its pages: a flipped bit inside a BLOB would be read back as a
 * different operation. So each row carries a CRC-32 of its row id, its
 * counts and its bytes, and a row whose CRC does not match is refused as
 * corruption, never skipped.
 */

/** A record as stored: core's binary forms, before the row id and CRC are known. */
export interface EncodedRecord {
  /** `encodeOperations(record.ops)`. */
  readonly ops: Uint8Array;
  /** `encodeVersionVector(record.covered)`, or `null` without one. */
  readonly covered: Uint8Array | null;
  /** The metadata as UTF-8 JSON, or `null` without it. */
  readonly meta: Uint8Array | null;
}

/** A snapshot as stored: its header columns and its operations in parts. */
export interface EncodedSnapshot {
  readonly vv: Uint8Array;
  readonly meta: Uint8Array;
  /** `encodeOperations` of at most {@link SNAPSHOT_PART_OPS} operations each. */
  readonly parts: readonly Uint8Array[];
  /** How many operations the parts hold together. */
  readonly opCount: number;
}

/** Operations per row of `wal_snapshot_ops`: bounds the size of one BLOB. */
export const SNAPSHOT_PART_OPS = 8192;

// Marks an absent (NULL) column in the checksummed header.
const ABSENT = 0xffffffff;
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const header = new Uint8Array(20);
const headerView = new DataView(header.buffer);

/**
 * Encodes a record's columns, checking its shape.
 *
 * @throws SyncError `E_INVALID_OP` for an operation the codec refuses, `E_INVALID_ARGUMENT` for a bad vector or metadata
 */
export function encodeRecord(record: WalRecord): EncodedRecord {
  if (typeof record !== 'object' || record === null) throw new SyncError('E_INVALID_ARGUMENT', 'a record must be an object with `ops`');
  return {
    ops: encodeOps(record.ops),
    covered: record.covered === undefined ? null : encodeVector(record.covered, '`covered`'),
    meta: record.meta === undefined ? null : encodeMeta(record.meta),
  };
}

/**
 * Encodes a snapshot's columns, its operations split into parts.
 *
 * @throws SyncError `E_INVALID_OP` for an operation the codec refuses, `E_INVALID_ARGUMENT` for a bad vector or metadata
 */
export function encodeSnapshot(snapshot: WalSnapshot): EncodedSnapshot {
  if (typeof snapshot !== 'object' || snapshot === null) throw new SyncError('E_INVALID_ARGUMENT', 'a snapshot must be an object with `ops`, `vv` and `meta`');
  if (snapshot.meta === undefined) throw new SyncError('E_INVALID_ARGUMENT', 'a snapshot needs its metadata in `meta` (use {} for none)');
  const ops = snapshot.ops;
  if (!Array.isArray(ops)) throw new SyncError('E_INVALID_ARGUMENT', '`ops` must be an array of operations');
  const parts: Uint8Array[] = [];
  for (let i = 0; i < ops.length; i += SNAPSHOT_PART_OPS) parts.push(encodeOperations(ops.slice(i, i + SNAPSHOT_PART_OPS)));
  return { vv: encodeVector(snapshot.vv, 'a snapshot’s `vv`'), meta: encodeMeta(snapshot.meta), parts, opCount: ops.length };
}

/** Flag of a record in a commit body: a `covered` vector follows its operations. */
const RECORD_COVERED = 0x01;
/** Flag of a record in a commit body: metadata follows. */
const RECORD_META = 0x02;

/**
 * Encodes the records of one commit as the body of one row, in call order:
 * `varint count`, then per record `u8 flags`, `varint length` + operations,
 * and when flagged `varint length` + covered vector, `varint length` + metadata.
 */
export function encodeCommit(records: readonly EncodedRecord[]): Uint8Array {
  let size = varintSize(records.length);
  for (const record of records) {
    size += 1 + varintSize(record.ops.length) + record.ops.length;
    if (record.covered !== null) size += varintSize(record.covered.length) + record.covered.length;
    if (record.meta !== null) size += varintSize(record.meta.length) + record.meta.length;
  }
  const body = new Uint8Array(size);
  let pos = writeVarint(body, 0, records.length);
  for (const record of records) {
    body[pos++] = (record.covered === null ? 0 : RECORD_COVERED) | (record.meta === null ? 0 : RECORD_META);
    pos = writeSection(body, pos, record.ops);
    if (record.covered !== null) pos = writeSection(body, pos, record.covered);
    if (record.meta !== null) pos = writeSection(body, pos, record.meta);
  }
  return body;
}

/** An upper bound of the bytes `record` adds to a commit body, to bound the size of one row. */
export function encodedSize(record: EncodedRecord): number {
  // The flags byte and three lengths of at most 5 bytes each.
  return 16 + record.ops.length + (record.covered?.length ?? 0) + (record.meta?.length ?? 0);
}

/**
 * The CRC-32 of a commit row: its id, its record count and its body, so
 * that a row moved, truncated or altered fails it.
 */
export function commitCrc(id: number, count: number, body: Uint8Array): number {
  headerView.setUint32(0, id >>> 0, true);
  headerView.setUint32(4, Math.floor(id / 0x1_0000_0000), true);
  headerView.setUint32(8, count, true);
  headerView.setUint32(12, body.length, true);
  headerView.setUint32(16, 0, true);
  return crc32(body, 0, body.length, crc32(header));
}

/**
 * Decodes the records of a commit body whose CRC matched.
 *
 * @throws SyncError `E_DECODE` saying which record and section is malformed
 */
export function decodeCommit(body: Uint8Array, count: number): WalRecord[] {
  const records: WalRecord[] = [];
  const cursor = { pos: 0 };
  const stored = readVarint(body, cursor);
  if (stored !== count) throw new SyncError('E_DECODE', `the body holds ${stored} records, the row says ${count}`);
  for (let i = 0; i < count; i++) {
    if (cursor.pos >= body.length) throw new SyncError('E_DECODE', `record ${i} of the commit is missing`);
    const flags = body[cursor.pos++]!;
    if ((flags & ~(RECORD_COVERED | RECORD_META)) !== 0) throw new SyncError('E_DECODE', `record ${i} of the commit has unknown flags 0x${flags.toString(16)}`);
    const ops = readSection(body, cursor, i);
    const covered = flags & RECORD_COVERED ? readSection(body, cursor, i) : null;
    const meta = flags & RECORD_META ? readSection(body, cursor, i) : null;
    try {
      records.push(decodeRecord(ops, covered, meta));
    } catch (error) {
      throw new SyncError('E_DECODE', `record ${i} of the commit: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
  if (cursor.pos !== body.length) throw new SyncError('E_DECODE', `${body.length - cursor.pos} unexpected bytes after the last record of the commit`);
  return records;
}

/** The CRC-32 of the snapshot header row: its vector, metadata and counts. */
export function snapshotHeaderCrc(vv: Uint8Array, meta: Uint8Array, parts: number, opCount: number): number {
  let crc = crc32(headerOf(parts, vv, meta, null));
  crc = crc32(numberBytes(opCount), 0, 8, crc);
  crc = crc32(vv, 0, vv.length, crc);
  return crc32(meta, 0, meta.length, crc);
}

/** The CRC-32 of one snapshot part row. */
export function snapshotPartCrc(part: number, ops: Uint8Array): number {
  return crc32(ops, 0, ops.length, crc32(headerOf(part, ops, null, null)));
}

/**
 * Decodes one record's sections.
 *
 * @throws SyncError `E_DECODE` saying which section is malformed
 */
export function decodeRecord(ops: Uint8Array, covered: Uint8Array | null, meta: Uint8Array | null): WalRecord {
  const decodedOps = decodeOps(ops);
  return {
    ops: decodedOps,
    ...(covered === null ? {} : { covered: guard('covered vector', () => decodeVersionVector(covered)) }),
    ...(meta === null ? {} : { meta: decodeMeta(meta) }),
  };
}

/**
 * Decodes the operations of one snapshot part.
 *
 * @throws SyncError `E_DECODE`
 */
export function decodeOps(bytes: Uint8Array): Operation[] {
  return guard('operations', () => decodeOperations(bytes));
}

/**
 * Decodes a version vector column.
 *
 * @throws SyncError `E_DECODE`
 */
export function decodeVector(bytes: Uint8Array): VersionVector {
  return guard('version vector', () => decodeVersionVector(bytes));
}

/**
 * Decodes a metadata column: a JSON object of string values.
 *
 * @throws SyncError `E_DECODE`
 */
export function decodeMeta(bytes: Uint8Array): Readonly<Record<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Strict.decode(bytes));
  } catch (error) {
    throw new SyncError('E_DECODE', `malformed metadata: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SyncError('E_DECODE', 'malformed metadata: not a JSON object');
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') throw new SyncError('E_DECODE', `malformed metadata: ${JSON.stringify(key)} is not a string`);
  }
  // JSON.parse defines own properties, so a "__proto__" key stays a plain key.
  return parsed as Record<string, string>;
}

function encodeOps(ops: readonly Operation[]): Uint8Array {
  if (!Array.isArray(ops)) throw new SyncError('E_INVALID_ARGUMENT', '`ops` must be an array of operations');
  return encodeOperations(ops);
}

function encodeVector(vv: unknown, what: string): Uint8Array {
  if (!isVersionVector(vv)) throw new SyncError('E_INVALID_ARGUMENT', `${what} must be a VersionVector`);
  return encodeVersionVector(vv);
}

function encodeMeta(meta: unknown): Uint8Array {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw new SyncError('E_INVALID_ARGUMENT', '`meta` must be an object of string values');
  }
  const plain: Record<string, string> = {};
  for (const key of Object.keys(meta)) {
    const value: unknown = (meta as Record<string, unknown>)[key];
    if (typeof value !== 'string') throw new SyncError('E_INVALID_ARGUMENT', `meta ${JSON.stringify(key)} must be a string, got ${typeof value}`);
    // defineProperty, so that a "__proto__" key is kept as data.
    Object.defineProperty(plain, key, { value, enumerable: true, writable: true, configurable: true });
  }
  // JSON escapes lone surrogates (\udXXX), so every JS string survives UTF-8 unchanged.
  return utf8.encode(JSON.stringify(plain));
}

function headerOf(id: number, a: Uint8Array, b: Uint8Array | null, c: Uint8Array | null): Uint8Array {
  headerView.setUint32(0, id >>> 0, true);
  headerView.setUint32(4, Math.floor(id / 0x1_0000_0000), true);
  headerView.setUint32(8, a.length, true);
  headerView.setUint32(12, b === null ? ABSENT : b.length, true);
  headerView.setUint32(16, c === null ? ABSENT : c.length, true);
  return header;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

function writeVarint(bytes: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    bytes[pos++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  bytes[pos++] = n;
  return pos;
}

function writeSection(bytes: Uint8Array, pos: number, section: Uint8Array): number {
  pos = writeVarint(bytes, pos, section.length);
  bytes.set(section, pos);
  return pos + section.length;
}

function readVarint(bytes: Uint8Array, cursor: { pos: number }): number {
  let n = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    if (cursor.pos >= bytes.length) throw new SyncError('E_DECODE', 'the commit body ends inside a length');
    const byte = bytes[cursor.pos++]!;
    n += (byte & 0x7f) * scale;
    if (byte < 0x80) return n;
    scale *= 0x80;
  }
  throw new SyncError('E_DECODE', 'a length of the commit body is too long');
}

function readSection(bytes: Uint8Array, cursor: { pos: number }, record: number): Uint8Array {
  const length = readVarint(bytes, cursor);
  if (length > bytes.length - cursor.pos) throw new SyncError('E_DECODE', `record ${record} of the commit claims ${length} bytes, ${bytes.length - cursor.pos} are left`);
  const section = bytes.subarray(cursor.pos, cursor.pos + length);
  cursor.pos += length;
  return section;
}

function numberBytes(n: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, n, true);
  return bytes;
}

function guard<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (isSyncError(error)) throw new SyncError('E_DECODE', `malformed ${what}: ${error.message}`, { cause: error });
    throw error;
  }
}
