import { crc32 } from '@softadastra/sync-core/node';

/**
 * The on-disk format of the file WAL, version 1 (docs/wal-format.md).
 *
 * A segment file `wal-NNNNNNNNNN.log` and a snapshot file
 * `snapshot-NNNNNNNNNN.snap` both start with a 16-byte header:
 *
 * | offset | bytes | field |
 * |---|---|---|
 * | 0 | 4 | magic: `SAWL` (segment) or `SASN` (snapshot) |
 * | 4 | 1 | format version: 1 |
 * | 5 | 1 | checksum kind: 1 = CRC-32 (zlib polynomial 0xEDB88320) |
 * | 6 | 2 | reserved, 0 |
 * | 8 | 4 | segment number, u32le (a snapshot's: the first segment after it) |
 * | 12 | 4 | CRC-32 of bytes 0–11 |
 *
 * Then records, each `[u32le length][u32le CRC-32 of the 4 length bytes and the payload][payload]`,
 * the payload being core's `encodeWalRecord` (in a snapshot file: exactly one
 * record holding `encodeWalSnapshot`).
 * @internal
 */
export const HEADER_BYTES = 16;
export const RECORD_HEADER_BYTES = 8;
export const FORMAT_VERSION = 1;
export const CHECKSUM_CRC32 = 1;
export const SEGMENT_MAGIC = [0x53, 0x41, 0x57, 0x4c] as const; // "SAWL"
export const SNAPSHOT_MAGIC = [0x53, 0x41, 0x53, 0x4e] as const; // "SASN"

/** `wal-0000000001.log` @internal */
export function segmentName(n: number): string {
  return `wal-${String(n).padStart(10, '0')}.log`;
}

/** `snapshot-0000000001.snap` @internal */
export function snapshotName(n: number): string {
  return `snapshot-${String(n).padStart(10, '0')}.snap`;
}

const SEGMENT_FILE = /^wal-(\d{10})\.log$/;
const SNAPSHOT_FILE = /^snapshot-(\d{10})\.snap$/;

/** The number in a segment or snapshot file name, or undefined. @internal */
export function parseName(name: string): { kind: 'segment' | 'snapshot'; n: number } | undefined {
  const segment = SEGMENT_FILE.exec(name);
  if (segment) return { kind: 'segment', n: Number(segment[1]) };
  const snapshot = SNAPSHOT_FILE.exec(name);
  if (snapshot) return { kind: 'snapshot', n: Number(snapshot[1]) };
  return undefined;
}

/** A file header. @internal */
export function encodeHeader(magic: readonly number[], n: number): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES);
  out.set(magic, 0);
  out[4] = FORMAT_VERSION;
  out[5] = CHECKSUM_CRC32;
  writeU32(out, 8, n);
  writeU32(out, 12, crc32(out, 0, 12));
  return out;
}

/**
 * Checks a file header.
 *
 * @returns the segment number, or a reason it is not valid
 * @internal
 */
export function checkHeader(bytes: Uint8Array, magic: readonly number[]): { ok: true; n: number } | { ok: false; reason: string } {
  if (bytes.length < HEADER_BYTES) return { ok: false, reason: `the file has ${bytes.length} bytes, less than its ${HEADER_BYTES}-byte header` };
  for (let i = 0; i < 4; i++) if (bytes[i] !== magic[i]) return { ok: false, reason: 'it does not start with the WAL magic bytes (not a Softadastra WAL file)' };
  if (readU32(bytes, 12) !== crc32(bytes, 0, 12)) return { ok: false, reason: 'its header checksum does not match' };
  if (bytes[4] !== FORMAT_VERSION) return { ok: false, reason: `format version ${bytes[4]} is not supported (this build reads ${FORMAT_VERSION}); upgrade` };
  if (bytes[5] !== CHECKSUM_CRC32) return { ok: false, reason: `checksum kind ${bytes[5]} is not supported` };
  return { ok: true, n: readU32(bytes, 8) };
}

/** Frames one payload as a record. @internal */
export function frameRecord(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_BYTES + payload.length);
  writeU32(out, 0, payload.length);
  out.set(payload, RECORD_HEADER_BYTES);
  writeU32(out, 4, recordChecksum(out, 0, payload.length));
  return out;
}

