import {
  SyncError,
  WalError,
  isSyncError,
  type Clock,
  type Wal,
  type WalCapabilities,
  type WalRecord,
  type WalRecovery,
  type WalRepair,
  type WalSnapshot,
} from '@softadastra/sync-core';
import { createMemoryWalStorage, storageState, type MemoryWalStorage, type StorageState } from './memory-wal-storage.js';
import { decodeRecordFrame, decodeSnapshotFrame, encodeRecordFrame, encodeSnapshotFrame, isIncompleteFrame, opIdsOfDamagedFrame } from './record-format.js';

/** Options of {@link createMemoryWal}. */
export interface MemoryWalOptions {
  /**
   * The simulated disk. Share one between successive handles to recover
   * after {@link MemoryWalStorage.crash}.
   * @default a new private storage
   */
  readonly storage?: MemoryWalStorage;
  /**
   * The clock that times durability when `latencyMs` is above 0: a write
   * becomes durable `latencyMs` later on this clock (`clock.setTimeout`), so a
   * simulator decides exactly what a crash loses.
   * @default none: a write becomes durable on the next microtask
   */
  readonly clock?: Clock;
  /**
   * How long one write (an fsync) takes on `clock`, in milliseconds. Requires
   * `clock` when above 0.
   * @default 0
   */
  readonly latencyMs?: number;
}

/** A {@link Wal} kept in memory, with the storage it writes to. */
export interface MemoryWal extends Wal {
  /** The simulated disk this handle writes to (to crash or damage it in tests). */
  readonly storage: MemoryWalStorage;
}

const ADAPTER = 'memory';

const CAPABILITIES: WalCapabilities = Object.freeze({ durable: true, atomicBatch: true, compaction: true, detectsCorruptTail: true });

/**
 * Creates a write-ahead log kept in memory, which survives simulated crashes
 * of its {@link MemoryWalStorage}.
 *
 * @remarks
 * It follows the {@link Wal} contract to the letter, so that engine tests and
 * the deterministic simulator exercise the same paths as with a file: records
 * are stored encoded and checksummed, concurrent appends are group-committed
 * and recovered in call order, a torn tail (a last record cut short) is
 * dropped on open and reported in `repair`, and damage — in a whole record,
 * the last one included — is refused with `E_WAL_CORRUPT`. With a `clock`, nothing
 * here reads the real time or schedules a real timer.
 *
 * @param options - the storage, clock and write latency
 * @throws SyncError `E_INVALID_ARGUMENT` for a bad option
 */
export function createMemoryWal(options: MemoryWalOptions = {}): MemoryWal {
  const latencyMs = options.latencyMs ?? 0;
  if (typeof latencyMs !== 'number' || !Number.isFinite(latencyMs) || latencyMs < 0) {
    throw new SyncError('E_INVALID_ARGUMENT', `latencyMs must be a finite number ≥ 0, got ${String(latencyMs)}`);
  }
  if (latencyMs > 0 && options.clock === undefined) {
    throw new SyncError('E_INVALID_ARGUMENT', 'latencyMs needs a clock to time writes on: pass `clock` as well (or drop latencyMs)');
  }
  const storage = options.storage ?? createMemoryWalStorage();
  const clock = latencyMs > 0 ? options.clock : undefined;
  return new MemoryWalHandle(storage, storageState(storage), clock, latencyMs);
}

/** One write waiting to become durable. */
interface PendingWrite {
  readonly kind: 'append' | 'compact';
  readonly frame: Uint8Array;
  /** An injected failure (`failNext`) was assigned to this write. */
  readonly fail: boolean;
  readonly resolve: () => void;
  readonly reject: (error: WalError) => void;
}

class MemoryWalHandle implements MemoryWal {
  readonly capabilities = CAPABILITIES;
  readonly storage: MemoryWalStorage;
  readonly #disk: StorageState;
  readonly #generation: number;
  readonly #clock: Clock | undefined;
  readonly #latencyMs: number;
  #status: 'closed' | 'open' | 'closing' = 'closed';
  #failed = false;
  #pending: PendingWrite[] = [];
  #inFlight = false;
  #closeWaiters: (() => void)[] = [];

