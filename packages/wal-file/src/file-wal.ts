import {
  SyncError,
  WalError,
  decodeWalRecord,
  decodeWalSnapshot,
  encodeWalRecord,
  encodeWalSnapshot,
  isSyncError,
  opIdKey,
  type SyncErrorCode,
  type Wal,
  type WalCapabilities,
  type WalRecord,
  type WalRecovery,
  type WalRepair,
  type WalSnapshot,
} from '@softadastra/sync-core';
import { joinPath, type AppendHandle, type WalFileSystem } from './file-system.js';
import { nodeFileSystem } from './node-file-system.js';
import {
  HEADER_BYTES,
  RECORD_HEADER_BYTES,
  SEGMENT_MAGIC,
  SNAPSHOT_MAGIC,
  checkHeader,
  classifyTail,
  encodeHeader,
  findValidRecordAfter,
  frameRecord,
  parseName,
  readRecord,
  segmentName,
  snapshotName,
} from './segment-format.js';

/** Options of {@link createFileWal}. */
export interface FileWalOptions {
  /** The directory holding the log (created if missing). One WAL per directory. */
  readonly dir: string;
  /**
   * File access; inject a simulated file system in tests.
   * @default nodeFileSystem()
   */
  readonly fs?: WalFileSystem;
  /**
   * `'fsync'`: `append()` resolves after the data is fsynced (fdatasync) — it
   * survives a crash of the process and of the machine. `'none'`: it resolves
   * once written to the operating system — it survives a crash of the
   * process, not of the machine (for tests and caches).
   * @default 'fsync'
   */
  readonly durability?: 'fsync' | 'none';
  /**
   * Size at which a new segment file is started, in bytes.
   * @default 67108864 (64 MiB)
   */
  readonly segmentBytes?: number;
  /**
   * Largest record accepted, in bytes (larger appends reject with `E_TOO_LARGE`;
   * larger lengths found on disk are damage).
   * @default 268435456 (256 MiB)
   */
  readonly maxRecordBytes?: number;
  /**
   * Opens the log to read it and changes nothing: no torn tail is cut (the
   * repair `open()` would make is still reported in `repair`), no leftover
   * file removed, nothing fsynced; `append()` and `compact()` reject with
   * `E_INVALID_ARGUMENT`. For `softadastra wal verify` and other inspections.
   * The directory lock is still taken, so a live writer is never read mid-write.
   * @default false
   */
  readonly readOnly?: boolean;
  /**
   * A known defect switched on by the simulator of `@softadastra/sync-testing`
   * to prove it catches it: `'torn-tail-over-truncation'` makes the torn-tail
   * repair cut the last whole record too. Never set it in production.
   * @internal
   */
  readonly plant?: FileWalPlantedBug;
}

/**
 * Known defects of the file WAL that the simulator switches on (see {@link FileWalOptions.plant}).
 * @internal
 */
export type FileWalPlantedBug = 'torn-tail-over-truncation';

/** A {@link Wal} in a directory of segment files. */
export interface FileWal extends Wal {
  /** The directory holding the log. */
  readonly dir: string;
}

type Job =
  | { readonly kind: 'append'; readonly frame: Uint8Array; readonly resolve: () => void; readonly reject: (error: unknown) => void }
  | { readonly kind: 'compact'; readonly snapshot: Uint8Array; readonly resolve: () => void; readonly reject: (error: unknown) => void };

const ADAPTER = 'file';

/**
 * Creates a write-ahead log in a directory of append-only segment files,
 * crash-safe and group-committed.
 *
 * @remarks
 * - Records are framed with their length and a CRC-32; concurrent appends are
 *   written with one `write` and made durable with one fsync (group commit),
 *   and recovered in call order.
 * - New segments and snapshots are written to a temporary file, fsynced,
 *   renamed, and the directory fsynced.
 * - On open, a torn tail (a last record cut short: fewer bytes than its
 *   header announces, or a partial header) is truncated and fsynced, and
 *   reported in `repair`; a damaged record that is whole — even the last one —
 *   and damage followed by valid records are refused with `E_WAL_CORRUPT`,
 *   naming the file and byte offset. Every segment read is fsynced, and the
 *   directory, before `open()` resolves: what a dead process left in the page
 *   cache is made durable before anything is built on it.
 * - A failed write or fsync fails the WAL: every later call rejects with
 *   `E_WAL_FAILED` until it is closed and opened again (fsyncs are never retried).
 * - `compact()` writes a snapshot, then removes the segments it replaces.
 *
 * The format is specified in docs/wal-format.md.
 *
 * @param options - see {@link FileWalOptions}
 */
