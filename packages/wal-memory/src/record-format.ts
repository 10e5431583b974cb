import {
  SyncError,
  crc32,
  decodeWalRecord,
  decodeWalSnapshot,
  encodeWalRecord,
  encodeWalSnapshot,
  isSyncError,
  isVersionVector,
  type WalRecord,
  type WalSnapshot,
} from '@softadastra/sync-core';

/**
 * The byte format of stored records and snapshots (specified in the README).
 *
 * @remarks
 * A frame is `[u32le payload length][u32le CRC-32 of payload][payload]`. The
 * payload is core's WAL record or snapshot encoding (`encodeWalRecord`,
 * `encodeWalSnapshot`: version, kind, flags, operations, vector, metadata).
 */

/** Bytes of a frame before its payload: the length and the checksum. */
export const FRAME_HEADER_BYTES = 8;

/**
 * Encodes a {@link WalRecord} as one frame.
 *
 * @throws SyncError `E_INVALID_OP` for an operation the codec refuses, `E_INVALID_ARGUMENT` for bad metadata
 */
export function encodeRecordFrame(record: WalRecord): Uint8Array {
  if (!Array.isArray(record.ops)) throw new SyncError('E_INVALID_ARGUMENT', '`ops` must be an array of operations');
  if (record.covered !== undefined && !isVersionVector(record.covered)) {
    throw new SyncError('E_INVALID_ARGUMENT', '`covered` must be a VersionVector');
  }
  return frame(encodeWalRecord(record));
}

/**
 * Encodes a {@link WalSnapshot} as one frame.
 *
 * @throws SyncError `E_INVALID_OP` for an operation the codec refuses, `E_INVALID_ARGUMENT` for a bad vector or metadata
 */
export function encodeSnapshotFrame(snapshot: WalSnapshot): Uint8Array {
  if (!isVersionVector(snapshot.vv)) {
    throw new SyncError('E_INVALID_ARGUMENT', 'a snapshot needs its version vector in `vv` (a VersionVector)');
  }
  if (snapshot.meta === undefined) throw new SyncError('E_INVALID_ARGUMENT', 'a snapshot needs its metadata in `meta` (use {} for none)');
  return frame(encodeWalSnapshot(snapshot));
}

/**
 * Decodes a frame made by {@link encodeRecordFrame}.
 *
 * @throws SyncError `E_DECODE` saying what is wrong: incomplete, checksum, or malformed payload
 */
export function decodeRecordFrame(bytes: Uint8Array): WalRecord {
  return guard(() => decodeWalRecord(checkFrame(bytes)));
}

/**
 * Decodes a frame made by {@link encodeSnapshotFrame}.
 *
 * @throws SyncError `E_DECODE` saying what is wrong
 */
export function decodeSnapshotFrame(bytes: Uint8Array): WalSnapshot {
  return guard(() => decodeWalSnapshot(checkFrame(bytes)));
}

/**
 * Whether a frame that does not decode was cut short — shorter than its
 * header, or than the length its header announces: a torn write. Anything
 * else that fails (checksum, malformed payload, excess bytes) was written
 * whole and is damage.
 */
export function isIncompleteFrame(bytes: Uint8Array): boolean {
  if (bytes.length < FRAME_HEADER_BYTES) return true;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true) > bytes.length - FRAME_HEADER_BYTES;
}

/** The ids (`origin:seq`) of the operations in a damaged frame, if its payload still decodes. */
export function opIdsOfDamagedFrame(bytes: Uint8Array): string[] | undefined {
  if (bytes.length <= FRAME_HEADER_BYTES) return undefined;
  try {
    const ids = decodeWalRecord(bytes.subarray(FRAME_HEADER_BYTES)).ops.map((op) => `${op.origin}:${op.seq}`);
    return ids.length > 0 ? ids : undefined;
  } catch {
    return undefined;
  }
}

function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length, true);
  view.setUint32(4, crc32(payload), true);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

function checkFrame(bytes: Uint8Array): Uint8Array {
  if (bytes.length < FRAME_HEADER_BYTES) {
    throw new SyncError('E_DECODE', `incomplete frame: ${bytes.length} bytes, shorter than its ${FRAME_HEADER_BYTES}-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getUint32(0, true);
  const actual = bytes.length - FRAME_HEADER_BYTES;
  if (declared !== actual) {
    throw new SyncError(
      'E_DECODE',
      declared > actual ? `incomplete frame: ${actual} of ${declared} payload bytes` : `frame holds ${actual} payload bytes, ${declared} declared`,
    );
  }
  const expected = view.getUint32(4, true);
  const crc = crc32(bytes, FRAME_HEADER_BYTES);
  if (crc !== expected) throw new SyncError('E_DECODE', `checksum mismatch: stored 0x${hex(expected)}, computed 0x${hex(crc)}`);
  return bytes.subarray(FRAME_HEADER_BYTES);
}

function guard<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (isSyncError(error) && error.code !== 'E_DECODE') throw new SyncError('E_DECODE', `malformed payload: ${error.message}`, { cause: error });
    throw error;
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
