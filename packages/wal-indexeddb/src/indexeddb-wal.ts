/// <reference lib="dom" />
import {
  SyncError,
  WalError,
  encodeWalRecord,
  encodeWalSnapshot,
  isSyncError,
  type Wal,
  type WalCapabilities,
  type WalRecord,
  type WalRecovery,
  type WalSnapshot,
} from '@softadastra/sync-core';
import { ADAPTER, toIdbWalError } from './idb-errors.js';
import {
  FORMAT_KEY,
  FORMAT_MARKER,
  RECORDS,
  SCHEMA_VERSION,
  SNAPSHOT_KEY,
  STATE,
  decodeRecordRow,
  decodeSnapshotRow,
  recordRow,
  snapshotRow,
} from './row-format.js';

/** Options of {@link createIndexedDbWal}. */
/**
 * The platform's `IDBFactory` (`indexedDB`), named without the DOM library,
 * so that a Node project compiles against these types without `"lib": ["DOM"]`.
 */
export type IndexedDbFactory = typeof globalThis extends { readonly indexedDB: infer F } ? F : object;

export interface IndexedDbWalOptions {
  /**
   * The database name: one database per space and peer (e.g.
   * `softadastra:team:<peerId>`). Created on the first `open()`.
   */
  readonly name: string;
  /**
   * The IndexedDB factory to use: `fake-indexeddb`'s in tests, a worker's
   * `self.indexedDB`, or a wrapped one.
   * @default globalThis.indexedDB
   */
  readonly indexedDB?: IndexedDbFactory;
  /**
   * How long `open()` waits for the database before failing with
   * `E_WAL_LOCKED`: an open waits behind another tab's pending deletion or
   * version change for as long as that tab keeps its connection.
   * @default 10000
   */
  readonly openTimeoutMs?: number;
  /**
   * Whether to hold a Web Lock (`navigator.locks`) named after the database
   * while open, so that a second tab opening the same WAL is refused with
   * `E_WAL_LOCKED` instead of appending under the same peer id. Ignored where
   * the Web Locks API is missing. A second handle in the same realm on the
   * same factory and name is refused in any case.
   * @default true
   */
  readonly lock?: boolean;
}

/** A {@link Wal} in an IndexedDB database. */
export interface IndexedDbWal extends Wal {
  /** The database name. */
  readonly name: string;
}

/** What a simulated crash does to the writes not yet committed (see the conformance harness). */
export type IndexedDbInFlight = 'lose' | 'keep' | 'tear';

/**
 * Levers the conformance harness pulls to simulate a write that does not
 * complete and a tab that dies.
 *
 * @internal
 */
export interface IndexedDbWalLevers {
  /** Defers transactions: appends are accepted but stay pending until {@link IndexedDbWalLevers.releaseWrites}. */
  holdWrites(): void;
  /** Starts what was held, and lets later writes run normally. */
  releaseWrites(): void;
  /**
   * Dies as a closed tab would: the connection is dropped and no promise of
   * the handle settles again. A transaction not yet committed vanishes whole
   * (`'lose'`, and `'tear'`: IndexedDB has no torn writes), or the held
   * writes are committed without being acknowledged (`'keep'`). Resolves when
   * what is kept is committed.
   */
  crash(inFlight?: IndexedDbInFlight): Promise<void>;
}

const DEFAULT_OPEN_TIMEOUT_MS = 10_000;
const CAPABILITIES: WalCapabilities = Object.freeze({ durable: true, atomicBatch: true, compaction: true, detectsCorruptTail: true });
const STRICT: IDBTransactionOptions = { durability: 'strict' };

