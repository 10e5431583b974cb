import type { Clock, Wal } from '@softadastra/sync-core';
import { createFileWal, createSimulatedFileSystem, type CrashVariant, type FileWalPlantedBug, type SimulatedFileSystem } from '@softadastra/wal-file';
import { createMemoryWal, createMemoryWalStorage } from '@softadastra/wal-memory';

/** Which storage the peers of a simulation use. */
export type SimStorage = 'memory' | 'file' | 'indexeddb';

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
  /**
   * Bit rot while the machine is off: flips one byte of a record that is not
   * the last of the log (in a live segment or the live snapshot), so that the
   * WAL must refuse to open. `where` picks the record, the byte and the flip.
   * @returns what rotted, or `undefined` when the disk cannot rot (memory) or holds no such record
   */
  rot(where: readonly [number, number, number]): Promise<string | undefined>;
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
    // The memory WAL models RAM, not a disk: nothing of it rots.
    rot: () => Promise.resolve(undefined),
  };
}

/**
 * A simulated file system under the file WAL: unsynced bytes and directory
 * entries are lost or torn at a power loss, kept (visible, not yet durable) at
 * a kill of the process. Its fsyncs take time on the
 * clock of the process using it (a dead process's fsyncs never complete).
 * @internal
 */
export function fileDisk(plant?: FileWalPlantedBug): SimDisk {
  let clock: Clock | undefined;
  let latency = 0;
  const diskClock: Clock = {
    now: () => clock!.now(),
    setTimeout: (callback, ms) => clock!.setTimeout(callback, ms),
    clearTimeout: (handle) => clock!.clearTimeout(handle),
    random: () => clock!.random(),
  };
  const options = (): { clock: Clock; syncLatencyMs: number } => ({ clock: diskClock, syncLatencyMs: latency });
  // Made at the first start, so that its fsyncs take the drawn latency from the very first write
  // (a disk whose fsyncs were instant until its first crash could never tear a write before it).
  let created: SimulatedFileSystem | undefined;
  const disk = (): SimulatedFileSystem => (created ??= createSimulatedFileSystem(options()));
  return {
    kind: 'file',
    wal(processClock, latencyMs) {
      clock = processClock;
      latency = latencyMs;
      // Small segments, so that runs cross segment boundaries.
      return createFileWal({ dir: '/data', fs: disk(), segmentBytes: 4096, ...(plant !== undefined ? { plant } : {}) });
    },
    crash(inFlight) {
      // 'keep' (the write in flight reached the OS, not the acknowledgement) is a kill of the process
      // alone: the page cache keeps every unsynced byte and entry visible to the next process, yet
      // durable only once someone fsyncs them — a later crash with 'lose' or 'tear' is the power loss
      // that takes back whatever the reopened WAL did not make durable.
      created = inFlight === 'keep' ? disk().crashProcess(options()) : disk().crash(VARIANT[inFlight], options());
    },
    failNextWrite: () => disk().failNextWrite(),
    cancelFailure: () => disk().cancelFailure(),
    replay() {
      latency = 0;
      return createFileWal({ dir: '/data', fs: disk() });
    },
    rot: (where) => rotFile(disk(), '/data', where),
  };
}

const HEADER_BYTES = 16;
const RECORD_HEADER_BYTES = 8;
const SEGMENT_FILE = /^wal-(\d{10})\.log$/;
const SNAPSHOT_FILE = /^snapshot-(\d{10})\.snap$/;

/**
 * Flips one byte of a record in the middle of a file WAL (docs/wal-format.md):
 * any record of the live snapshot or of a live segment but the very last one
 * of the log, so that the damage is in the middle of the log, never where a torn write could be.
 */
async function rotFile(fs: SimulatedFileSystem, dir: string, [pickRecord, pickByte, pickFlip]: readonly [number, number, number]): Promise<string | undefined> {
  const names = await fs.list(dir);
  const numbered = (pattern: RegExp): number[] =>
    names
      .map((name) => pattern.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  const snapshots = numbered(SNAPSHOT_FILE);
  const base = snapshots[snapshots.length - 1] ?? 1;
  const segments = numbered(SEGMENT_FILE).filter((n) => n >= base);
  const candidates: Array<{ path: string; at: number; bytes: number }> = [];
  const records = (path: string): Array<{ at: number; bytes: number }> => {
    const content = fs.peek(path);
    const found: Array<{ at: number; bytes: number }> = [];
    if (content === undefined) return found;
    const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
    for (let at = HEADER_BYTES; at + RECORD_HEADER_BYTES <= content.length; ) {
      const bytes = RECORD_HEADER_BYTES + view.getUint32(at, true);
      if (at + bytes > content.length) break;
      found.push({ at, bytes });
      at += bytes;
    }
    return found;
  };
  if (snapshots.length > 0) {
    const path = `${dir}/snapshot-${String(base).padStart(10, '0')}.snap`;
    for (const record of records(path)) candidates.push({ path, ...record });
  }
  segments.forEach((n, i) => {
    const path = `${dir}/wal-${String(n).padStart(10, '0')}.log`;
    const found = records(path);
    if (i === segments.length - 1) found.pop();
    for (const record of found) candidates.push({ path, ...record });
  });
  const target = candidates[Math.floor(pickRecord * candidates.length)];
  if (target === undefined) return undefined;
  const offset = target.at + Math.floor(pickByte * target.bytes);
  const flip = 1 + Math.floor(pickFlip * 255);
  fs.damage(target.path, (bytes) => {
    bytes[offset] = bytes[offset]! ^ flip;
    return bytes;
  });
  return `${target.path} byte ${offset} (record at ${target.at} of ${candidates.length} in the middle of the log) xor 0x${flip.toString(16)}`;
}
