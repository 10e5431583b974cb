import { resolve as resolvePath } from 'node:path';
import Database from 'better-sqlite3';
import {
  SyncError,
  WalError,
  isSyncError,
  type Operation,
  type Wal,
  type WalCapabilities,
  type WalRecord,
  type WalRecovery,
  type WalSnapshot,
} from '@softadastra/sync-core';
import { claimPath, releasePath } from './open-paths.js';
import {
  commitCrc,
  decodeCommit,
  decodeMeta,
  decodeOps,
  decodeVector,
  encodeCommit,
  encodeRecord,
  encodeSnapshot,
  encodedSize,
  snapshotHeaderCrc,
  snapshotPartCrc,
  type EncodedRecord,
  type EncodedSnapshot,
} from './row-codec.js';
import { ADAPTER, prepareSchema } from './schema.js';
import { toWalError } from './sqlite-errors.js';

/**
 * When SQLite syncs the log to the disk: `'full'` at every commit, `'normal'`
 * only at checkpoints.
 */
export type SqliteSynchronous = 'full' | 'normal';

/** Options of {@link createSqliteWal}. */
export interface SqliteWalOptions {
  /**
   * The database file (created if missing; its directory must exist), or
   * `':memory:'` for a database that lives as long as the handle. One WAL
   * per file: the WAL holds it exclusively while open.
   */
  readonly path: string;
  /**
   * How far a resolved `append()` is durable.
   *
   * - `'full'`: SQLite syncs the log at every commit, so a resolved append
   *   survives a crash of the process *and* a power loss or OS crash.
   * - `'normal'`: SQLite syncs only at checkpoints. A resolved append
   *   survives a crash of the process (the OS still has the bytes), but a
   *   power loss or OS crash may lose the last transactions — the database
   *   stays consistent, the newest acknowledged writes may be gone. Faster;
   *   choose it only if the data also lives elsewhere.
   * @default 'full'
   */
  readonly synchronous?: SqliteSynchronous;
  /**
   * How long to wait for another process to release the database before
   * failing with `E_WAL_LOCKED`, in milliseconds. SQLite waits
   * synchronously: the event loop is blocked meanwhile.
   * @default 5000
   */
  readonly busyTimeoutMs?: number;
}

/** A {@link Wal} in a SQLite database. */
export interface SqliteWal extends Wal {
  /** The absolute path of the database file, or `':memory:'`. */
  readonly path: string;
  /** The durability level in use. */
  readonly synchronous: SqliteSynchronous;
}

/** What a simulated crash does to the writes not yet committed (see the conformance harness). */
export type SqliteInFlight = 'lose' | 'keep' | 'tear';

/**
 * Levers the conformance harness pulls to simulate a disk whose sync hangs,
 * a process that dies, and a failed write.
 *
 * @internal
 */
