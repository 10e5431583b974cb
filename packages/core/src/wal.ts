import { SyncError } from './errors.js';
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
  /**
   * The storage format tells a torn write from a complete but damaged record,
   * so `open()` refuses a damaged last record that is whole (every byte its
   * header announces is there) with `E_WAL_CORRUPT` instead of dropping it as
   * a torn tail.
   *
   * @remarks
   * A record that was whole on disk was written completely, and may well have
   * been acknowledged: dropping it would lose an awaited write. Only a record
   * cut short (fewer bytes than its header says, or a partial header) is a
   * torn tail. Absent means `false`: the adapter drops any damaged last record,
   * and says so in {@link WalRecovery.repair}.
   * @default false
   */
  readonly detectsCorruptTail?: boolean;
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

/**
 * What {@link Wal.open} cut off the log to repair it: the torn tail left by a
 * write under way when the process or machine died.
 *
 * @remarks
 * A torn tail was never acknowledged if the adapter kept its promises, so
 * dropping it is right; doing so silently is not, because the same damage
 * could come from a fault that hit an acknowledged record. The engine reports
 * a repair as an `E_WAL_REPAIRED` warning ({@link WalRepairedError}).
 */
export interface WalRepair {
  /** Records cut, whole or in part (0 when only bytes that held no record were). */
  readonly records: number;
  /** Bytes cut. */
  readonly bytes: number;
  /** Where the cut starts: the byte offset in {@link WalRepair.location} (or in the log, for adapters without files). */
  readonly offset: number;
  /** The file or table cut, when there is one. */
  readonly location?: string;
  /** Why it was judged a torn tail, e.g. `'an incomplete record: 12 of 80 bytes'`. */
  readonly reason: string;
  /** Ids (`origin:seq`) of the operations that were in what was cut, when they could be read. */
  readonly opIds?: readonly string[];
}

/** What {@link Wal.open} recovers: a snapshot, then the records after it. */
export interface WalRecovery {
  /** The latest snapshot, if a compaction ever completed. */
  readonly snapshot: WalSnapshot | undefined;
  /** Every record appended after that snapshot, in append order. */
  readonly records: Iterable<WalRecord> | AsyncIterable<WalRecord>;
  /**
   * What `open()` cut to repair a torn tail; absent when it cut nothing.
   * An adapter that drops anything on open reports it here, never silently.
   */
  readonly repair?: WalRepair;
}

/**
 * The warning that a WAL was repaired on open (`code: 'E_WAL_REPAIRED'`):
 * the engine opened, but the log had a torn tail that was cut.
 *
 * @remarks
 * Emitted by the engine as an `error` event and to `onError`; it is a
 * warning, not a failure. Check `error.code === 'E_WAL_REPAIRED'` (works
 * across duplicate installs), then read `repair`.
 */
export class WalRepairedError extends SyncError {
  /** What was cut. */
  readonly repair: WalRepair;

  /**
   * @param repair - what {@link Wal.open} cut
   * @param where - the log, named for the message (e.g. the peer's id)
   */
  constructor(repair: WalRepair, where: string) {
    super('E_WAL_REPAIRED', describeRepair(repair, where));
    this.repair = repair;
  }

  override get name(): string {
    return 'WalRepairedError';
  }
}

/**
 * One line saying what a repair cut, for logs and the CLI.
 *
 * @param repair - what {@link Wal.open} cut
 * @param where - the log, named for the message
 */
export function describeRepair(repair: WalRepair, where: string): string {
  const records = `${repair.records} record${repair.records === 1 ? '' : 's'}`;
  const at = `${repair.location === undefined ? '' : `${repair.location} `}at byte ${repair.offset}`;
  const ids = repair.opIds === undefined || repair.opIds.length === 0 ? '' : `, holding ops ${repair.opIds.join(', ')}`;
  return (
    `the WAL of ${where} had a torn tail (${repair.reason}): cut ${records} (${repair.bytes} bytes) ${at}${ids}. ` +
    'A torn tail is the write under way at a crash and was never acknowledged; if this peer had not crashed, check the disk'
  );
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
 *   dropped and reported in {@link WalRecovery.repair} (records, bytes,
 *   offset, the op ids if readable) — never dropped silently; corruption
 *   before valid records is refused with `E_WAL_CORRUPT`. A damaged last
 *   record that is whole is corruption too, refused, when the format can tell
 *   it from a torn write ({@link WalCapabilities.detectsCorruptTail}).
 *   What `open()` recovered and repaired is durable when it resolves (a
 *   process that died before its fsync leaves its writes in the page cache).
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
   * (or in a whole last record, with `capabilities.detectsCorruptTail`)
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