export function createFileWal(options: FileWalOptions): FileWal {
  return new FileWalImpl(options);
}

class FileWalImpl implements FileWal {
  readonly dir: string;
  readonly capabilities: WalCapabilities;
  readonly #fs: WalFileSystem;
  readonly #sync: boolean;
  readonly #segmentBytes: number;
  readonly #maxRecordBytes: number;
  readonly #readOnly: boolean;
  readonly #plant: FileWalPlantedBug | undefined;
  #state: 'closed' | 'opening' | 'open' | 'failed' | 'closing' = 'closed';
  #failure: unknown;
  #release: (() => Promise<void>) | undefined;
  /** The segment appends go to; `durable` is how many of its bytes are known to be on disk. */
  #segment: { readonly n: number; readonly path: string; handle: AppendHandle | undefined; durable: number } | undefined;
  #nextNumber = 1;
  #queue: Job[] = [];
  /** The truncation of unacknowledged bytes after a failure, if one is under way. */
  #cutting: Promise<void> | undefined;
  #flushing = false;
  #idle: Array<() => void> = [];

  constructor(options: FileWalOptions) {
    if (typeof options.dir !== 'string' || options.dir.length === 0) throw new SyncError('E_INVALID_ARGUMENT', 'createFileWal needs a `dir`');
    this.dir = options.dir.replace(/\/+$/, '') || '/';
    this.#fs = options.fs ?? nodeFileSystem();
    this.#sync = (options.durability ?? 'fsync') === 'fsync';
    this.#segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.#maxRecordBytes = options.maxRecordBytes ?? 256 * 1024 * 1024;
    this.#readOnly = options.readOnly === true;
    this.#plant = options.plant;
    if (!(this.#segmentBytes > HEADER_BYTES)) throw new SyncError('E_INVALID_ARGUMENT', `segmentBytes must be above ${HEADER_BYTES}`);
    this.capabilities = Object.freeze({ durable: true, atomicBatch: true, compaction: true, detectsCorruptTail: true });
  }

  #path(name: string): string {
    return joinPath(this.dir, name);
  }

  #error(code: SyncErrorCode, message: string, path: string | undefined, cause?: unknown): WalError {
    return new WalError(code, message, { adapter: ADAPTER, ...(path !== undefined ? { path } : {}), ...(cause !== undefined ? { cause } : {}) });
  }

  // ── open and recovery ─────────────────────────────────────────────────────

  async open(): Promise<WalRecovery> {
    if (this.#state !== 'closed') {
      throw this.#error('E_INVALID_ARGUMENT', `file WAL ${this.dir} is already open (state ${this.#state}): close() it first`, this.dir);
    }
    this.#state = 'opening';
    try {
      const recovery = await this.#recover();
      this.#state = 'open';
      return recovery;
    } catch (error) {
      await this.#releaseLock();
      this.#state = 'closed';
      if (isSyncError(error)) throw error;
      throw this.#error('E_WAL_FAILED', `file WAL ${this.dir} could not be opened: ${describe(error)}`, this.dir, error);
    }
  }