/** CRC-32 over the length field and the payload of the record at `at`. @internal */
export function recordChecksum(bytes: Uint8Array, at: number, length: number): number {
  const overLength = crc32(bytes, at, at + 4);
  return crc32(bytes, at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + length, overLength);
}

/**
 * The record at `at`, if a whole valid one starts there: its payload and where the next one starts.
 * @internal
 */
export function readRecord(bytes: Uint8Array, at: number, maxRecordBytes: number): { payload: Uint8Array; next: number } | undefined {
  if (bytes.length - at < RECORD_HEADER_BYTES) return undefined;
  const length = readU32(bytes, at);
  if (length > maxRecordBytes || length > bytes.length - at - RECORD_HEADER_BYTES) return undefined;
  if (readU32(bytes, at + 4) !== recordChecksum(bytes, at, length)) return undefined;
  const start = at + RECORD_HEADER_BYTES;
  return { payload: bytes.subarray(start, start + length), next: start + length };
}

/**
 * Whether a valid record starts anywhere in `bytes` after `from`: it tells a
 * torn tail (nothing valid after the damage) from damage in the middle.
 * @internal
 */
export function findValidRecordAfter(bytes: Uint8Array, from: number, maxRecordBytes: number): number | undefined {
  for (let at = from + 1; at + RECORD_HEADER_BYTES <= bytes.length; at++) {
    const length = readU32(bytes, at);
    if (length === 0 || length > maxRecordBytes || length > bytes.length - at - RECORD_HEADER_BYTES) continue;
    if (readRecord(bytes, at, maxRecordBytes) !== undefined) return at;
  }
  return undefined;
}

/**
 * What the bytes from `at` to the end of a segment are, once no valid record
 * starts at `at`: a torn tail (a write cut short) or a damaged record.
 *
 * @remarks
 * The length field tells them apart. A record with every byte its header
 * announces present was written whole: a failing checksum there is damage,
 * even at the very end of the log, and not a torn write. Torn are only:
 * - fewer bytes than a record header;
 * - fewer bytes than the header's length announces — unless the checksum
 *   matches with the length the bytes present imply, which means a whole
 *   record whose length field is damaged;
 * - nothing but zero bytes (space the file system extended but the write
 *   never filled; no valid record is all zeros).
 * @internal
 */
export function classifyTail(bytes: Uint8Array, at: number, maxRecordBytes: number): { torn: boolean; records: number; reason: string; payload: Uint8Array | undefined } {
  const left = bytes.length - at;
  if (left < RECORD_HEADER_BYTES) return { torn: true, records: 1, reason: `an incomplete record header (${left} of ${RECORD_HEADER_BYTES} bytes)`, payload: undefined };
  let zeros = true;
  for (let i = at; i < bytes.length && zeros; i++) zeros = bytes[i] === 0;
  if (zeros) return { torn: true, records: 0, reason: `${left} zero bytes where a record should start (space the write never filled)`, payload: undefined };
  const length = readU32(bytes, at);
  const present = left - RECORD_HEADER_BYTES;
  const payload = bytes.subarray(at + RECORD_HEADER_BYTES);
  if (length > present) {
    // Would the checksum match if the length field said what is there? Then the record is whole and its length damaged.
    const implied = new Uint8Array(left);
    implied.set(bytes.subarray(at));
    writeU32(implied, 0, present);
    if (present <= maxRecordBytes && readU32(implied, 4) === recordChecksum(implied, 0, present)) {
      return { torn: false, records: 1, reason: `a whole record whose length field is damaged (it says ${length} bytes, the checksum matches the ${present} present)`, payload };
    }
    return { torn: true, records: 1, reason: `an incomplete record (${present} of the ${length} payload bytes its header announces)`, payload };
  }
  if (length > maxRecordBytes) return { torn: false, records: 1, reason: `a record header announcing ${length} bytes, more than maxRecordBytes ${maxRecordBytes}`, payload: undefined };
  return { torn: false, records: 1, reason: `a whole record (all ${length} payload bytes present) that fails its checksum`, payload: payload.subarray(0, length) };
}

function writeU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value & 0xff;
  out[at + 1] = (value >>> 8) & 0xff;
  out[at + 2] = (value >>> 16) & 0xff;
  out[at + 3] = (value >>> 24) & 0xff;
}

function readU32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}
