import type { WalHarness } from '@softadastra/sync-testing';
import { createIndexedDbWal, type IndexedDbWal } from '../src/index.js';
import { indexedDbWalLevers } from '../src/indexeddb-wal.js';
import { RECORDS } from '../src/row-format.js';
import { createFaultyFactory, type FaultyFactory } from './faulty-idb.js';

/**
 * The conformance harness over one IndexedDB factory and database name, used
 * in Node (fake-indexeddb) and in Chromium (the real one) alike.
 *
 * - holdWrites defers the WAL's transactions (appends stay pending, nothing is committed);
 * - crash drops the connection without committing what is pending: a transaction not yet
 *   committed vanishes whole ('lose', and 'tear', since IndexedDB never stores part of a
 *   transaction), or, with 'keep', the held writes are committed without being acknowledged;
 *   what was committed stays, as IndexedDB promises;
 * - failNextAppend makes the next put of the WAL abort its transaction with an UnknownError,
 *   as a failed disk write does in Chromium (through a wrapped factory);
 * - corruptRecord flips a byte of a stored record through a second, raw connection.
 * tearTail and crashProcess are not provided: IndexedDB has no torn tails, and no page cache
 * that a process crash could leave unsynced.
 */
export function createIdbHarness(factory: IDBFactory, name: string, cleanup?: () => Promise<void> | void): WalHarness & { readonly faulty: FaultyFactory } {
  const faulty = createFaultyFactory(factory);
  let handles: IndexedDbWal[] = [];
  let holding = false;
  return {
    faulty,
    open: () => {
      const wal = createIndexedDbWal({ name, indexedDB: faulty.factory, openTimeoutMs: 2_000 });
      handles.push(wal);
      if (holding) indexedDbWalLevers(wal).holdWrites();
      return wal;
    },
    crash: async (options) => {
      const dying = handles;
      handles = [];
      holding = false;
      await Promise.all(dying.map((wal) => indexedDbWalLevers(wal).crash(options?.inFlight)));
    },
    holdWrites: () => {
      holding = true;
      for (const wal of handles) indexedDbWalLevers(wal).holdWrites();
    },
    releaseWrites: () => {
      holding = false;
      for (const wal of handles) indexedDbWalLevers(wal).releaseWrites();
    },
    failNextAppend: () => faulty.failNext('put', 'abort', 'UnknownError'),
    corruptRecord: (index) => corruptStoredRecord(factory, name, index),
    ...(cleanup === undefined ? {} : { cleanup }),
  };
}

/** Flips a byte in the middle of stored record `index` (counted after the snapshot), through a raw connection. */
export async function corruptStoredRecord(factory: IDBFactory, name: string, index: number): Promise<void> {
  const db = await rawOpen(factory, name);
  try {
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction(RECORDS, 'readwrite');
      const store = tx.objectStore(RECORDS);
      const keys = store.getAllKeys();
      keys.onsuccess = () => {
        const key = keys.result[index];
        if (key === undefined) {
          reject(new Error(`conformance harness: no record ${index} to corrupt`));
          tx.abort();
          return;
        }
        const get = store.get(key);
        get.onsuccess = () => {
          const row = get.result as { crc: number; bytes: Uint8Array };
          const bytes = row.bytes.slice();
          const at = bytes.length >> 1;
          bytes[at] = bytes[at]! ^ 0x20;
          store.put({ ...row, bytes }, key);
        };
      };
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(tx.error ?? new Error('conformance harness: the corrupting transaction aborted'));
    });
  } finally {
    db.close();
  }
}

/** Opens `name` at its current version, without the WAL. */
export function rawOpen(factory: IDBFactory, name: string, version?: number): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = version === undefined ? factory.open(name) : factory.open(name, version);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error(`cannot open ${name}`));
  });
}

/** Deletes `name`, failing after `timeoutMs` if a connection keeps it blocked. */
export function deleteDatabase(factory: IDBFactory, name: string, timeoutMs = 2_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`deleting ${name} stayed blocked for ${timeoutMs} ms: a connection was left open`)), timeoutMs);
    const request = factory.deleteDatabase(name);
    request.onsuccess = () => {
      clearTimeout(timer);
      resolve();
    };
    request.onerror = () => {
      clearTimeout(timer);
      reject(request.error ?? new Error(`cannot delete ${name}`));
    };
  });
}
