/// <reference lib="dom" />
import type { Clock, Wal, WalRecovery } from '@softadastra/sync-core';
import { createIndexedDbWal } from '@softadastra/wal-indexeddb';
import { IDBFactory } from 'fake-indexeddb';
import type { SimDisk } from './sim-disk.js';

/** The database every simulated peer keeps its WAL in, on its own factory. */
const NAME = 'softadastra-sim';
/** The object store of the records and of the snapshot (docs/wal-format.md, "IndexedDB"). */
const RECORDS = 'records';
const STATE = 'state';
const SNAPSHOT_KEY = 'snapshot';

/**
 * A peer's IndexedDB in the simulator: `wal-indexeddb` over its own
 * `fake-indexeddb` factory, which outlives the peer's processes as a
 * browser profile outlives its tabs.
 *
 * @remarks
 * Each process sees the factory through its own wrapper (so that a dead
 * process's claim on the database, which no one releases, does not refuse
 * the next one). The wrapper delays each write transaction's `complete`
 * event by the drawn fsync latency on the process's clock: the transaction
 * is committed in the factory, its acknowledgement is not yet delivered.
 * A crash kills the process: no promise of its WAL settles again, its
 * connections close, and a transaction not yet committed is aborted whole
 * (`'lose'`, `'tear'`: IndexedDB has no torn writes) or commits whole
 * without anyone being told (`'keep'`). What was committed stays.
 *
 * fake-indexeddb schedules its work on `setImmediate` and on nothing else (no
 * timer, no clock, no randomness), and the simulator advances virtual time
 * one timer at a time between two `setImmediate` turns: the interleaving of
 * database work and virtual time is a function of the seed alone.
 *
 * @internal
 */
export function indexedDbDisk(log: (message: string) => void = () => undefined): SimDisk {
  const factory = new IDBFactory();
  let life: ProcessView | undefined;
  let failNext = false;
  const newLife = (clock: Clock | undefined, latencyMs: number): ProcessView => {
    life?.kill('keep');
    life = processView(factory, clock, latencyMs, () => {
      const fail = failNext;
      failNext = false;
      return fail;
    });
    return life;
  };
  return {
    kind: 'indexeddb',
    wal(clock, latencyMs) {
      const view = newLife(clock, latencyMs);
      // No Web Lock: a simulated peer is one process, and a dead one would hold it forever.
      return view.guard(createIndexedDbWal({ name: NAME, indexedDB: view.factory, lock: false }));
    },
    crash(inFlight) {
      const fate = life?.kill(inFlight);
      if (fate !== undefined && fate.running + fate.unacknowledged > 0) {
        const parts = [
          ...(fate.running > 0
            ? [`${fate.running} uncommitted write transaction(s)${fate.compactions > 0 ? ` (${fate.compactions} a compaction)` : ''} ${inFlight === 'keep' ? 'commit whole, unacknowledged' : 'aborted whole'}`]
            : []),
          ...(fate.unacknowledged > 0 ? [`${fate.unacknowledged} committed, never acknowledged`] : []),
        ];
        log(`IndexedDB at the crash: ${parts.join('; ')}`);
      }
      life = undefined;
    },
    failNextWrite: () => {
      failNext = true;
    },
    cancelFailure: () => {
      failNext = false;
    },
    replay() {
      const view = newLife(undefined, 0);
      return createIndexedDbWal({ name: NAME, indexedDB: view.factory, lock: false });
    },
    rot: (where) => rotRow(factory, where),
  };
}

/** A write transaction not yet committed, and what a crash does to it. */
interface SimWrite {
  readonly compaction: boolean;
  /** `'keep'`: it commits whole (nobody is told); otherwise it vanishes whole. */
  crash(inFlight: 'lose' | 'keep' | 'tear'): void;
}

/** One process's view of the factory, and how it dies. */
interface ProcessView {
  readonly factory: IDBFactory;
  /** The WAL's promises settle only while the process lives. */
  guard(wal: Wal): Wal;
  /** Kills the process; says how many write transactions were not yet committed, and how many committed without their acknowledgement delivered. */
  kill(inFlight: 'lose' | 'keep' | 'tear'): { readonly running: number; readonly compactions: number; readonly unacknowledged: number } | undefined;
}

