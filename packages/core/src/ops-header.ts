import { ByteReader } from './bytes.js';
import { CODEC_VERSION, MESSAGE_MAGIC, MIN_CODEC_VERSION } from './codec.js';

/** The header of an encoded `ops` message, read by {@link readOpsHeader}. */
export interface OpsHeader {
  /** The epoch of the hello it answers. */
  readonly epoch: number;
  /** Its number within the session. */
  readonly n: number;
  /** How many operations its batch holds. */
  readonly ops: number;
}

/** The protocol type byte of `ops` (docs/protocol.md). */
const OPS_TYPE = 2;

/**
 * Reads the epoch, number and operation count of an encoded `ops` message
 * from its header, without decoding (nor checking) the operations: cheap
 * enough for metrics on every message a relay or a benchmark passes on.
 *
 * @remarks
 * Follows the binary codec (docs/protocol.md): magic, version, type, varint
 * epoch, varint n, then the batch's origin and collection tables
 * (length-prefixed strings) and its operation count. Never throws.
 *
 * @param bytes - a message as the binary codec encodes it
 * @returns the header, or `undefined` for anything but a readable `ops` header
 */
export function readOpsHeader(bytes: Uint8Array): OpsHeader | undefined {
  if (bytes.length < 3 || bytes[0] !== MESSAGE_MAGIC || bytes[1]! < MIN_CODEC_VERSION || bytes[1]! > CODEC_VERSION || bytes[2] !== OPS_TYPE) return undefined;
  const r = new ByteReader(bytes, 3);
  try {
    const epoch = r.varint();
    const n = r.varint();
    for (let table = 0; table < 2; table++) {
      // origins, then collections: a count, then length-prefixed strings
      for (let i = r.varint(); i > 0; i--) r.stringOf(r.varint());
    }
    return { epoch, n, ops: r.varint() };
  } catch {
    return undefined;
  }
}