/**
 * Creates a write-ahead log in an IndexedDB database, for browsers and workers.
 *
 * @remarks
 * The raw IndexedDB API, no wrapper library. Every append issued in the same
 * tick joins one `readwrite` transaction opened with `{ durability: 'strict' }`
 * (group commit), one row per record, keyed by a contiguous seq; `append()`
 * resolves on the transaction's `complete` event. A transaction aborted for
 * any reason is rolled back whole, so a failed append leaves nothing behind.
 * `compact()` clears the records and writes the snapshot in one transaction.
 * Rows are core's WAL codec bytes with a CRC-32. Failures are typed
 * {@link WalError}s with `adapter: 'indexeddb'`: `E_STORAGE_QUOTA`,
 * `E_WAL_CLOSED`, `E_WAL_LOCKED`, `E_WAL_FAILED`, `E_WAL_CORRUPT`.
 *
 * The handle is not opened yet: call `open()` (the engine does).
 *
 * @example
 * ```ts
 * const wal = createIndexedDbWal({ name: `softadastra:team:${peerId}` });
 * const engine = await createSyncEngine({ wal, peerId, space: 'team' });
 * ```
 *
 * @param options - the database name, and the factory to use
 * @throws SyncError `E_INVALID_ARGUMENT` for a bad option; `E_WAL_FAILED`
 * when there is no IndexedDB here and none was passed
 */
export function createIndexedDbWal(options: IndexedDbWalOptions): IndexedDbWal {
  if (typeof options !== 'object' || options === null) throw new SyncError('E_INVALID_ARGUMENT', 'createIndexedDbWal needs options: { name }');
  const { name } = options;
  if (typeof name !== 'string' || name.length === 0) {
    throw new SyncError('E_INVALID_ARGUMENT', `name must be a non-empty database name, got ${name === '' ? 'an empty string' : typeof name}`);
  }
  const openTimeoutMs = options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
  if (typeof openTimeoutMs !== 'number' || !Number.isInteger(openTimeoutMs) || openTimeoutMs <= 0 || openTimeoutMs > 0x7fffffff) {
    throw new SyncError('E_INVALID_ARGUMENT', `openTimeoutMs must be a positive integer number of milliseconds, got ${String(openTimeoutMs)}`);
  }
  const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (factory === undefined || factory === null || typeof factory.open !== 'function') {
    throw new WalError(
      'E_WAL_FAILED',
      options.indexedDB === undefined
        ? 'there is no IndexedDB here (globalThis.indexedDB is missing): run in a browser or a worker, or pass `indexedDB` (e.g. fake-indexeddb in Node)'
        : 'options.indexedDB is not an IDBFactory (it has no open())',
      { adapter: ADAPTER, path: name },
    );
  }
  return new IndexedDbWalHandle(name, factory, openTimeoutMs, options.lock ?? true);
}

/**
 * The levers of a handle made by {@link createIndexedDbWal}, for the conformance harness.
 *
 * @internal
 * @throws SyncError `E_INVALID_ARGUMENT` for a WAL that is not an IndexedDB one
 */
export function indexedDbWalLevers(wal: Wal): IndexedDbWalLevers {
  if (!(wal instanceof IndexedDbWalHandle)) throw new SyncError('E_INVALID_ARGUMENT', 'not a WAL made by createIndexedDbWal');
  return wal.levers;
}

/** One write waiting for its transaction. */
type PendingWrite = {
  readonly kind: 'append' | 'compact';
  readonly bytes: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (error: WalError) => void;
};

/** The databases held open in this realm, per factory: a second handle on the same one is refused. */
const held = new WeakMap<IDBFactory, Set<string>>();

class IndexedDbWalHandle implements IndexedDbWal {
  readonly capabilities = CAPABILITIES;
  readonly name: string;
  readonly levers: IndexedDbWalLevers;
  readonly #factory: IDBFactory;
  readonly #openTimeoutMs: number;
  readonly #lock: boolean;
  #db: IDBDatabase | undefined;
  #status: 'closed' | 'opening' | 'open' | 'closing' = 'closed';
  /** Set once a write failed or the connection was lost: every call refuses until reopened. */
  #failure: WalError | undefined;
  /** Set by a simulated crash: a dead tab does nothing more. */
  #dead = false;
  #pending: PendingWrite[] = [];
  #scheduled = false;
  #held = false;
  /** The transaction in flight, and its batch. */
  #inFlight: { readonly tx: IDBTransaction; readonly batch: PendingWrite[] } | undefined;
  /** The seq of the next record. */
  #nextSeq = 1;
  #releaseLock: (() => void) | undefined;
  #closeWaiters: (() => void)[] = [];

  constructor(name: string, factory: IDBFactory, openTimeoutMs: number, lock: boolean) {
    this.name = name;
    this.#factory = factory;
    this.#openTimeoutMs = openTimeoutMs;
    this.#lock = lock;
    this.levers = {
      holdWrites: () => {
        this.#held = true;
      },
      releaseWrites: () => {
        this.#held = false;
        this.#flush();
      },
      crash: (inFlight) => this.#crash(inFlight ?? 'lose'),
    };
  }