function processView(real: IDBFactory, clock: Clock | undefined, latencyMs: number, shouldFail: () => boolean): ProcessView {
  let dead = false;
  const connections: IDBDatabase[] = [];
  /** Write transactions not yet committed: queued (not yet in the factory) or committing. */
  const uncommitted = new Set<SimWrite>();
  /** Committed write transactions whose acknowledgement waits for the second half of the fsync latency. */
  let unacknowledged = 0;
  // The fsync latency, split: before the requests reach the factory (a crash drops them whole, or,
  // with 'keep', lets them commit), and after the commit, before `complete` reaches the WAL.
  const startMs = Math.ceil(latencyMs / 2);
  const ackMs = latencyMs - startMs;
  const later = (ms: number, callback: () => void): void => {
    if (ms === 0 || clock === undefined) queueMicrotask(callback);
    else clock.setTimeout(callback, ms);
  };

  const writeTransaction = (db: IDBDatabase, stores: string | string[], options: IDBTransactionOptions | undefined): IDBTransaction => {
    const requests: Array<(tx: IDBTransaction) => void> = [];
    let state: 'queued' | 'committing' | 'done' = 'queued';
    let started: IDBTransaction | undefined;
    let thrown: unknown;
    const names = typeof stores === 'string' ? [stores] : [...stores];
    const handle = {
      oncomplete: null as ((event: Event) => void) | null,
      onabort: null as ((event: Event) => void) | null,
      get error(): unknown {
        return thrown ?? started?.error ?? null;
      },
      objectStoreNames: names,
      objectStore: (name: string) => ({
        add: (value: unknown, key?: IDBValidKey) => void requests.push((tx) => tx.objectStore(name).add(value, key)),
        put: (value: unknown, key?: IDBValidKey) => void requests.push((tx) => tx.objectStore(name).put(value, key)),
        clear: () => void requests.push((tx) => tx.objectStore(name).clear()),
      }),
      abort: () => {
        if (state === 'queued') {
          state = 'done';
          uncommitted.delete(write);
          queueMicrotask(() => handle.onabort?.(new Event('abort')));
        } else started?.abort();
      },
    };
    /** Hands the requests to the factory; `tell` says whether the WAL hears of the outcome. */
    const start = (tell: boolean): void => {
      if (state !== 'queued') return;
      state = 'committing';
      const tx = (started = db.transaction(stores, 'readwrite', options));
      tx.oncomplete = (event) => {
        state = 'done';
        uncommitted.delete(write);
        if (dead || !tell) return;
        unacknowledged++;
        later(ackMs, () => {
          unacknowledged--;
          if (!dead) handle.oncomplete?.(event);
        });
      };
      tx.onabort = (event) => {
        state = 'done';
        uncommitted.delete(write);
        if (!dead && tell) handle.onabort?.(event);
      };
      try {
        for (const request of requests) request(tx);
        // A failed disk write: the transaction is rolled back whole.
        if (tell && shouldFail()) tx.abort();
      } catch (error) {
        thrown = error;
        tx.abort();
      }
    };
    const write: SimWrite = {
      compaction: names.length > 1,
      crash: (inFlight) => {
        if (inFlight === 'keep') start(false);
        else if (state === 'queued') state = 'done';
        else {
          try {
            started?.abort();
          } catch {
            // Already committing: it lands whole, as a transaction that committed just before the crash.
          }
        }
      },
    };
    uncommitted.add(write);
    later(startMs, () => {
      if (!dead) start(true);
    });
    return handle as unknown as IDBTransaction;
  };

  const wrapDatabase = (db: IDBDatabase): IDBDatabase =>
    new Proxy(db, {
      get(target, prop) {
        if (prop === 'transaction') {
          return (stores: string | string[], mode?: IDBTransactionMode, options?: IDBTransactionOptions): IDBTransaction => {
            // A dead process writes nothing more.
            if (dead) throw new DOMException('the process is dead', 'InvalidStateError');
            // Throws InvalidStateError at once if the connection is closing, as the real call does.
            if (mode !== 'readwrite') return target.transaction(stores, mode, options);
            return writeTransaction(target, stores, options);
          };
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
      set(target, prop, value) {
        return Reflect.set(target, prop, value, target);
      },
    });

  const factory = new Proxy(real, {
    get(target, prop) {
      if (prop === 'open') {
        return (name: string, version?: number): IDBOpenDBRequest => {
          const request = version === undefined ? target.open(name) : target.open(name, version);
          let wrapped: IDBDatabase | undefined;
          request.addEventListener('success', () => {
            connections.push(request.result);
            // Opened after the process died: nobody will close it.
            if (dead) request.result.close();
          });
          return new Proxy(request, {
            get(r, p) {
              if (p === 'result' && r.readyState === 'done' && r.error === null) return (wrapped ??= wrapDatabase(r.result));
              const value: unknown = Reflect.get(r, p, r);
              return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(r) : value;
            },
            set(r, p, value) {
              return Reflect.set(r, p, value, r);
            },
          });
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });

  const alive = <T>(promise: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      promise.then(
        (value) => {
          if (!dead) resolve(value);
        },
        (error: unknown) => {
          if (!dead) reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });

  return {
    factory,
    guard: (wal) => ({
      capabilities: wal.capabilities,
      open: (): Promise<WalRecovery> => alive(wal.open()),
      append: (record) => alive(wal.append(record)),
      compact: (snapshot) => alive(wal.compact(snapshot)),
      close: () => alive(wal.close()),
    }),
    kill(inFlight) {
      if (dead) return undefined;
      dead = true;
      const writes = [...uncommitted];
      // A compaction is the one write transaction over both stores (it clears the records and puts the snapshot).
      const fate = { running: writes.length, compactions: writes.filter((write) => write.compaction).length, unacknowledged };
      for (const write of writes) write.crash(inFlight);
      // A closing connection lets a transaction under way finish (committed whole) and starts no other.
      for (const db of connections) db.close();
      return fate;
    },
  };
}

/**
 * Bit rot while the machine is off: flips one byte of a stored row that is
 * not the last record (the snapshot, or a record before the last), so that
 * the WAL must refuse to open (E_WAL_CORRUPT: the row's CRC fails). `where`
 * picks the row, the byte and the flip, as for the file WAL.
 */
function rotRow(factory: IDBFactory, [pickRow, pickByte, pickFlip]: readonly [number, number, number]): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const request = factory.open(NAME);
    request.onerror = () => reject(request.error ?? new Error('sim: cannot open the database to rot it'));
    request.onsuccess = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(RECORDS) || !db.objectStoreNames.contains(STATE)) {
        db.close();
        resolve(undefined);
        return;
      }
      let what: string | undefined;
      const tx = db.transaction([RECORDS, STATE], 'readwrite');
      const records = tx.objectStore(RECORDS);
      const state = tx.objectStore(STATE);
      // Requests run in order: the snapshot's is done when the keys' succeeds.
      const snapshot = state.get(SNAPSHOT_KEY);
      const keys = records.getAllKeys();
      keys.onsuccess = () => {
        // Every record but the last (whose damage a torn write could explain in other formats), and the snapshot.
        const candidates: Array<{ store: IDBObjectStore; key: IDBValidKey; label: string }> = keys.result.slice(0, -1).map((key) => ({ store: records, key, label: `record seq ${String(key as number)}` }));
        if (snapshot.result !== undefined) candidates.unshift({ store: state, key: SNAPSHOT_KEY, label: 'the snapshot' });
        const target = candidates[Math.floor(pickRow * candidates.length)];
        if (target === undefined) return;
        const get = target.store.get(target.key);
        get.onsuccess = () => {
          const row = get.result as { bytes: Uint8Array };
          const bytes = row.bytes.slice();
          const offset = Math.floor(pickByte * bytes.length);
          const flip = 1 + Math.floor(pickFlip * 255);
          bytes[offset] = bytes[offset]! ^ flip;
          target.store.put({ ...row, bytes }, target.key);
          what = `${target.label} byte ${offset} (of ${candidates.length} rows in the middle of the log) xor 0x${flip.toString(16)}`;
        };
      };
      tx.oncomplete = () => {
        db.close();
        resolve(what);
      };
      tx.onabort = () => {
        db.close();
        reject(tx.error ?? new Error('sim: the rotting transaction aborted'));
      };
    };
  });
}