  constructor(storage: MemoryWalStorage, disk: StorageState, clock: Clock | undefined, latencyMs: number) {
    this.storage = storage;
    this.#disk = disk;
    this.#generation = disk.generation;
    this.#clock = clock;
    this.#latencyMs = latencyMs;
  }

  /** Whether the storage crashed since this handle was made: a dead process does nothing. */
  get #dead(): boolean {
    return this.#disk.generation !== this.#generation;
  }

  open(): Promise<WalRecovery> {
    if (this.#dead) return never();
    if (this.#status === 'open') {
      return rejected(this.#failed ? failedError() : new WalError('E_INVALID_ARGUMENT', 'memory WAL is already open: close() it before opening again', { adapter: ADAPTER }));
    }
    if (this.#status === 'closing') return rejected(closedError('open', 'wait for close() to resolve first'));
    if (this.#disk.holder !== undefined) {
      return rejected(
        new WalError('E_WAL_LOCKED', 'memory WAL storage is already open through another handle: close() that one first (or crash() the storage to simulate its process dying)', {
          adapter: ADAPTER,
        }),
      );
    }
    let recovery: WalRecovery;
    try {
      recovery = this.#recover();
    } catch (error) {
      return rejected(error as WalError);
    }
    this.#disk.holder = this;
    this.#status = 'open';
    this.#failed = false;
    return Promise.resolve(recovery);
  }

  append(record: WalRecord): Promise<void> {
    return this.#write('append', record, encodeRecordFrame);
  }

  compact(snapshot: WalSnapshot): Promise<void> {
    return this.#write('compact', snapshot, encodeSnapshotFrame);
  }

  close(): Promise<void> {
    if (this.#dead) return never();
    if (this.#status === 'closed') return Promise.resolve();
    this.#status = 'closing';
    const closed = new Promise<void>((resolve) => this.#closeWaiters.push(resolve));
    this.#finishCloseIfIdle();
    return closed;
  }

  #recover(): WalRecovery {
    const disk = this.#disk;
    let snapshot: WalSnapshot | undefined;
    if (disk.snapshot !== undefined) {
      try {
        snapshot = decodeSnapshotFrame(disk.snapshot);
      } catch (error) {
        throw new WalError('E_WAL_CORRUPT', `memory WAL snapshot is damaged (byte offset 0): ${reason(error)}; refusing to open — restore the storage from a replica`, {
          adapter: ADAPTER,
          cause: error,
        });
      }
    }
    const records: WalRecord[] = [];
    let repair: WalRepair | undefined;
    let offset = disk.snapshot?.length ?? 0;
    const frames = disk.frames;
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i]!;
      try {
        records.push(decodeRecordFrame(frame));
      } catch (error) {
        if (i === frames.length - 1 && isIncompleteFrame(frame)) {
          // A torn tail: the write in progress when the process died. It was never acknowledged. Cut, and said so.
          frames.length = i;
          repair = { records: 1, bytes: frame.length, offset, reason: reason(error) };
          break;
        }
        if (i === frames.length - 1) {
          // Written whole, maybe acknowledged: damage, even as the last record.
          const ids = opIdsOfDamagedFrame(frame);
          throw new WalError(
            'E_WAL_CORRUPT',
            `memory WAL record ${i} at byte offset ${offset}, the last one, is damaged (${reason(error)}) although it was written whole${ids === undefined ? '' : ` (holding ops ${ids.join(', ')})`}; ` +
              'refusing to open rather than drop a write that may have been acknowledged — restore the storage from a replica',
            { adapter: ADAPTER, cause: error },
          );
        }
        const after = frames.length - 1 - i;
        throw new WalError(
          'E_WAL_CORRUPT',
          `memory WAL record ${i} at byte offset ${offset} is damaged (${reason(error)}) and ${after} record${after === 1 ? '' : 's'} follow${after === 1 ? 's' : ''} it; ` +
            'refusing to open rather than skip acknowledged writes — restore the storage from a replica',
          { adapter: ADAPTER, cause: error },
        );
      }
      offset += frame.length;
    }
    return { snapshot, records, ...(repair === undefined ? {} : { repair }) };
  }

  #write<T>(kind: PendingWrite['kind'], input: T, encode: (input: T) => Uint8Array): Promise<void> {
    if (this.#dead) return never();
    if (this.#status === 'open' && this.#failed) return rejected(failedError());
    if (this.#status !== 'open') return rejected(closedError(kind, this.#status === 'closed' ? 'call open() first' : 'it is closing'));
    let frame: Uint8Array;
    try {
      frame = encode(input);
    } catch (error) {
      const code = isSyncError(error) ? error.code : 'E_INVALID_ARGUMENT';
      return rejected(new WalError(code, `memory WAL cannot ${kind} this ${kind === 'append' ? 'record' : 'snapshot'}: ${reason(error)}`, { adapter: ADAPTER, cause: error }));
    }
    const failures = this.#disk.failures;
    const fail = failures[kind] > 0;
    if (fail) failures[kind] -= 1;
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ kind, frame, fail, resolve, reject });
      this.#startWrite();
    });
  }

  /**
   * Starts the next write unless one is in flight: every pending append up to
   * the next compaction becomes durable together (group commit), in call order.
   */
  #startWrite(): void {
    if (this.#inFlight || this.#pending.length === 0) return;
    let count = 1;
    if (this.#pending[0]!.kind === 'append') {
      while (count < this.#pending.length && this.#pending[count]!.kind === 'append') count++;
    }
    const batch = this.#pending.splice(0, count);
    this.#inFlight = true;
    if (batch[0]!.kind === 'append' && !batch.some((write) => write.fail)) this.#disk.writing = batch.map((write) => write.frame);
    const done = (): void => this.#completeWrite(batch);
    if (this.#clock === undefined) queueMicrotask(done);
    else this.#clock.setTimeout(done, this.#latencyMs);
  }

  #completeWrite(batch: PendingWrite[]): void {
    if (this.#dead) return;
    this.#inFlight = false;
    this.#disk.writing = undefined;
    if (batch.some((write) => write.fail)) {
      // A failed sync leaves the storage in an unknown state: nothing of this batch is written,
      // and every call fails until the handle is closed and opened again (never retry an fsync).
      this.#failed = true;
      const error = failedError();
      const pending = this.#pending;
      this.#pending = [];
      for (const write of batch) write.reject(error);
      for (const write of pending) write.reject(error);
    } else {
      const disk = this.#disk;
      const first = batch[0]!;
      if (first.kind === 'compact') {
        disk.snapshot = first.frame;
        disk.frames.length = 0;
      } else {
        for (const write of batch) disk.frames.push(write.frame);
      }
      for (const write of batch) write.resolve();
      this.#startWrite();
    }
    this.#finishCloseIfIdle();
  }

  #finishCloseIfIdle(): void {
    if (this.#status !== 'closing' || this.#inFlight || this.#pending.length > 0) return;
    this.#status = 'closed';
    this.#failed = false;
    if (this.#disk.holder === this) this.#disk.holder = undefined;
    const waiters = this.#closeWaiters;
    this.#closeWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function failedError(): WalError {
  return new WalError(
    'E_WAL_FAILED',
    'memory WAL failed a write (injected with storage.failNext()): the storage state is unknown, so every call fails until you close() and open() it again',
    { adapter: ADAPTER },
  );
}

function closedError(what: string, hint: string): WalError {
  return new WalError('E_WAL_CLOSED', `memory WAL is not open, cannot ${what}: ${hint}`, { adapter: ADAPTER });
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
