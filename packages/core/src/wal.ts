import type { Operation } from './operation.js';
import type { VersionVector } from './version-vector.js';

/**
 * What a WAL adapter promises, as data, so callers need not guess by type.
 */
export interface WalCapabilities {
  /** A resolved `append()` survives a crash of this process. */
  readonly durable: boolean;
  /** A record is recovered whole or not at all, never in part. */
  readonly atomicBatch: boolean;
  /** `compact()` replaces the log prefix (otherwise it is accepted and ignored). */
  readonly compaction: boolean;
}

/**
 * One entry of the log: written atomically, recovered whole or not at all.
 */
export interface WalRecord {
  /** Operations made durable together (local writes and received ones). */
  readonly ops: readonly Operation[];
  /**
   * Operations known through a `covered` message without being received
   * (their winners were): merged into the version vector on replay.
   */
  readonly covered?: VersionVector;
  /** Peer metadata such as its id; a later record's key overrides an earlier one. */
  readonly meta?: Readonly<Record<string, string>>;
}

/**
 * The state at a point of the log, which replaces everything before it.
 */
export interface WalSnapshot {
  /** The winning operation of every key, tombstones included. */
  readonly ops: readonly Operation[];
  /** Every operation seen, superseded ones included. */
  readonly vv: VersionVector;
  /** The metadata accumulated so far. */
  readonly meta: Readonly<Record<string, string>>;
}

/** What {@link Wal.open} recovers: a snapshot, then the records after it. */
export interface WalRecovery {
  /** The latest snapshot, if a compaction ever completed. */
  readonly snapshot: WalSnapshot | undefined;
  /** Every record appended after that snapshot, in append order. */
  readonly records: Iterable<WalRecord> | AsyncIterable<WalRecord>;
}

/**
 * The storage contract: a write-ahead log of operations.
 *
 * @remarks
 * Implemented by `@softadastra/wal-memory`, `wal-file`, `wal-sqlite` and your
 * own adapters; `runWalConformance` from `@softadastra/sync-testing` checks an
 * implementation. The engine never touches storage except through this.
 *
 * Rules every adapter follows:
 * - `append()` resolves only once the record is durable (as far as
 *   `capabilities.durable` says) and rejects with a `WalError` otherwise.
 *   Appends may run concurrently; they are recovered in the order they were called.
 * - After a failed write or sync the adapter is *failed*: every later call
 *   rejects (`E_WAL_FAILED`) until it is closed and opened again, because the
 *   state of the storage is unknown; never retry an fsync.
 * - `open()` recovers the log: a torn tail (an incomplete last record) is
 *   dropped, corruption before valid records is refused with `E_WAL_CORRUPT`.
 *   It may be called again after `close()`, and gives the same state.
 * - After `close()`, `append()` and `compact()` reject with `E_WAL_CLOSED`.
 */
export interface Wal {
  /** What this adapter guarantees. */
  readonly capabilities: WalCapabilities;
  /**
   * Opens the log and returns what it holds.
   *
   * @throws WalError `E_WAL_CORRUPT` when the log is damaged before its tail
   */
  open(): Promise<WalRecovery>;
  /**
   * Appends one record durably and atomically.
   *
   * @throws WalError `E_WAL_CLOSED`, `E_WAL_FAILED`, or the I/O failure
   */
  append(record: WalRecord): Promise<void>;
  /**
   * Replaces every record appended so far with `snapshot`, atomically: after a
   * crash, `open()` returns either the old records or the snapshot. The caller
   * does not append until `compact()` has resolved.
   */
  compact(snapshot: WalSnapshot): Promise<void>;
  /** Waits for pending appends, then releases the storage. */
  close(): Promise<void>;
}