export interface SqliteWalLevers {
  /** Defers commits: appends are accepted but stay pending until {@link SqliteWalLevers.releaseWrites}. */
  holdWrites(): void;
  /** Commits what was held, and lets later writes run normally. */
  releaseWrites(): void;
  /**
   * Dies as a killed process would: the uncommitted writes are lost
   * (`'lose'`), committed without being acknowledged (`'keep'`), or written
   * into a transaction that never commits (`'tear'`, which SQLite rolls
   * back); the connection is dropped and no promise of the handle settles again.
   */
  crash(inFlight?: SqliteInFlight): void;
  /** Makes the next commit fail as a SQLite I/O error (`SQLITE_IOERR_WRITE`) would. */
  failNextWrite(): void;
  /** Reads a pragma of the open connection (e.g. `synchronous`), or `undefined` when closed. */
  readPragma(name: 'synchronous' | 'journal_mode' | 'locking_mode' | 'auto_vacuum' | 'busy_timeout'): unknown;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
/** The WAL file is truncated back to this size after a checkpoint. */
const JOURNAL_SIZE_LIMIT = 16 * 1024 * 1024;
const MEMORY = ':memory:';
/** A commit's records are split over several rows (of the same transaction) past this many bytes. */
const MAX_ROW_BYTES = 4 * 1024 * 1024;

/**
 * Creates a write-ahead log in a SQLite database, through better-sqlite3.
 *
 * @remarks
 * Each group of concurrent appends is one SQLite transaction (one sync with
 * `synchronous: 'full'`): appends issued in the same tick are committed
 * together as one row, and recovered in call order, each record as it was
 * appended — its operations (core's binary codec), its `covered` vector and
 * its metadata. Every row carries a CRC-32, so damage that SQLite does not
 * notice is refused on open too. `compact()` replaces every record by the
 * snapshot in one transaction. Failures are typed {@link WalError}s with `adapter: 'sqlite'`:
 * `E_WAL_CORRUPT`, `E_WAL_LOCKED`, `E_WAL_FAILED` (after which the handle
 * refuses everything until closed and opened again), `E_WAL_CLOSED`.
 *
 * The handle is not opened yet: call `open()` (the engine does).
 *
 * @example
 * ```ts
 * const wal = createSqliteWal({ path: './data/space.db' });
 * const engine = await createSyncEngine({ wal });
 * ```
 *
 * @param options - the database path and durability options
 * @throws SyncError `E_INVALID_ARGUMENT` for a bad option
 */
export function createSqliteWal(options: SqliteWalOptions): SqliteWal {
  if (typeof options !== 'object' || options === null) throw new SyncError('E_INVALID_ARGUMENT', 'createSqliteWal needs options: { path }');
  const { path } = options;
  if (typeof path !== 'string' || path.length === 0) {
    throw new SyncError('E_INVALID_ARGUMENT', `path must be a database file path or ':memory:', got ${path === '' ? 'an empty string' : typeof path}`);
  }
  const synchronous = options.synchronous ?? 'full';
  if (synchronous !== 'full' && synchronous !== 'normal') {
    throw new SyncError('E_INVALID_ARGUMENT', `synchronous must be 'full' or 'normal', got ${JSON.stringify(synchronous)}`);
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (typeof busyTimeoutMs !== 'number' || !Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0 || busyTimeoutMs > 0x7fffffff) {
    throw new SyncError('E_INVALID_ARGUMENT', `busyTimeoutMs must be an integer number of milliseconds ≥ 0, got ${String(busyTimeoutMs)}`);
  }
  return new SqliteWalHandle(path === MEMORY ? MEMORY : resolvePath(path), synchronous, busyTimeoutMs);
}

/**
 * The levers of a handle made by {@link createSqliteWal}, for the conformance harness.
 *
 * @internal
 * @throws SyncError `E_INVALID_ARGUMENT` for a WAL that is not a SQLite one
 */
export function sqliteWalLevers(wal: Wal): SqliteWalLevers {
  if (!(wal instanceof SqliteWalHandle)) throw new SyncError('E_INVALID_ARGUMENT', 'not a WAL made by createSqliteWal');
  return wal.levers;
}

/** The prepared statements of one connection. */
interface Statements {
  readonly begin: Database.Statement<[]>;
  readonly commit: Database.Statement<[]>;
  readonly insertCommit: Database.Statement<[number, number, Uint8Array, number]>;
  readonly insertSnapshot: Database.Statement<[Uint8Array, Uint8Array, number, number, number]>;
  readonly insertPart: Database.Statement<[number, Uint8Array, number]>;
  readonly selectCommits: Database.Statement<[]>;
  readonly selectSnapshot: Database.Statement<[]>;
  readonly selectParts: Database.Statement<[]>;
  readonly deleteAll: () => void;
}

/** One write waiting to be committed. */
type PendingWrite =
  | { readonly kind: 'append'; readonly record: EncodedRecord; readonly resolve: () => void; readonly reject: (error: WalError) => void }
  | { readonly kind: 'compact'; readonly snapshot: EncodedSnapshot; readonly resolve: () => void; readonly reject: (error: WalError) => void };

class SqliteWalHandle implements SqliteWal {
  readonly capabilities: WalCapabilities;
  readonly path: string;
  readonly synchronous: SqliteSynchronous;
  readonly levers: SqliteWalLevers;
  readonly #busyTimeoutMs: number;
  readonly #isFile: boolean;
  #db: Database.Database | undefined;
  #statements: Statements | undefined;
  #status: 'closed' | 'open' | 'closing' = 'closed';
  /** Set once a write failed: the database state is unknown until reopened. */
  #failure: WalError | undefined;
  /** Set by a simulated crash: a dead process does nothing more. */
  #dead = false;
  #pending: PendingWrite[] = [];
  #scheduled = false;
  #held = false;
  #injectedFailures = 0;
  /** The row id of the next commit. */
  #nextId = 1;
  #closeWaiters: Array<(error?: WalError) => void> = [];

  constructor(path: string, synchronous: SqliteSynchronous, busyTimeoutMs: number) {
    this.path = path;
    this.synchronous = synchronous;
    this.#busyTimeoutMs = busyTimeoutMs;
    this.#isFile = path !== MEMORY;
    this.capabilities = Object.freeze({ durable: this.#isFile, atomicBatch: true, compaction: true, detectsCorruptTail: true });
    this.levers = {
      holdWrites: () => {
        this.#held = true;
      },
      releaseWrites: () => {
        this.#held = false;
        this.#flush();
      },
      crash: (inFlight) => this.#crash(inFlight ?? 'lose'),
      failNextWrite: () => {
        this.#injectedFailures += 1;
      },
      readPragma: (name) => this.#db?.pragma(name, { simple: true }),
    };
  }

  open(): Promise<WalRecovery> {
    if (this.#dead) return never();
    if (this.#status === 'open') {
      return rejected(this.#failure !== undefined ? this.#failedError() : new WalError('E_INVALID_ARGUMENT', `sqlite WAL ${this.path} is already open: close() it before opening again`, this.#details()));
    }
    if (this.#status === 'closing') return rejected(this.#closedError('open', 'wait for close() to resolve first'));
    try {
      return Promise.resolve(this.#open());
    } catch (error) {
      return rejected(toWalError(error, 'open', this.path, this.#busyTimeoutMs));
    }
  }

  append(record: WalRecord): Promise<void> {
    const refused = this.#refuse('append');
    if (refused !== undefined) return refused;
    let encoded: EncodedRecord;
    try {
      encoded = encodeRecord(record);
    } catch (error) {
      return rejected(this.#invalid('append this record', error));
    }
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ kind: 'append', record: encoded, resolve, reject });
      this.#schedule();
    });
  }

  compact(snapshot: WalSnapshot): Promise<void> {
    const refused = this.#refuse('compact');
    if (refused !== undefined) return refused;
    let encoded: EncodedSnapshot;
    try {
      encoded = encodeSnapshot(snapshot);
    } catch (error) {
      return rejected(this.#invalid('compact to this snapshot', error));
    }
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ kind: 'compact', snapshot: encoded, resolve, reject });
      this.#schedule();
    });
  }

  close(): Promise<void> {
    if (this.#dead) return never();
    if (this.#status === 'closed') return Promise.resolve();
    this.#status = 'closing';
    const closed = new Promise<void>((resolve, reject) => {
      this.#closeWaiters.push((error) => (error === undefined ? resolve() : reject(error)));
    });
    // Pending appends are committed now (unless writes are held), then the database is released.
    this.#flush();
    return closed;
  }

  // ── open and replay ───────────────────────────────────────────────────────

  #open(): WalRecovery {
    if (this.#isFile && !claimPath(this.path, this)) {
      throw new WalError('E_WAL_LOCKED', `sqlite WAL ${this.path} is already open through another handle in this process: close() that one first`, this.#details());
    }
    // ':memory:' keeps its connection across close() and open(): the data lives with the handle.
    let db = this.#db;
    try {
      if (db === undefined) {
        db = new Database(this.path, { timeout: this.#busyTimeoutMs });
        this.#configure(db);
        this.#statements = prepareStatements(db);
      }
      const recovery = this.#replay(this.#statements!);
      if (this.#isFile) {
        // A killed process may leave commits in the -wal file that only reached the page cache;
        // SQLite's recovery reads them back without an fsync. The engine builds on what we return
        // (acks, next seqs), so make it durable first: a checkpoint syncs the -wal, copies it into
        // the database, syncs that, and empties the -wal.
        db.pragma('wal_checkpoint(TRUNCATE)');
      }
      this.#db = db;
      this.#status = 'open';
      this.#failure = undefined;
      return recovery;
    } catch (error) {
      if (this.#isFile || db !== this.#db) {
        closeQuietly(db);
        this.#db = undefined;
        this.#statements = undefined;
      }
      if (this.#isFile) releasePath(this.path, this);
      throw toWalError(error, 'open', this.path, this.#busyTimeoutMs);
    }
  }

  #configure(db: Database.Database): void {
    if (this.#isFile) {
      // One writer per log: a second process must not append under the same peer id.
      db.pragma('locking_mode = EXCLUSIVE');
    }
    prepareSchema(db, this.path, this.#isFile);
    db.pragma(`synchronous = ${this.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    if (this.#isFile) {
      db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
      // Take the exclusive lock now, so that a second process is refused at open, not at its first append.
      db.exec('BEGIN EXCLUSIVE; COMMIT');
    }
  }

  #replay(statements: Statements): WalRecovery {
    const snapshot = this.#readSnapshot(statements);
    const records: WalRecord[] = [];
    let previousId: number | undefined;
    for (const row of statements.selectCommits.iterate() as IterableIterator<[number, number, Uint8Array, number]>) {
      const [id, count, body, crc] = row;
      const first = records.length;
      const which = (): string => `commit row ${id} (record${count === 1 ? ` ${first}` : `s ${first}…${first + count - 1}`})`;
      if (previousId !== undefined && id !== previousId + 1) {
        throw this.#corrupt(`commit rows ${previousId + 1}…${id - 1} are missing, before record ${first}`);
      }
      const computed = commitCrc(id, count, body);
      if (computed !== crc) throw this.#corrupt(`${which()} fails its checksum (stored 0x${hex(crc)}, computed 0x${hex(computed)})`);
      try {
        for (const record of decodeCommit(body, count)) records.push(record);
      } catch (error) {
        throw this.#corrupt(`${which()} is malformed although its checksum matches (${reason(error)})`, error);
      }
      previousId = id;
    }
    this.#nextId = previousId === undefined ? 1 : previousId + 1;
    return { snapshot, records };
  }

  #readSnapshot(statements: Statements): WalSnapshot | undefined {
    const header = statements.selectSnapshot.get() as [Uint8Array, Uint8Array, number, number, number] | undefined;
    if (header === undefined) {
      if (statements.selectParts.get() !== undefined) throw this.#corrupt('the snapshot lost its header row while its operations are still stored');
      return undefined;
    }
    const [vvBytes, metaBytes, partCount, opCount, crc] = header;
    const computed = snapshotHeaderCrc(vvBytes, metaBytes, partCount, opCount);
    if (computed !== crc) throw this.#corrupt(`the snapshot header fails its checksum (stored 0x${hex(crc)}, computed 0x${hex(computed)})`);
    let vv;
    let meta;
    try {
      vv = decodeVector(vvBytes);
      meta = decodeMeta(metaBytes);
    } catch (error) {
      throw this.#corrupt(`the snapshot header is malformed although its checksum matches (${reason(error)})`, error);
    }
    const ops: Operation[] = [];
    let expected = 0;
    for (const [part, bytes, partCrc] of statements.selectParts.iterate() as IterableIterator<[number, Uint8Array, number]>) {
      if (part !== expected) throw this.#corrupt(`snapshot part ${expected} is missing (found part ${part})`);
      const partComputed = snapshotPartCrc(part, bytes);
      if (partComputed !== partCrc) throw this.#corrupt(`snapshot part ${part} fails its checksum (stored 0x${hex(partCrc)}, computed 0x${hex(partComputed)})`);
      try {
        for (const op of decodeOps(bytes)) ops.push(op);
      } catch (error) {
        throw this.#corrupt(`snapshot part ${part} is malformed although its checksum matches (${reason(error)})`, error);
      }
      expected++;
    }
    if (expected !== partCount || ops.length !== opCount) {
      throw this.#corrupt(`the snapshot holds ${expected} parts and ${ops.length} operations where its header says ${partCount} and ${opCount}`);
    }
    return { ops, vv, meta };
  }

  // ── writes: group commit ──────────────────────────────────────────────────

  #refuse(kind: 'append' | 'compact'): Promise<never> | undefined {
    if (this.#dead) return never();
    if (this.#status === 'open' && this.#failure !== undefined) return rejected(this.#failedError());
    if (this.#status !== 'open') return rejected(this.#closedError(kind, this.#status === 'closed' ? 'call open() first' : 'it is closing'));
    return undefined;
  }

  /** Commits on the next microtask, so that every append issued in this tick joins one transaction. */
  #schedule(): void {
    if (this.#scheduled || this.#held) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  /** Commits everything pending, in call order: runs of appends as one transaction each, compactions alone. */
  #flush(): void {
    if (this.#dead || this.#held) return;
    const statements = this.#statements;
    while (this.#pending.length > 0 && statements !== undefined && this.#failure === undefined) {
      const first = this.#pending[0]!;
      let count = 1;
      if (first.kind === 'append') while (count < this.#pending.length && this.#pending[count]!.kind === 'append') count++;
      const batch = this.#pending.splice(0, count);
      try {
        if (first.kind === 'compact') this.#writeSnapshot(statements, first.snapshot);
        else this.#writeRecords(statements, batch);
      } catch (error) {
        this.#onWriteError(toWalError(error, first.kind, this.path, this.#busyTimeoutMs), batch);
        continue;
      }
      for (const write of batch) write.resolve();
    }
    this.#finishCloseIfIdle();
  }

  /** Writes the records of `batch` as one transaction: one row, or a few rows when they are large. */
  #writeRecords(statements: Statements, batch: readonly PendingWrite[], commit = true): void {
    const db = this.#db!;
    let id = this.#nextId;
    statements.begin.run();
    try {
      let row: EncodedRecord[] = [];
      let rowBytes = 0;
      const insertRow = (): void => {
        const body = encodeCommit(row);
        statements.insertCommit.run(id, row.length, body, commitCrc(id, row.length, body));
        id++;
        row = [];
        rowBytes = 0;
      };
      for (const write of batch) {
        if (write.kind !== 'append') continue;
        const size = encodedSize(write.record);
        if (row.length > 0 && rowBytes + size > MAX_ROW_BYTES) insertRow();
        row.push(write.record);
        rowBytes += size;
      }
      if (row.length > 0) insertRow();
      if (!commit) return;
      if (this.#injectedFailures > 0) {
        this.#injectedFailures -= 1;
        throw Object.assign(new Error('disk I/O error (injected by the test harness)'), { code: 'SQLITE_IOERR_WRITE' });
      }
      statements.commit.run();
    } catch (error) {
      rollbackQuietly(db);
      throw error;
    }
    this.#nextId = id;
  }

  #writeSnapshot(statements: Statements, snapshot: EncodedSnapshot, commit = true): void {
    const db = this.#db!;
    statements.begin.run();
    try {
      statements.deleteAll();
      const { vv, meta, parts, opCount } = snapshot;
      statements.insertSnapshot.run(vv, meta, parts.length, opCount, snapshotHeaderCrc(vv, meta, parts.length, opCount));
      for (let part = 0; part < parts.length; part++) statements.insertPart.run(part, parts[part]!, snapshotPartCrc(part, parts[part]!));
      if (!commit) return;
      if (this.#injectedFailures > 0) {
        this.#injectedFailures -= 1;
        throw Object.assign(new Error('disk I/O error (injected by the test harness)'), { code: 'SQLITE_IOERR_WRITE' });
      }
      statements.commit.run();
    } catch (error) {
      rollbackQuietly(db);
      throw error;
    }
    this.#nextId = 1;
    if (this.#isFile) {
      // The compaction is durable; now give the freed pages back and empty the -wal file.
      db.pragma('incremental_vacuum');
      db.pragma('wal_checkpoint(TRUNCATE)');
    }
  }

  #onWriteError(error: WalError, batch: readonly PendingWrite[]): void {
    const stranded = this.#pending;
    this.#pending = [];
    if (error.code === 'E_WAL_LOCKED') {
      // Nothing was written and the database is intact: refuse these writes, stay usable.
      for (const write of [...batch, ...stranded]) write.reject(error);
      return;
    }
    // The state of the database is unknown: never retry, refuse everything until reopened.
    this.#failure = error;
    for (const write of batch) write.reject(error);
    const failed = this.#failedError();
    for (const write of stranded) write.reject(failed);
  }

  #finishCloseIfIdle(): void {
    if (this.#status !== 'closing' || (this.#pending.length > 0 && this.#failure === undefined)) return;
    let error: WalError | undefined;
    if (this.#isFile) {
      try {
        this.#db?.close();
      } catch (caught) {
        // A failed handle already reported its failure; a healthy one reports this one.
        if (this.#failure === undefined) error = toWalError(caught, 'close', this.path, this.#busyTimeoutMs);
      }
      this.#db = undefined;
      this.#statements = undefined;
      releasePath(this.path, this);
    }
    this.#status = 'closed';
    this.#failure = undefined;
    const waiters = this.#closeWaiters;
    this.#closeWaiters = [];
    for (const settle of waiters) settle(error);
  }

  // ── simulated crash ───────────────────────────────────────────────────────

  #crash(inFlight: SqliteInFlight): void {
    if (this.#dead) return;
    this.#dead = true;
    const db = this.#db;
    const statements = this.#statements;
    const pending = this.#pending;
    this.#pending = [];
    if (db !== undefined && statements !== undefined && this.#failure === undefined && pending.length > 0 && inFlight !== 'lose') {
      try {
        // 'keep': the commits reached the disk but the process died before acknowledging them.
        // 'tear': the process died inside the transaction, which SQLite rolls back on the next open.
        const commit = inFlight === 'keep';
        let start = 0;
        while (start < pending.length) {
          const first = pending[start]!;
          let end = start + 1;
          if (first.kind === 'append') while (end < pending.length && pending[end]!.kind === 'append') end++;
          if (first.kind === 'compact') this.#writeSnapshot(statements, first.snapshot, commit);
          else this.#writeRecords(statements, pending.slice(start, end), commit);
          if (!commit) break;
          start = end;
        }
      } catch {
        // A dead process reports nothing.
      }
    }
    // Dropping the connection releases its locks, as the OS does for a killed process; an open transaction is rolled back.
    closeQuietly(db);
    this.#db = undefined;
    this.#statements = undefined;
    if (this.#isFile) releasePath(this.path, this);
  }

  // ── errors ────────────────────────────────────────────────────────────────

  #details(): { readonly adapter: string; readonly path: string } {
    return { adapter: ADAPTER, path: this.path };
  }

  #failedError(): WalError {
    const cause = this.#failure;
    return new WalError(
      'E_WAL_FAILED',
      `sqlite WAL ${this.path} failed a write earlier (${cause?.message ?? 'unknown'}): the state of the database is unknown, so every call fails until you close() and open() it again`,
      { ...this.#details(), cause },
    );
  }

  #closedError(what: string, hint: string): WalError {
    return new WalError('E_WAL_CLOSED', `sqlite WAL ${this.path} is not open, cannot ${what}: ${hint}`, this.#details());
  }

  #invalid(what: string, error: unknown): WalError {
    const code = isSyncError(error) ? error.code : 'E_INVALID_ARGUMENT';
    return new WalError(code, `sqlite WAL ${this.path} cannot ${what}: ${reason(error)}`, { ...this.#details(), cause: error });
  }

  #corrupt(what: string, cause?: unknown): WalError {
    return new WalError(
      'E_WAL_CORRUPT',
      `sqlite WAL ${this.path} is damaged: ${what}; refusing to open rather than skip acknowledged writes — restore the database from a backup or a replica`,
      cause === undefined ? this.#details() : { ...this.#details(), cause },
    );
  }
}

function prepareStatements(db: Database.Database): Statements {
  const deleteCommits = db.prepare('DELETE FROM wal_commits');
  const deleteSnapshot = db.prepare('DELETE FROM wal_snapshot');
  const deleteParts = db.prepare('DELETE FROM wal_snapshot_ops');
  return {
    begin: db.prepare('BEGIN'),
    commit: db.prepare('COMMIT'),
    insertCommit: db.prepare('INSERT INTO wal_commits (id, records, body, crc) VALUES (?, ?, ?, ?)'),
    insertSnapshot: db.prepare('INSERT INTO wal_snapshot (id, vv, meta, parts, ops, crc) VALUES (1, ?, ?, ?, ?, ?)'),
    insertPart: db.prepare('INSERT INTO wal_snapshot_ops (part, ops, crc) VALUES (?, ?, ?)'),
    selectCommits: db.prepare('SELECT id, records, body, crc FROM wal_commits ORDER BY id').raw(true),
    selectSnapshot: db.prepare('SELECT vv, meta, parts, ops, crc FROM wal_snapshot WHERE id = 1').raw(true),
    selectParts: db.prepare('SELECT part, ops, crc FROM wal_snapshot_ops ORDER BY part').raw(true),
    deleteAll: () => {
      deleteCommits.run();
      deleteParts.run();
      deleteSnapshot.run();
    },
  };
}

/** Rolls back after a failed write, keeping the error that caused it as the one reported. */
function rollbackQuietly(db: Database.Database): void {
  try {
    if (db.inTransaction) db.exec('ROLLBACK');
  } catch {
    // The handle is failed by the original error; a failed rollback changes nothing to that.
  }
}

function closeQuietly(db: Database.Database | undefined): void {
  try {
    db?.close();
  } catch {
    // Releasing a connection that is already broken: the error that broke it was reported.
  }
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function rejected<T>(error: SyncError): Promise<T> {
  return Promise.reject(error);
}

/** What a dead process returns: a promise that never settles. */
function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}