  open(): Promise<WalRecovery> {
    if (this.#dead) return never();
    if (this.#status === 'open') {
      return rejected(this.#failure ?? new WalError('E_INVALID_ARGUMENT', `${this.#where} is already open: close() it before opening again`, this.#details()));
    }
    if (this.#status === 'opening') return rejected(new WalError('E_INVALID_ARGUMENT', `${this.#where} is already opening: await that open() first`, this.#details()));
    if (this.#status === 'closing') return rejected(this.#closedError('open', 'wait for close() to resolve first'));
    this.#status = 'opening';
    return this.#open().then(
      (recovery) => {
        this.#status = 'open';
        this.#failure = undefined;
        return recovery;
      },
      (error: unknown) => {
        this.#status = 'closed';
        throw toIdbWalError(error, 'open', this.name);
      },
    );
  }

  append(record: WalRecord): Promise<void> {
    return this.#write('append', record, encodeWalRecord);
  }

  compact(snapshot: WalSnapshot): Promise<void> {
    return this.#write('compact', snapshot, encodeWalSnapshot);
  }

  close(): Promise<void> {
    if (this.#dead) return never();
    if (this.#status === 'closed') return Promise.resolve();
    if (this.#status === 'opening') return rejected(new WalError('E_INVALID_ARGUMENT', `${this.#where} is opening: await open() before close()`, this.#details()));
    this.#status = 'closing';
    const closed = new Promise<void>((resolve) => this.#closeWaiters.push(resolve));
    this.#flush();
    this.#finishCloseIfIdle();
    return closed;
  }

  get #where(): string {
    return `indexeddb WAL ${JSON.stringify(this.name)}`;
  }

  #details(): { adapter: string; path: string } {
    return { adapter: ADAPTER, path: this.name };
  }

  // ── open and replay ───────────────────────────────────────────────────────

  async #open(): Promise<WalRecovery> {
    let claims = held.get(this.#factory);
    if (claims === undefined) held.set(this.#factory, (claims = new Set()));
    if (claims.has(this.name)) {
      throw new WalError('E_WAL_LOCKED', `${this.#where} is already open through another handle in this page or worker: close() that one first`, this.#details());
    }
    claims.add(this.name);
    try {
      this.#releaseLock = await this.#acquireWebLock();
      const db = await this.#connect();
      try {
        const recovery = await this.#replay(db);
        db.onversionchange = () => this.#lostConnection(db, 'versionchange');
        db.onclose = () => this.#lostConnection(db, 'close');
        this.#db = db;
        return recovery;
      } catch (error) {
        db.close();
        throw error;
      }
    } catch (error) {
      this.#release();
      throw error;
    }
  }

  /** Takes the Web Lock named after the database, if the API is there; refuses when another tab holds it. */
  async #acquireWebLock(): Promise<(() => void) | undefined> {
    const locks = this.#lock ? (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks : undefined;
    if (locks === undefined || typeof locks.request !== 'function') return undefined;
    let release!: () => void;
    const holding = new Promise<void>((resolve) => (release = resolve));
    const granted = await new Promise<boolean>((resolve, reject) => {
      locks
        .request(`softadastra-wal-indexeddb:${this.name}`, { ifAvailable: true }, (lock) => {
          resolve(lock !== null);
          return lock === null ? undefined : holding;
        })
        .catch(reject);
    });
    if (!granted) {
      throw new WalError(
        'E_WAL_LOCKED',
        `${this.#where} is open in another tab or worker of this site (its Web Lock is held): one writer per WAL — close it there first, or give each tab its own peer and database`,
        this.#details(),
      );
    }
    return release;
  }

  /** Opens the connection, creating the schema in a new database. */
  #connect(): Promise<IDBDatabase> {
    return new Promise<IDBDatabase>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      let request: IDBOpenDBRequest;
      try {
        request = this.#factory.open(this.name, SCHEMA_VERSION);
      } catch (error) {
        // SecurityError: the browser refuses storage to this page (opaque origin, storage blocked).
        reject(toIdbWalError(error, 'open', this.name));
        return;
      }
      const timer = setTimeout(
        () =>
          settle(() =>
            reject(
              new WalError(
                'E_WAL_LOCKED',
                `${this.#where}: open did not complete within ${this.#openTimeoutMs} ms: another tab or connection holds the database while a deletion or version change of it waits — close the other tabs of this site, then open() again`,
                this.#details(),
              ),
            ),
          ),
        this.#openTimeoutMs,
      );
      request.onupgradeneeded = (event) => {
        const db = request.result;
        if (event.oldVersion !== 0) return; // no older schema exists yet
        db.createObjectStore(RECORDS);
        db.createObjectStore(STATE).put(FORMAT_MARKER, FORMAT_KEY);
      };
      request.onblocked = () =>
        settle(() =>
          reject(
            new WalError(
              'E_WAL_LOCKED',
              `${this.#where}: open is blocked by another tab or connection that keeps an older version of the database open: close the other tabs of this site, then open() again`,
              this.#details(),
            ),
          ),
        );
      request.onsuccess = () => {
        const db = request.result;
        if (settled) {
          // Too late: open() already failed. Do not keep a connection nobody will close.
          db.close();
          return;
        }
        settle(() => resolve(db));
      };
      request.onerror = (event) => {
        event.preventDefault();
        settle(() => reject(toIdbWalError(request.error, 'open', this.name)));
      };
    });
  }

  #replay(db: IDBDatabase): Promise<WalRecovery> {
    if (!db.objectStoreNames.contains(RECORDS) || !db.objectStoreNames.contains(STATE)) {
      const stores = Array.from(db.objectStoreNames);
      throw new WalError(
        'E_WAL_FAILED',
        `${this.#where} is not a Softadastra WAL: it has the object stores [${stores.join(', ')}], not "${RECORDS}" and "${STATE}" — it belongs to another application; choose another database name (it was left untouched)`,
        this.#details(),
      );
    }
    return new Promise<WalRecovery>((resolve, reject) => {
      const tx = db.transaction([RECORDS, STATE], 'readonly');
      const state = tx.objectStore(STATE);
      const records = tx.objectStore(RECORDS);
      const format = state.get(FORMAT_KEY);
      const snapshot = state.get(SNAPSHOT_KEY);
      const keys = records.getAllKeys();
      const values = records.getAll();
      tx.onabort = () => reject(toIdbWalError(tx.error ?? new DOMException('the read transaction was aborted', 'AbortError'), 'open', this.name));
      tx.oncomplete = () => {
        try {
          resolve(this.#recover(format.result, snapshot.result, keys.result, values.result));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      };
    });
  }

  #recover(format: unknown, snapshotValue: unknown, keys: IDBValidKey[], values: unknown[]): WalRecovery {
    const marker = format as { format?: unknown; version?: unknown } | undefined;
    if (marker?.format !== FORMAT_MARKER.format) {
      throw new WalError(
        'E_WAL_FAILED',
        `${this.#where} is not a Softadastra WAL: its "${STATE}" store has no format marker — it belongs to another application; choose another database name (it was left untouched)`,
        this.#details(),
      );
    }
    if (marker.version !== FORMAT_MARKER.version) {
      throw new WalError('E_WAL_FAILED', `${this.#where} has row format ${String(marker.version)}; this build reads ${FORMAT_MARKER.version}: upgrade this app`, this.#details());
    }
    let snapshot: WalSnapshot | undefined;
    let after = 0;
    if (snapshotValue !== undefined) {
      const decoded = decodeSnapshotRow(snapshotValue);
      if (typeof decoded === 'string') throw this.#corrupt(`the snapshot row is damaged: ${decoded}`);
      snapshot = decoded.snapshot;
      after = decoded.after;
    }
    const records: WalRecord[] = [];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const expected = after + 1 + i;
      if (key !== expected) {
        throw this.#corrupt(
          typeof key === 'number' && key > expected
            ? `records ${expected}…${key - 1} are missing (record ${i} after the snapshot is stored as seq ${key})`
            : `record ${i} after the snapshot has the key ${JSON.stringify(key)}, expected seq ${expected}`,
        );
      }
      const decoded = decodeRecordRow(values[i], expected);
      if (typeof decoded === 'string') {
        const later = keys.length - 1 - i;
        throw this.#corrupt(`record ${i} (seq ${expected}${later === 0 ? ', the last one' : `, ${later} record${later === 1 ? '' : 's'} after it`}) is damaged: ${decoded}`);
      }
      records.push(decoded);
    }
    this.#nextSeq = after + 1 + keys.length;
    // IndexedDB commits transactions whole: there is never a torn tail to cut, so no repair to report.
    return { snapshot, records };
  }

  #corrupt(what: string): WalError {
    return new WalError(
      'E_WAL_CORRUPT',
      `${this.#where}: ${what}; refusing to open rather than replay or drop acknowledged writes — restore the data from a replica (e.g. delete the database and sync again)`,
      this.#details(),
    );
  }

  // ── writes: group commit ──────────────────────────────────────────────────

  #write<T>(kind: PendingWrite['kind'], input: T, encode: (input: T) => Uint8Array): Promise<void> {
    if (this.#dead) return never();
    if (this.#status === 'open' && this.#failure !== undefined) return rejected(this.#failure);
    if (this.#status !== 'open') return rejected(this.#closedError(kind, this.#status === 'closing' ? 'it is closing' : 'call open() first'));
    let bytes: Uint8Array;
    try {
      bytes = encode(input);
    } catch (error) {
      const code = isSyncError(error) ? error.code : 'E_INVALID_ARGUMENT';
      return rejected(new WalError(code, `${this.#where} cannot ${kind} this ${kind === 'append' ? 'record' : 'snapshot'}: ${reason(error)}`, { ...this.#details(), cause: error }));
    }
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ kind, bytes, resolve, reject });
      this.#schedule();
    });
  }

  /** Starts a transaction on the next microtask, so that every append issued in this tick joins it. */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  /**
   * Starts the next transaction unless one is in flight: every pending append
   * up to the next compaction, in call order, or one compaction. One at a
   * time, so that a transaction that fails is never followed by a later one
   * that commits (no hole in the log).
   */
  #flush(): void {
    if (this.#dead || this.#held || this.#inFlight !== undefined || this.#pending.length === 0) return;
    const db = this.#db;
    if (db === undefined || this.#failure !== undefined) return;
    let count = 1;
    if (this.#pending[0]!.kind === 'append') while (count < this.#pending.length && this.#pending[count]!.kind === 'append') count++;
    const batch = this.#pending.splice(0, count);
    const first = batch[0]!;
    let tx: IDBTransaction;
    try {
      tx = first.kind === 'append' ? db.transaction(RECORDS, 'readwrite', STRICT) : db.transaction([RECORDS, STATE], 'readwrite', STRICT);
    } catch (error) {
      // InvalidStateError: the connection is closing (lost to another tab or the browser). Nothing was written.
      this.#fail(batch, toIdbWalError(error, first.kind, this.name));
      return;
    }
    this.#inFlight = { tx, batch };
    const seq = this.#nextSeq;
    let thrown: unknown;
    tx.oncomplete = () => {
      if (this.#dead) return;
      this.#inFlight = undefined;
      if (first.kind === 'append') this.#nextSeq = seq + batch.length;
      for (const write of batch) write.resolve();
      this.#flush();
      this.#finishCloseIfIdle();
    };
    tx.onabort = () => {
      if (this.#dead) return;
      this.#inFlight = undefined;
      const cause = thrown ?? tx.error ?? new DOMException('the transaction was aborted', 'AbortError');
      this.#fail(batch, toIdbWalError(cause, first.kind, this.name));
    };
    try {
      if (first.kind === 'append') {
        const store = tx.objectStore(RECORDS);
        for (let i = 0; i < batch.length; i++) store.add(recordRow(batch[i]!.bytes, seq + i), seq + i);
      } else {
        tx.objectStore(RECORDS).clear();
        tx.objectStore(STATE).put(snapshotRow(first.bytes, seq - 1), SNAPSHOT_KEY);
      }
    } catch (error) {
      // A request refused at once (QuotaExceededError, DataCloneError, InvalidStateError): roll back what was queued.
      thrown = error;
      try {
        tx.abort();
      } catch {
        // Already aborting: its abort event reports the error.
      }
    }
  }

  /** A write failed: the batch and everything pending are refused, and the handle refuses every call until reopened. */
  #fail(batch: readonly PendingWrite[], error: WalError): void {
    const later =
      error.code === 'E_WAL_CLOSED'
        ? error
        : new WalError(
            'E_WAL_FAILED',
            `${this.#where} failed a write (${error.message}); nothing of it was stored, and every call fails until you close() and open() the WAL again`,
            { ...this.#details(), cause: error },
          );
    this.#failure ??= later;
    const pending = this.#pending;
    this.#pending = [];
    for (const write of batch) write.reject(error.code === 'E_STORAGE_QUOTA' || error.code === 'E_WAL_CLOSED' ? error : later);
    for (const write of pending) write.reject(this.#failure);
    this.#finishCloseIfIdle();
  }

  /** Another tab deletes or upgrades the database, or the browser closed the connection. */
  #lostConnection(db: IDBDatabase, why: 'versionchange' | 'close'): void {
    if (this.#dead || db !== this.#db) return;
    // Let the other side go on: close now (a transaction in flight still completes, and is acknowledged).
    db.close();
    const error = new WalError(
      'E_WAL_CLOSED',
      why === 'versionchange'
        ? `${this.#where} was closed because another tab or connection is deleting or upgrading the database; appends from now on are refused (none is half-stored) — close() and open() the WAL again (after a deletion it opens empty: sync it again from a replica)`
        : `${this.#where} was closed by the browser (site data cleared, storage evicted, or a storage failure); appends from now on are refused (none is half-stored) — close() and open() the WAL again`,
      this.#details(),
    );
    this.#failure ??= error;
    const pending = this.#pending;
    this.#pending = [];
    for (const write of pending) write.reject(error);
    this.#finishCloseIfIdle();
  }

  #finishCloseIfIdle(): void {
    if (this.#status !== 'closing' || this.#inFlight !== undefined || (this.#pending.length > 0 && this.#failure === undefined)) return;
    this.#status = 'closed';
    this.#failure = undefined;
    this.#db?.close();
    this.#db = undefined;
    this.#release();
    const waiters = this.#closeWaiters;
    this.#closeWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #release(): void {
    held.get(this.#factory)?.delete(this.name);
    this.#releaseLock?.();
    this.#releaseLock = undefined;
  }

  #closedError(what: string, hint: string): WalError {
    return new WalError('E_WAL_CLOSED', `${this.#where} is not open, cannot ${what}: ${hint}`, this.#details());
  }

  // ── simulated crash ───────────────────────────────────────────────────────

  #crash(inFlight: IndexedDbInFlight): Promise<void> {
    if (this.#dead) return Promise.resolve();
    this.#dead = true;
    const db = this.#db;
    let kept: Promise<void> = Promise.resolve();
    const running = this.#inFlight?.tx;
    if (running !== undefined && inFlight !== 'keep') {
      try {
        running.abort();
      } catch {
        // Already committing: it lands whole, as a transaction that committed just before the crash.
      }
    }
    if (db !== undefined && inFlight === 'keep' && this.#pending.length > 0 && this.#failure === undefined) {
      // The writes reached the storage, the acknowledgement did not: commit them, tell no one.
      const writes = this.#pending;
      const first = writes[0]!;
      kept = new Promise<void>((resolve) => {
        const tx = first.kind === 'append' ? db.transaction(RECORDS, 'readwrite', STRICT) : db.transaction([RECORDS, STATE], 'readwrite', STRICT);
        if (first.kind === 'append') {
          let seq = this.#nextSeq;
          for (const write of writes) {
            if (write.kind !== 'append') break;
            tx.objectStore(RECORDS).add(recordRow(write.bytes, seq), seq);
            seq++;
          }
        } else {
          tx.objectStore(RECORDS).clear();
          tx.objectStore(STATE).put(snapshotRow(first.bytes, this.#nextSeq - 1), SNAPSHOT_KEY);
        }
        tx.oncomplete = () => resolve();
        tx.onabort = () => resolve();
      });
    }
    // 'lose' and 'tear': what was not committed vanishes whole; IndexedDB never stores part of a transaction.
    this.#pending = [];
    db?.close();
    this.#db = undefined;
    this.#release();
    return kept;
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function rejected<T>(error: SyncError): Promise<T> {
  return Promise.reject(error);
}

/** What a dead tab returns: a promise that never settles. */
function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

