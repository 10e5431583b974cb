import { VersionVector, type Operation, type Wal, type WalRecord } from '@softadastra/sync-core';

/**
 * Something to make durable: operations, a `covered` vector, metadata — or
 * nothing, as an ordering point that completes after everything before it.
 * @internal
 */
export interface CommitEntry {
  readonly ops?: readonly Operation[];
  readonly covered?: VersionVector;
  readonly meta?: Readonly<Record<string, string>>;
  /**
   * Called when the entry is taken for an append, just before its `ops` are
   * read: an entry that keeps growing (the engine's batch of local writes)
   * must stop growing there.
   */
  readonly seal?: () => void;
  /** Work that needs the WAL to itself (compaction): runs alone, in queue order. */
  readonly run?: () => Promise<void>;
  /** Called in order, once the entry is durable. */
  readonly onDurable?: () => void;
  /** Called if the WAL failed before the entry was durable. */
  readonly onFailed?: (error: unknown) => void;
}

/**
 * Group commit: entries queued while an append is in flight are written
 * together by the next single append, so concurrent writes share one fsync.
 * One append is in flight at a time, so records reach the WAL in queue order.
 * @internal
 */
export class CommitQueue {
  #queue: CommitEntry[] = [];
  #flushing = false;
  #scheduled = false;
  #failed: unknown = undefined;
  #idleWaiters: Array<() => void> = [];
  readonly #wal: Wal;
  readonly #onCommitted: (entries: readonly CommitEntry[]) => void;
  readonly #onFailure: (error: unknown) => void;

  /**
   * @param wal - where records go
   * @param onCommitted - called once per durable append, before the entries' own callbacks
   * @param onFailure - called once when an append fails; the queue then refuses everything
   */
  constructor(wal: Wal, onCommitted: (entries: readonly CommitEntry[]) => void, onFailure: (error: unknown) => void) {
    this.#wal = wal;
    this.#onCommitted = onCommitted;
    this.#onFailure = onFailure;
  }

  /** Entries waiting or in flight. */
  get size(): number {
    return this.#queue.length + (this.#flushing ? 1 : 0);
  }

  enqueue(entry: CommitEntry): void {
    if (this.#failed !== undefined) {
      entry.onFailed?.(this.#failed);
      return;
    }
    this.#queue.push(entry);
    if (!this.#flushing && !this.#scheduled) {
      this.#scheduled = true;
      // Let every write issued in the same tick join this append.
      queueMicrotask(() => {
        this.#scheduled = false;
        void this.#flush();
      });
    }
  }

  /**
   * Runs `fn` with the WAL to itself: after every entry queued before, and
   * before every entry queued after.
   */
  exclusive(fn: () => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.enqueue({
        run: async () => {
          try {
            await fn();
            resolve();
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        },
        onFailed: (error) => reject(error instanceof Error ? error : new Error(String(error))),
      });
    });
  }

  /** Resolves once nothing is queued or in flight. */
  idle(): Promise<void> {
    if (!this.#flushing && !this.#scheduled && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    while (this.#queue.length > 0 && this.#failed === undefined) {
      const first = this.#queue[0]!;
      if (first.run !== undefined) {
        this.#queue.shift();
        await first.run();
        continue;
      }
      let cut = this.#queue.findIndex((entry) => entry.run !== undefined);
      if (cut < 0) cut = this.#queue.length;
      const entries = this.#queue.splice(0, cut);
      for (const entry of entries) entry.seal?.();
      const record = merge(entries);
      try {
        if (record !== undefined) await this.#wal.append(record);
      } catch (error) {
        this.#failed = error;
        const stranded = [...entries, ...this.#queue];
        this.#queue = [];
        this.#onFailure(error);
        for (const entry of stranded) entry.onFailed?.(error);
        break;
      }
      this.#onCommitted(entries);
      for (const entry of entries) entry.onDurable?.();
    }
    this.#flushing = false;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function merge(entries: readonly CommitEntry[]): WalRecord | undefined {
  let ops: Operation[] | undefined;
  let covered: VersionVector | undefined;
  let meta: Record<string, string> | undefined;
  for (const entry of entries) {
    if (entry.ops !== undefined && entry.ops.length > 0) {
      if (ops === undefined) ops = entries.length === 1 ? (entry.ops as Operation[]) : [];
      if (ops !== entry.ops) for (const op of entry.ops) ops.push(op);
    }
    if (entry.covered !== undefined) covered = (covered ?? new VersionVector()).merge(entry.covered);
    if (entry.meta !== undefined) meta = { ...meta, ...entry.meta };
  }
  if (ops === undefined && covered === undefined && meta === undefined) return undefined;
  return { ops: ops ?? [], ...(covered ? { covered } : {}), ...(meta ? { meta } : {}) };
}
