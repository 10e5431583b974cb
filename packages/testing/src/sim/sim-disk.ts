import type { Clock, Wal } from '@softadastra/sync-core';
import { createFileWal, createSimulatedFileSystem, type CrashVariant, type SimulatedFileSystem } from '@softadastra/wal-file';
import { createMemoryWal, createMemoryWalStorage } from '@softadastra/wal-memory';

/** Which storage the peers of a simulation use. */
export type SimStorage = 'memory' | 'file';

/**
 * A peer's disk in the simulator: it outlives the peer's process, crashes
 * with it, and hands each new process a WAL on what survived.
 * @internal
 */
export interface SimDisk {
  readonly kind: SimStorage;
  /** A WAL for a (re)started process, its writes timed on that process's clock. */
  wal(clock: Clock, latencyMs: number): Wal;
  /**
   * The process dies; `inFlight` says what the write under way leaves behind. For files, `'lose'` and
   * `'tear'` are a power loss (the machine dies too), `'keep'` a kill of the process alone (the page
   * cache survives until a later power loss).
   */
  crash(inFlight: 'lose' | 'keep' | 'tear'): void;
  /** The next write or fsync fails (EIO). */
  failNextWrite(): void;
  /** Cancels a failure requested and not yet injected (when faults stop). */
  cancelFailure(): void;
  /** A plain WAL on the disk, for checks once the run is over. */
  replay(): Wal;
}

const VARIANT: Record<'lose' | 'tear', CrashVariant> = {
  lose: { data: 'lost', dir: 'lost' },
  tear: { data: 'torn', dir: 'kept' },
};

/** A disk for the in-memory WAL. @internal */
export function memoryDisk(): SimDisk {
  const storage = createMemoryWalStorage();
  return {
    kind: 'memory',
    wal: (clock, latencyMs) => createMemoryWal({ storage, clock, latencyMs }),
    crash: (inFlight) => storage.crash({ inFlight }),
    failNextWrite: () => storage.failNext('append'),
    // The memory storage cannot take a requested failure back: the next append spends it, and the
    // engine reopens its WAL as after any failure.
    cancelFailure: () => undefined,
    replay: () => createMemoryWal({ storage }),
  };
}

/**
 * A simulated file system under the file WAL: unsynced bytes and directory
 * entries are lost or torn at a power loss, kept (visible, not yet durable) at
 * a kill of the process. Its fsyncs take time on the
 * clock of the process using it (a dead process's fsyncs never complete).
 * @internal
 */
export function fileDisk(): SimDisk {
  let clock: Clock | undefined;
  let latency = 0;
  const diskClock: Clock = {
    now: () => clock!.now(),
    setTimeout: (callback, ms) => clock!.setTimeout(callback, ms),
    clearTimeout: (handle) => clock!.clearTimeout(handle),
    random: () => clock!.random(),
  };
  const options = (): { clock: Clock; syncLatencyMs: number } => ({ clock: diskClock, syncLatencyMs: latency });
  let fs: SimulatedFileSystem = createSimulatedFileSystem({ clock: diskClock, syncLatencyMs: 0 });
  return {
    kind: 'file',
    wal(processClock, latencyMs) {
      clock = processClock;
      latency = latencyMs;
      // Small segments, so that runs cross segment boundaries.
      return createFileWal({ dir: '/data', fs, segmentBytes: 4096 });
    },
    crash(inFlight) {
      // 'keep' (the write in flight reached the OS, not the acknowledgement) is a kill of the process
      // alone: the page cache keeps every unsynced byte and entry visible to the next process, yet
      // durable only once someone fsyncs them — a later crash with 'lose' or 'tear' is the power loss
      // that takes back whatever the reopened WAL did not make durable.
      fs = inFlight === 'keep' ? fs.crashProcess(options()) : fs.crash(VARIANT[inFlight], options());
    },
    failNextWrite: () => fs.failNextWrite(),
    cancelFailure: () => fs.cancelFailure(),
    replay() {
      latency = 0;
      return createFileWal({ dir: '/data', fs });
    },
  };
}
