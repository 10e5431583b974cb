import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setLongTimeout, toSyncError, type LongTimeout, type SyncError, type Wal } from '@softadastra/sync-core';
import { createSyncEngine, type SyncEngine } from '@softadastra/sync-engine';
import { createFileWal } from '@softadastra/wal-file';
import { createSqliteWal } from '@softadastra/wal-sqlite';

/** Options of {@link SpaceRegistry}. */
export interface SpaceRegistryOptions {
  readonly dataDir: string;
  readonly storage: 'sqlite' | 'file';
  /** Close a space's engine after it has had no connection for this long. */
  readonly idleMs: number;
  /** Collect metadata as each space's authority (the engine's `gc`, computed every `intervalMs`). */
  readonly gc?: { readonly horizonMs: number; readonly intervalMs?: number };
  /** Wraps each space's WAL (to measure it). */
  readonly wrapWal?: (wal: Wal, space: string) => Wal;
  readonly onError: (space: string, error: SyncError) => void;
}

interface OpenSpace {
  readonly engine: Promise<SyncEngine>;
  refs: number;
  idle: LongTimeout | undefined;
  bytes: number;
  measuredAt: number;
}

/**
 * The spaces a relay serves: one engine each, opened on the first connection
 * and closed when idle.
 */
export class SpaceRegistry {
  readonly #options: SpaceRegistryOptions;
  readonly #spaces = new Map<string, OpenSpace>();
  /** Engines being closed (idle): the next open of their space waits for them to release the storage. */
  readonly #closing = new Map<string, Promise<void>>();
  #closed = false;

  constructor(options: SpaceRegistryOptions) {
    this.#options = options;
  }

  /** Spaces open now. */
  get size(): number {
    return this.#spaces.size;
  }

  /** Opens (or joins) a space; call `release()` when the connection ends. */
  async acquire(space: string): Promise<{ engine: SyncEngine; release: () => void }> {
    if (this.#closed) throw new Error('the relay is shutting down');
    let open = this.#spaces.get(space);
    if (open === undefined) {
      open = { engine: this.#open(space), refs: 0, idle: undefined, bytes: 0, measuredAt: 0 };
      this.#spaces.set(space, open);
      open.engine.catch(() => this.#spaces.delete(space));
    }
    open.refs++;
    open.idle?.cancel();
    open.idle = undefined;
    const entry = open;
    let engine: SyncEngine;
    try {
      engine = await entry.engine;
    } catch (error) {
      entry.refs--;
      throw error;
    }
    let released = false;
    return {
      engine,
      release: () => {
        if (released) return;
        released = true;
        entry.refs--;
        if (entry.refs === 0 && !this.#closed) {
          // Any length: an idle time over 2^31−1 ms is waited for, not fired at once.
          entry.idle = setLongTimeout(() => void this.#closeIdle(space, entry), this.#options.idleMs, { unref: true });
        }
      },
    };
  }

  /** Bytes the space's storage takes on disk (measured at most every 2 s). */
  async storageBytes(space: string): Promise<number> {
    const open = this.#spaces.get(space);
    const now = Date.now();
    if (open !== undefined && now - open.measuredAt < 2_000) return open.bytes;
    const bytes = await sizeOf(this.#path(space));
    if (open !== undefined) {
      open.bytes = bytes;
      open.measuredAt = now;
    }
    return bytes;
  }

  /** The last measured size of a space's storage, without waiting. */
  cachedBytes(space: string): number {
    const open = this.#spaces.get(space);
    if (open !== undefined && Date.now() - open.measuredAt >= 2_000) void this.storageBytes(space);
    return open?.bytes ?? 0;
  }

  /** Flushes and closes every engine (graceful shutdown). */
  async closeAll(): Promise<void> {
    this.#closed = true;
    const all = [...this.#spaces.values()];
    this.#spaces.clear();
    await Promise.allSettled(
      all.map(async (open) => {
        open.idle?.cancel();
        await (await open.engine).close();
      }),
    );
  }

  #path(space: string): string {
    return this.#options.storage === 'sqlite' ? join(this.#options.dataDir, `${space}.sqlite`) : join(this.#options.dataDir, space);
  }

  async #open(space: string): Promise<SyncEngine> {
    await this.#closing.get(space);
    await mkdir(this.#options.dataDir, { recursive: true });
    const base = this.#options.storage === 'sqlite' ? createSqliteWal({ path: this.#path(space) }) : createFileWal({ dir: this.#path(space) });
    const wal = this.#options.wrapWal ? this.#options.wrapWal(base, space) : base;
    const gc = this.#options.gc;
    const collect = gc === undefined ? {} : { gc: { horizonMs: gc.horizonMs }, ...(gc.intervalMs !== undefined ? { timing: { stableDelayMs: gc.intervalMs } } : {}) };
    return createSyncEngine({ wal, space, ...collect, onError: (error) => this.#options.onError(space, error) });
  }

  async #closeIdle(space: string, entry: OpenSpace): Promise<void> {
    if (entry.refs > 0 || this.#spaces.get(space) !== entry) return;
    this.#spaces.delete(space);
    const closing = (async () => {
      try {
        await (await entry.engine).close();
      } catch (error) {
        this.#options.onError(space, toSyncError(error, 'E_WAL_FAILED', `closing idle space ${JSON.stringify(space)} failed`));
      }
    })();
    this.#closing.set(space, closing);
    await closing;
    if (this.#closing.get(space) === closing) this.#closing.delete(space);
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isDirectory()) {
      let total = info.size;
      for (const suffix of ['-wal', '-shm']) total += await stat(`${path}${suffix}`).then((s) => s.size, () => 0);
      return total;
    }
    let total = 0;
    for (const name of await readdir(path)) total += await stat(join(path, name)).then((s) => s.size, () => 0);
    return total;
  } catch {
    return 0;
  }
}
