/// <reference lib="dom" />
import { SyncError, generatePeerId, isPeerId, isSyncError, type PeerId } from '@softadastra/sync-core';
import { createIndexedDbWal, type IndexedDbFactory } from '@softadastra/wal-indexeddb';
import type { ResolvedStorage } from './peer.js';


/** The options of `{ indexeddb: name }` storage. */
export interface IndexedDbStorage {
  /** The name the peer's databases start with: `<name>` (its id), `<name>/<space>` (one WAL per space). */
  readonly indexeddb: string;
  /**
   * The IndexedDB factory: a worker's `self.indexedDB`, or `fake-indexeddb`'s in Node.
   * @default globalThis.indexedDB
   */
  readonly indexedDB?: IndexedDbFactory;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const META_STORE = 'meta';
const PEER_ID_KEY = 'peer-id';

/** @internal `{ indexeddb: name }` storage: the peer id in database `<name>`, each space's WAL in `<name>/<space>`. */
export async function resolveIndexedDbStorage(storage: IndexedDbStorage, wanted: PeerId | undefined): Promise<ResolvedStorage> {
  const { indexeddb: name } = storage;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new SyncError('E_INVALID_ARGUMENT', `indexeddb storage name ${JSON.stringify(name)} is not valid: 1–128 characters from A–Z a–z 0–9 . _ : -, starting with a letter or digit`);
  }
  const factory = storage.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (factory === undefined) {
    throw new SyncError('E_INVALID_ARGUMENT', 'indexeddb storage needs IndexedDB: run in a browser or a worker, or pass { indexeddb, indexedDB: factory } (fake-indexeddb in Node)');
  }
  const peerId = await persistentPeerId(factory, name, wanted);
  return {
    peerId,
    walFor: (space) => Promise.resolve(createIndexedDbWal({ name: `${name}/${space}`, indexedDB: factory })),
    describe: `indexeddb:${name}`,
  };
}

/**
 * The peer id kept in database `<name>`: read it, or store a new one with a
 * strict-durability transaction before any space is opened under it. Two tabs
 * racing to create it agree: the second `add` fails and reads the first's.
 */
async function persistentPeerId(factory: IDBFactory, name: string, wanted: PeerId | undefined): Promise<PeerId> {
  const db = await request<IDBDatabase>(
    (() => {
      const open = factory.open(name, 1);
      open.onupgradeneeded = () => {
        if (!open.result.objectStoreNames.contains(META_STORE)) open.result.createObjectStore(META_STORE);
      };
      return open;
    })(),
    `open the peer's database ${name}`,
  );
  try {
    const stored = await readPeerId(db, name);
    if (stored !== undefined) return checked(stored, wanted, name);
    const id = wanted ?? generatePeerId();
    const tx = db.transaction(META_STORE, 'readwrite', { durability: 'strict' });
    tx.objectStore(META_STORE).add(id, PEER_ID_KEY);
    const added = await transactionDone(tx).then(
      () => true,
      (error: unknown) => {
        if ((error as { name?: unknown } | null)?.name === 'ConstraintError') return false;
        throw error;
      },
    );
    if (added) return id;
    const winner = await readPeerId(db, name);
    if (winner === undefined) throw new SyncError('E_WAL_FAILED', `the peer id of ${name} could not be stored or read`);
    return checked(winner, wanted, name);
  } catch (error) {
    throw storageError(error, `keep the peer id in IndexedDB database ${name}`);
  } finally {
    db.close();
  }
}

function checked(stored: string, wanted: PeerId | undefined, name: string): PeerId {
  if (!isPeerId(stored)) throw new SyncError('E_INVALID_ARGUMENT', `IndexedDB database ${name} does not hold a valid peer id: delete the database, or use another name`);
  if (wanted !== undefined && wanted !== stored) {
    throw new SyncError('E_INVALID_ARGUMENT', `this storage belongs to peer ${stored}, not ${wanted}: use another name, or drop the peerId option`);
  }
  return stored;
}

async function readPeerId(db: IDBDatabase, name: string): Promise<string | undefined> {
  const tx = db.transaction(META_STORE, 'readonly');
  const value = await request<unknown>(tx.objectStore(META_STORE).get(PEER_ID_KEY), `read the peer id of ${name}`);
  return typeof value === 'string' ? value : value === undefined ? undefined : JSON.stringify(value);
}

function request<T>(req: IDBRequest | IDBOpenDBRequest, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    req.onsuccess = () => resolve(req.result as T);
    req.onerror = () => reject(storageError(req.error, what));
    if ('onblocked' in req) req.onblocked = () => reject(new SyncError('E_WAL_LOCKED', `could not ${what}: another tab holds an older version of it open`));
  });
}

function transactionDone(tx: IDBTransaction): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    // A failed request aborts its transaction: tx.error is set by then (not yet in onerror).
    tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
  });
}

function storageError(error: unknown, what: string): SyncError {
  if (isSyncError(error)) return error;
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'QuotaExceededError') return new SyncError('E_STORAGE_QUOTA', `could not ${what}: the browser's storage quota is used up`, { cause: error });
  return new SyncError('E_WAL_FAILED', `could not ${what}: ${String((error as { message?: unknown } | null)?.message ?? error)}`, { cause: error });
}
