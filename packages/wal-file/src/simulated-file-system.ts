import type { Clock } from '@softadastra/sync-core';
import type { AppendHandle, WalFileSystem } from './file-system.js';

/**
 * What survives of the writes not yet made durable when a simulated machine
 * crashes (a power loss; see {@link SimulatedFileSystem.crashProcess} for a
 * crash of the process alone, which keeps them all visible, none durable).
 *
 * - `data`: bytes appended since a file's last `sync()` are `lost`, `kept`, or
 *   `torn` (the first half of them reached the disk).
 * - `dir`: creations, renames and removals since the directory's last
 *   `syncDir()` are `lost` or `kept`.
 */
export interface CrashVariant {
  readonly data: 'lost' | 'kept' | 'torn';
  readonly dir: 'lost' | 'kept';
}

/** Every combination of {@link CrashVariant}. */
export const CRASH_VARIANTS: readonly CrashVariant[] = [
  { data: 'lost', dir: 'lost' },
  { data: 'lost', dir: 'kept' },
  { data: 'kept', dir: 'lost' },
  { data: 'kept', dir: 'kept' },
  { data: 'torn', dir: 'lost' },
  { data: 'torn', dir: 'kept' },
];

/** One mutating file-system call, as recorded by a {@link SimulatedFileSystem}. */
export type FsOperation =
  | { readonly kind: 'mkdir'; readonly path: string }
  | { readonly kind: 'create'; readonly path: string }
  | { readonly kind: 'append'; readonly path: string; readonly bytes: Uint8Array }
  | { readonly kind: 'sync'; readonly path: string; readonly length: number }
  | { readonly kind: 'rename'; readonly from: string; readonly to: string }
  | { readonly kind: 'remove'; readonly path: string }
  | { readonly kind: 'truncate'; readonly path: string; readonly size: number }
  | { readonly kind: 'syncDir'; readonly path: string };

/** Options of {@link createSimulatedFileSystem}. */
export interface SimulatedFileSystemOptions {
  /** Times `sync()` and `syncDir()` with {@link SimulatedFileSystemOptions.syncLatencyMs}. @default none: they complete on a microtask */
  readonly clock?: Clock;
  /** How long an fsync takes on `clock`, in ms. @default 0 */
  readonly syncLatencyMs?: number;
  /** Make the `n`-th append or sync (0-based, counted from creation) fail with `EIO`. */
  readonly failAt?: number;
}

/**
 * An in-memory disk for the file WAL that knows what is durable: appended
 * bytes only after `sync()`, directory entries only after `syncDir()`. It
 * records every mutating call, so that a test can rebuild the disk as it was
 * after any prefix of them and crash it there ({@link replayFileSystem}).
 */
export interface SimulatedFileSystem extends WalFileSystem {
  /** Every mutating call so far, in order. */
  readonly log: readonly FsOperation[];
  /** Appends and syncs so far (what `failAt` counts). */
  readonly writes: number;
  /**
   * Crashes the machine: this file system dies (every pending and later call
   * never settles, as in a dead process) and the disk as it comes back is
   * returned, keeping what `variant` says of the writes not yet durable.
   */
  crash(variant: CrashVariant, options?: Omit<SimulatedFileSystemOptions, 'failAt'>): SimulatedFileSystem;
  /**
   * Crashes the process only: this file system dies as in {@link SimulatedFileSystem.crash},
   * but the machine and its page cache live on. The disk returned shows
   * everything written so far — unsynced bytes and directory entries included,
   * as the next process would read them — yet only what was durable stays
   * durable: a later {@link SimulatedFileSystem.crash} (the power loss) of the
   * returned disk loses, keeps or tears whatever was not synced since, by
   * anyone. This is what a `kill -9` followed, minutes later, by a power cut does.
   */
  crashProcess(options?: Omit<SimulatedFileSystemOptions, 'failAt'>): SimulatedFileSystem;
  /** Makes the next append or sync fail with `EIO` (as `failAt` does for a given one). */
  failNextWrite(): void;
  /** Cancels a failure requested and not yet injected. */
  cancelFailure(): void;
  /** Total bytes in live files. */
  bytes(): number;
  /** A file's current content (for tests), or `undefined`. */
  peek(path: string): Uint8Array | undefined;
  /** Replaces a file's content directly, as if damaged on disk (for tests). */
  damage(path: string, edit: (bytes: Uint8Array) => Uint8Array): void;
}

interface Inode {
  bytes: Uint8Array;
  length: number;
  durableLength: number;
}