  async #recover(): Promise<WalRecovery> {
    const fs = this.#fs;
    if (!this.#readOnly) await fs.mkdir(this.dir);
    if (fs.lock !== undefined) {
      try {
        this.#release = await fs.lock(this.dir);
      } catch (error) {
        if ((error as { code?: string }).code === 'ELOCKED') {
          throw this.#error('E_WAL_LOCKED', `file WAL ${this.dir} is in use by another process or handle (${describe(error)}): close that one first`, this.dir, error);
        }
        throw error;
      }
    }
    const names = await fs.list(this.dir);
    const segments: number[] = [];
    const snapshots: number[] = [];
    for (const name of names) {
      if (name.endsWith('.tmp')) {
        if (!this.#readOnly) await fs.remove(this.#path(name));
        continue;
      }
      const parsed = parseName(name);
      if (parsed?.kind === 'segment') segments.push(parsed.n);
      else if (parsed?.kind === 'snapshot') snapshots.push(parsed.n);
    }
    segments.sort((a, b) => a - b);
    snapshots.sort((a, b) => a - b);

    let snapshot: WalSnapshot | undefined;
    let base = 1;
    const newest = snapshots[snapshots.length - 1];
    if (newest !== undefined) {
      snapshot = await this.#readSnapshot(newest);
      base = newest;
    }
    // Files a finished compaction replaced (its removals may not have reached the disk).
    if (!this.#readOnly) {
      for (const n of segments) if (n < base) await fs.remove(this.#path(segmentName(n)));
      for (const n of snapshots) if (n < base) await fs.remove(this.#path(snapshotName(n)));
    }
    const live = segments.filter((n) => n >= base);
    // Segments are numbered without gaps from the snapshot's base (or 1): a gap means lost records.
    for (let i = 0; i < live.length; i++) {
      const expected = i === 0 ? base : live[i - 1]! + 1;
      if (live[i] !== expected) {
        throw this.#error(
          'E_WAL_CORRUPT',
          `file WAL ${this.dir} is missing segment ${segmentName(expected)} (found ${segmentName(live[i]!)}): records were lost; restore the directory or resync this peer from others`,
          this.#path(segmentName(expected)),
        );
      }
    }

    const records: WalRecord[] = [];
    let repair: WalRepair | undefined;
    for (let i = 0; i < live.length; i++) {
      const n = live[i]!;
      const path = this.#path(segmentName(n));
      const isLast = i === live.length - 1;
      const read = await this.#readSegment(path, n, isLast, records);
      repair = read.repair;
      if (isLast) this.#segment = { n, path, handle: undefined, durable: read.size };
    }
    this.#nextNumber = live.length > 0 ? live[live.length - 1]! + 1 : base;
    if (this.#readOnly) return { snapshot, records, ...(repair === undefined ? {} : { repair }) };
    // What was read may sit only in the page cache: a process that died before its fsync leaves its
    // writes there, readable by this open, and a power loss later would take them away, with
    // whatever the engine built on them (acks sent, seqs reused). Make every segment read durable
    // before returning — file data, then the directory's entries (renames, removals, the cut tail).
    for (const n of live) {
      const path = this.#path(segmentName(n));
      const handle = await fs.openAppend(path);
      try {
        await handle.sync();
      } catch (error) {
        await handle.close().catch(() => undefined);
        throw error;
      }
      if (this.#segment?.path === path) this.#segment.handle = handle;
      else await handle.close();
    }
    await fs.syncDir(this.dir);
    return { snapshot, records, ...(repair === undefined ? {} : { repair }) };
  }

  async #readSnapshot(n: number): Promise<WalSnapshot> {
    const path = this.#path(snapshotName(n));
    const bytes = await this.#fs.readFile(path);
    const corrupt = (reason: string, cause?: unknown): WalError =>
      this.#error('E_WAL_CORRUPT', `file WAL snapshot ${path} is damaged: ${reason}; restore the directory or resync this peer from others`, path, cause);
    if (bytes === undefined) throw corrupt('it disappeared while opening');
    const header = checkHeader(bytes, SNAPSHOT_MAGIC);
    if (!header.ok) throw corrupt(header.reason);
    if (header.n !== n) throw corrupt(`its header says ${header.n}, its name ${n}`);
    const record = readRecord(bytes, HEADER_BYTES, this.#maxRecordBytes);
    if (record === undefined || record.next !== bytes.length) throw corrupt(`its content at byte ${HEADER_BYTES} is incomplete or fails its checksum`);
    try {
      return decodeWalSnapshot(record.payload);
    } catch (error) {
      throw corrupt(describe(error), error);
    }
  }

  /** Reads one segment's records into `records`; truncates a torn tail of the last one, and says what it cut. */
  async #readSegment(path: string, n: number, isLast: boolean, records: WalRecord[]): Promise<{ size: number; repair: WalRepair | undefined }> {
    const bytes = await this.#fs.readFile(path);
    const corrupt = (offset: number, reason: string, cause?: unknown): WalError =>
      this.#error(
        'E_WAL_CORRUPT',
        `file WAL segment ${path} is damaged at byte ${offset}: ${reason}; refusing to open rather than skip data — restore the directory or resync this peer from others`,
        path,
        cause,
      );
    if (bytes === undefined) throw corrupt(0, 'it disappeared while opening');
    const header = checkHeader(bytes, SEGMENT_MAGIC);
    if (!header.ok) throw corrupt(0, header.reason);
    if (header.n !== n) throw corrupt(8, `its header says segment ${header.n}, its name ${n}`);
    let at = HEADER_BYTES;
    let previous: number | undefined;
    for (;;) {
      const record = readRecord(bytes, at, this.#maxRecordBytes);
      if (record === undefined) break;
      try {
        records.push(decodeWalRecord(record.payload));
      } catch (error) {
        throw corrupt(at, `a record passes its checksum but cannot be decoded (${describe(error)})`, error);
      }
      previous = at;
      at = record.next;
    }
    if (at === bytes.length) return { size: at, repair: undefined };
    const tail = classifyTail(bytes, at, this.#maxRecordBytes);
    const ids = opIdsIn(tail.payload);
    const holding = ids === undefined ? '' : ` (holding ops ${ids.join(', ')})`;
    if (!isLast) throw corrupt(at, `${tail.reason}${holding}, in a segment that is not the last`);
    const validAfter = findValidRecordAfter(bytes, at, this.#maxRecordBytes);
    if (validAfter !== undefined) throw corrupt(at, `${tail.reason}${holding}, followed by a valid record at byte ${validAfter}`);
    // Whole on disk means written whole, and maybe acknowledged: damage, not a torn write, even at the end.
    if (!tail.torn) throw corrupt(at, `${tail.reason}${holding}, as the last record: it was written whole, so this is damage, not a torn write`);
    // A torn tail: the write that was under way when the process or machine died.
    const repair: WalRepair = {
      records: tail.records,
      bytes: bytes.length - at,
      offset: at,
      location: path,
      reason: tail.reason,
      ...(ids === undefined ? {} : { opIds: ids }),
    };
    if (this.#plant === 'torn-tail-over-truncation' && previous !== undefined) {
      // The planted defect: the last whole record goes with the torn one, and the report does not say so.
      records.pop();
      at = previous;
    }
    if (!this.#readOnly) await this.#fs.truncate(path, at);
    return { size: at, repair };
  }

  // ── appends and compaction ────────────────────────────────────────────────

  append(record: WalRecord): Promise<void> {
    const refused = this.#refusal('append');
    if (refused) return Promise.reject(refused);
    let frame: Uint8Array;
    try {
      frame = frameRecord(encodeWalRecord(record));
    } catch (error) {
      const code = isSyncError(error) ? error.code : 'E_INVALID_ARGUMENT';
      return Promise.reject(this.#error(code, `file WAL cannot append this record: ${describe(error)}`, this.dir, error));
    }
    if (frame.length - RECORD_HEADER_BYTES > this.#maxRecordBytes) {
      return Promise.reject(this.#error('E_TOO_LARGE', `record of ${frame.length} bytes exceeds maxRecordBytes ${this.#maxRecordBytes}`, this.dir));
    }
    return new Promise((resolve, reject) => this.#enqueue({ kind: 'append', frame, resolve, reject }));
  }

  compact(snapshot: WalSnapshot): Promise<void> {
    const refused = this.#refusal('compact');
    if (refused) return Promise.reject(refused);
    let bytes: Uint8Array;
    try {
      bytes = frameRecord(encodeWalSnapshot(snapshot));
    } catch (error) {
      return Promise.reject(this.#error(isSyncError(error) ? error.code : 'E_INVALID_ARGUMENT', `file WAL cannot write this snapshot: ${describe(error)}`, this.dir, error));
    }
    return new Promise((resolve, reject) => this.#enqueue({ kind: 'compact', snapshot: bytes, resolve, reject }));
  }

  #refusal(what: string): WalError | undefined {
    if (this.#state === 'open' && this.#readOnly) {
      return this.#error('E_INVALID_ARGUMENT', `file WAL ${this.dir} was opened with readOnly: true, cannot ${what}`, this.dir);
    }
    if (this.#state === 'open') return undefined;
    if (this.#state === 'failed') {
      return this.#error('E_WAL_FAILED', `file WAL ${this.dir} failed earlier (${describe(this.#failure)}); its files are in an unknown state: close() and open() it again to replay`, this.dir, this.#failure);
    }
    return this.#error('E_WAL_CLOSED', `file WAL ${this.dir} is not open, cannot ${what}`, this.dir);
  }

  #enqueue(job: Job): void {
    this.#queue.push(job);
    if (!this.#flushing) {
      this.#flushing = true;
      // Let every append issued in this tick join the same write and fsync.
      queueMicrotask(() => void this.#flush());
    }
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0 && this.#state !== 'failed') {
      const first = this.#queue[0]!;
      let jobs: Job[];
      if (first.kind === 'compact') jobs = this.#queue.splice(0, 1);
      else {
        let count = 1;
        while (count < this.#queue.length && this.#queue[count]!.kind === 'append') count++;
        jobs = this.#queue.splice(0, count);
      }
      try {
        if (first.kind === 'compact') await this.#compactNow(first.snapshot);
        else await this.#write(jobs as Array<Extract<Job, { kind: 'append' }>>);
      } catch (error) {
        this.#fail(error, jobs);
        break;
      }
      for (const job of jobs) job.resolve();
    }
    this.#flushing = false;
    const waiters = this.#idle;
    this.#idle = [];
    for (const resolve of waiters) resolve();
  }

  async #write(jobs: ReadonlyArray<Extract<Job, { kind: 'append' }>>): Promise<void> {
    let total = 0;
    for (const job of jobs) total += job.frame.length;
    let bytes: Uint8Array;
    if (jobs.length === 1) bytes = jobs[0]!.frame;
    else {
      bytes = new Uint8Array(total);
      let at = 0;
      for (const job of jobs) {
        bytes.set(job.frame, at);
        at += job.frame.length;
      }
    }
    const handle = await this.#segmentFor(total);
    await handle.append(bytes);
    if (this.#sync) await handle.sync();
    this.#segment!.durable = handle.size;
  }

  /** The segment to append `incoming` bytes to: the current one, or a new one when it is full. */
  async #segmentFor(incoming: number): Promise<AppendHandle> {
    const current = this.#segment;
    if (current !== undefined) {
      current.handle ??= await this.#fs.openAppend(current.path);
      if (current.handle.size + incoming <= this.#segmentBytes || current.handle.size <= HEADER_BYTES) return current.handle;
      await current.handle.close();
      this.#segment = undefined;
    }
    const n = this.#nextNumber++;
    const path = this.#path(segmentName(n));
    await this.#writeFileDurably(path, encodeHeader(SEGMENT_MAGIC, n));
    const handle = await this.#fs.openAppend(path);
    this.#segment = { n, path, handle, durable: handle.size };
    return handle;
  }

  /** tmp → fsync → rename → fsync the directory. */
  async #writeFileDurably(path: string, bytes: Uint8Array): Promise<void> {
    const tmp = `${path}.tmp`;
    await this.#fs.remove(tmp);
    const handle = await this.#fs.openAppend(tmp);
    try {
      await handle.append(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.#fs.rename(tmp, path);
    await this.#fs.syncDir(this.dir);
  }

  async #compactNow(frame: Uint8Array): Promise<void> {
    // The snapshot replaces every segment so far; the next append starts segment `base`.
    const base = this.#nextNumber;
    const header = encodeHeader(SNAPSHOT_MAGIC, base);
    const bytes = new Uint8Array(header.length + frame.length);
    bytes.set(header);
    bytes.set(frame, header.length);
    await this.#writeFileDurably(this.#path(snapshotName(base)), bytes);
    // Only now that the snapshot is durable may what it replaces go.
    if (this.#segment?.handle !== undefined) await this.#segment.handle.close();
    this.#segment = undefined;
    for (const name of await this.#fs.list(this.dir)) {
      const parsed = parseName(name);
      if (parsed !== undefined && parsed.n < base) await this.#fs.remove(this.#path(name));
    }
    await this.#fs.syncDir(this.dir);
  }

  #fail(error: unknown, jobs: readonly Job[]): void {
    this.#state = 'failed';
    this.#failure = error;
    // After a failed fsync, bytes written since the last good one may read back from the page cache
    // yet never reach the disk: cut them off, so that a reopen only replays what was acknowledged.
    const segment = this.#segment;
    if (segment?.handle !== undefined && segment.handle.size > segment.durable) {
      this.#cutting = this.#fs.truncate(segment.path, segment.durable).catch(() => undefined);
    }
    const failure = this.#error(
      'E_WAL_FAILED',
      `file WAL ${this.dir} failed to write (${describe(error)}); the files are in an unknown state, so every call fails until the WAL is closed and opened again`,
      this.#segment?.path ?? this.dir,
      error,
    );
    const stranded = [...jobs, ...this.#queue];
    this.#queue = [];
    for (const job of stranded) job.reject(failure);
  }

  // ── close ─────────────────────────────────────────────────────────────────

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    if (this.#state === 'closing') return new Promise((resolve) => this.#idle.push(resolve));
    this.#state = this.#state === 'failed' ? 'failed' : 'closing';
    if (this.#flushing) await new Promise<void>((resolve) => this.#idle.push(resolve));
    await this.#cutting;
    this.#cutting = undefined;
    const handle = this.#segment?.handle;
    this.#segment = undefined;
    try {
      await handle?.close();
    } catch {
      // Closing after a failure may fail too; the handle is gone either way.
    }
    await this.#releaseLock();
    this.#state = 'closed';
    this.#failure = undefined;
  }

  async #releaseLock(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    if (release !== undefined) {
      try {
        await release();
      } catch {
        // A lock file that cannot be removed is taken over by the next open.
      }
    }
  }
}

/** The ids of the operations in a damaged record's payload, if it still decodes. */
function opIdsIn(payload: Uint8Array | undefined): string[] | undefined {
  if (payload === undefined || payload.length === 0) return undefined;
  try {
    const ids = decodeWalRecord(payload).ops.map((op) => opIdKey(op));
    return ids.length > 0 ? ids : undefined;
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
