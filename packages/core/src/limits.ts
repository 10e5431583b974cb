import { SyncError } from './errors.js';

/**
 * Size limits applied to every operation and message from outside.
 *
 * @remarks
 * Validation is a pure function of an operation's bytes *and these limits*:
 * all peers of a space must use the same limits, or an operation one peer
 * accepts may be refused by another and their states would differ.
 */
export interface Limits {
  /**
   * Longest collection name, in UTF-8 bytes.
   * @default 1024
   */
  readonly maxCollectionBytes: number;
  /**
   * Longest key, in UTF-8 bytes.
   * @default 1024
   */
  readonly maxKeyBytes: number;
  /**
   * Largest value, in encoded bytes (see the codec in docs/protocol.md).
   * Leaves room for one operation at its largest to fit in one message.
   * @default 1040384 (1 MiB − 8 KiB)
   */
  readonly maxValueBytes: number;
  /**
   * Deepest nesting of arrays and objects inside a value.
   * @default 64
   */
  readonly maxValueDepth: number;
  /**
   * Most operations in one `ops` message.
   * @default 10000
   */
  readonly maxBatchOps: number;
  /**
   * Largest encoded protocol message, in bytes.
   * @default 1048576 (1 MiB)
   */
  readonly maxMessageBytes: number;
  /**
   * Most seq ranges in one version vector received in a protocol message
   * (`hello`, `covered`, `ack`), over all its origins. An honest vector is a
   * contiguous prefix per origin plus rare gaps (catch-ups send `covered`
   * after every batch to keep it so); a vector fragmented past this is a
   * claim nobody honest makes, refused with `E_TOO_LARGE` before it is merged
   * anywhere. Storage (snapshots) is not bound by it.
   * @default 131072
   */
  readonly maxVectorRanges: number;
}

/** The default {@link Limits}. */
export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxCollectionBytes: 1024,
  maxKeyBytes: 1024,
  maxValueBytes: 1024 * 1024 - 8 * 1024,
  maxValueDepth: 64,
  maxBatchOps: 10_000,
  maxMessageBytes: 1024 * 1024,
  maxVectorRanges: 131_072,
});

/**
 * Fills in defaults for the limits not given.
 *
 * @throws SyncError `E_INVALID_ARGUMENT` when a limit is not a positive integer
 */
export function resolveLimits(partial: Partial<Limits> = {}): Limits {
  if (partial === DEFAULT_LIMITS) return DEFAULT_LIMITS;
  const limits = { ...DEFAULT_LIMITS, ...partial };
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new SyncError('E_INVALID_ARGUMENT', `limit ${name} must be a positive integer, got ${String(value)}`);
    }
  }
  return Object.freeze(limits);
}