interface Disk {
  dirs: Set<string>;
  /** Directory entries as seen now. */
  entries: Map<string, Inode>;
  /** Directory entries as last made durable. */
  durableEntries: Map<string, Inode>;
}

/** Makes an empty simulated disk. */
export function createSimulatedFileSystem(options: SimulatedFileSystemOptions = {}): SimulatedFileSystem {
  return fromDisk({ dirs: new Set(), entries: new Map(), durableEntries: new Map() }, options);
}

/**
 * Rebuilds the disk as it was after the first `count` calls of `log`, then
 * crashes it with `variant`: one possible state of the disk had the machine
 * died right there. With `'process'`, only the process died there: the disk
 * comes back as {@link SimulatedFileSystem.crashProcess} leaves it, page
 * cache included, ready for a power loss later.
 */
export function replayFileSystem(log: readonly FsOperation[], count: number, variant: CrashVariant | 'process'): SimulatedFileSystem {
  const fs = createSimulatedFileSystem();
  const disk = diskOf(fs);
  for (const op of log.slice(0, count)) apply(disk, op);
  return variant === 'process' ? fs.crashProcess() : fs.crash(variant);
}

const disks = new WeakMap<SimulatedFileSystem, Disk>();

function diskOf(fs: SimulatedFileSystem): Disk {
  return disks.get(fs)!;
}

function parentOf(path: string): string {
  const at = path.lastIndexOf('/');
  return at <= 0 ? '/' : path.slice(0, at);
}

function ensure(inode: Inode, extra: number): void {
  if (inode.length + extra <= inode.bytes.length) return;
  let size = Math.max(64, inode.bytes.length * 2);
  while (size < inode.length + extra) size *= 2;
  const next = new Uint8Array(size);
  next.set(inode.bytes.subarray(0, inode.length));
  inode.bytes = next;
}

function fsError(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/** Applies one recorded call to a disk (no latency, no failures). */
function apply(disk: Disk, op: FsOperation): void {
  switch (op.kind) {
    case 'mkdir':
      disk.dirs.add(op.path);
      return;
    case 'create':
      if (!disk.entries.has(op.path)) disk.entries.set(op.path, { bytes: new Uint8Array(64), length: 0, durableLength: 0 });
      return;
    case 'append': {
      const inode = disk.entries.get(op.path);
      if (inode === undefined) return;
      ensure(inode, op.bytes.length);
      inode.bytes.set(op.bytes, inode.length);
      inode.length += op.bytes.length;
      return;
    }
    case 'sync': {
      // Durable: what was written before the sync was called.
      const inode = disk.entries.get(op.path);
      if (inode !== undefined) inode.durableLength = Math.max(inode.durableLength, Math.min(op.length, inode.length));
      return;
    }
    case 'rename': {
      const inode = disk.entries.get(op.from);
      if (inode === undefined) return;
      disk.entries.delete(op.from);
      disk.entries.set(op.to, inode);
      return;
    }
    case 'remove':
      disk.entries.delete(op.path);
      return;
    case 'truncate': {
      const inode = disk.entries.get(op.path);
      if (inode === undefined) return;
      inode.length = Math.min(inode.length, op.size);
      inode.durableLength = inode.length;
      return;
    }
    case 'syncDir':
      for (const [path] of disk.durableEntries) if (parentOf(path) === op.path && !disk.entries.has(path)) disk.durableEntries.delete(path);
      for (const [path, inode] of disk.entries) if (parentOf(path) === op.path) disk.durableEntries.set(path, inode);
      return;
  }
}

function fromDisk(disk: Disk, options: SimulatedFileSystemOptions): SimulatedFileSystem {
  const log: FsOperation[] = [];
  let dead = false;
  let writes = 0;
  const never = <T>(): Promise<T> => new Promise<T>(() => undefined);
  const latency = options.syncLatencyMs ?? 0;
  const after = (ms: number): Promise<void> => {
    if (dead) return never();
    if (options.clock === undefined || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => options.clock!.setTimeout(resolve, ms));
  };
  const run = (op: FsOperation): void => {
    log.push(op);
    apply(disk, op);
  };
  let failAt = options.failAt;
  const countWrite = (what: string, path: string): void => {
    const index = writes++;
    if (failAt === index) throw fsError('EIO', `${what} ${path} failed (injected at write ${index})`);
  };
  const alive = async <T>(body: () => Promise<T> | T): Promise<T> => {
    if (dead) return never();
    const result = await body();
    if (dead) return never();
    return result;
  };

  const fs: SimulatedFileSystem = {
    get log() {
      return log;
    },
    get writes() {
      return writes;
    },
    mkdir: (dir) =>
      alive(() => {
        if (!disk.dirs.has(dir)) run({ kind: 'mkdir', path: dir });
      }),
    list: (dir) =>
      alive(() => {
        if (!disk.dirs.has(dir)) throw fsError('ENOENT', `no directory ${dir}`);
        const names: string[] = [];
        for (const path of disk.entries.keys()) if (parentOf(path) === dir) names.push(path.slice(dir.length + 1));
        return names.sort();
      }),
    readFile: (path) =>
      alive(() => {
        const inode = disk.entries.get(path);
        return inode === undefined ? undefined : inode.bytes.slice(0, inode.length);
      }),
    openAppend: (path) =>
      alive((): AppendHandle => {
        if (!disk.dirs.has(parentOf(path))) throw fsError('ENOENT', `no directory ${parentOf(path)}`);
        if (!disk.entries.has(path)) run({ kind: 'create', path });
        let closed = false;
        const inode = (): Inode => {
          const found = disk.entries.get(path);
          if (found === undefined || closed) throw fsError('EBADF', `${path} is closed or gone`);
          return found;
        };
        return {
          get size() {
            return disk.entries.get(path)?.length ?? 0;
          },
          append: (bytes) =>
            alive(() => {
              inode();
              countWrite('append to', path);
              run({ kind: 'append', path, bytes: bytes.slice() });
            }),
          sync: async () => {
            const length = await alive(() => {
              const found = inode();
              countWrite('fsync of', path);
              return found.length;
            });
            await after(latency);
            // A dead process completes nothing, even an fsync it had started.
            if (dead) return never();
            run({ kind: 'sync', path, length });
          },
          close: () =>
            alive(() => {
              closed = true;
            }),
        };
      }),
    rename: (from, to) =>
      alive(() => {
        if (!disk.entries.has(from)) throw fsError('ENOENT', `no file ${from}`);
        run({ kind: 'rename', from, to });
      }),
    remove: (path) =>
      alive(() => {
        if (disk.entries.has(path)) run({ kind: 'remove', path });
      }),
    truncate: async (path, size) => {
      await alive(() => {
        if (!disk.entries.has(path)) throw fsError('ENOENT', `no file ${path}`);
        countWrite('truncate of', path);
      });
      await after(latency);
      if (dead) return never();
      run({ kind: 'truncate', path, size });
    },
    syncDir: async (dir) => {
      await alive(() => countWrite('fsync of directory', dir));
      await after(latency);
      if (dead) return never();
      run({ kind: 'syncDir', path: dir });
    },
    crash(variant, next = {}) {
      dead = true;
      const entries = variant.dir === 'kept' ? disk.entries : disk.durableEntries;
      const survivor: Disk = { dirs: new Set(disk.dirs), entries: new Map(), durableEntries: new Map() };
      const copies = new Map<Inode, Inode>();
      for (const [path, inode] of entries) {
        let copy = copies.get(inode);
        if (copy === undefined) {
          const pending = inode.length - inode.durableLength;
          const length = variant.data === 'kept' ? inode.length : variant.data === 'torn' ? inode.durableLength + Math.floor(pending / 2) : inode.durableLength;
          copy = { bytes: inode.bytes.slice(0, Math.max(length, 64)), length, durableLength: length };
          copies.set(inode, copy);
        }
        survivor.entries.set(path, copy);
        survivor.durableEntries.set(path, copy);
      }
      return fromDisk(survivor, next);
    },
    crashProcess(next = {}) {
      dead = true;
      // The same disk, page cache and all: what is visible and what is durable both carry over.
      return fromDisk(disk, next);
    },
    failNextWrite() {
      failAt = writes;
    },
    cancelFailure() {
      failAt = undefined;
    },
    bytes() {
      let total = 0;
      for (const inode of new Set(disk.entries.values())) total += inode.length;
      return total;
    },
    peek(path) {
      const inode = disk.entries.get(path);
      return inode === undefined ? undefined : inode.bytes.slice(0, inode.length);
    },
    damage(path, edit) {
      const inode = disk.entries.get(path);
      if (inode === undefined) throw fsError('ENOENT', `no file ${path}`);
      const next = edit(inode.bytes.slice(0, inode.length));
      inode.bytes = next.slice();
      inode.length = next.length;
      inode.durableLength = next.length;
    },
  };
  disks.set(fs, disk);
  return fs;
}
