import { open, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SyncError, generatePeerId, isPeerId, type PeerId, type Wal } from '@softadastra/sync-core';
import { createFileWal } from '@softadastra/wal-file';
import { createMemoryWal } from '@softadastra/wal-memory';
import { resolveIndexedDbStorage, type IndexedDbStorage } from './indexeddb-storage.js';
import type { ResolvedStorage } from './peer.js';

/**
 * Where a peer keeps its data:
 *
 * - a directory path: one file WAL per space (`<dir>/spaces/<space>/`);
 * - `{ sqlite: dir }`: one SQLite database per space (`<dir>/<space>.sqlite`);
 * - `{ indexeddb: name }`: IndexedDB (browsers and workers; in Node, pass
 *   `indexedDB: factory`), one database per space (`<name>/<space>`);
 * - `':memory:'`: nothing survives the process (tests, caches);
 * - `{ wal }`: your own WAL for each space.
 *
 * The peer id is kept with the data (`<dir>/peer-id`, or database `<name>`)
 * so a restarted peer keeps its identity. In a browser, directory and SQLite
 * storage are refused with `E_INVALID_ARGUMENT`.
 */
export type StorageOption = string | { readonly sqlite: string } | IndexedDbStorage | { readonly wal: (space: string) => Wal };


/** @internal */
export async function resolveStorage(storage: StorageOption, peerId: PeerId | undefined): Promise<ResolvedStorage> {
  if (storage === ':memory:') {
    return { peerId: peerId ?? generatePeerId(), walFor: () => Promise.resolve(createMemoryWal()), describe: 'memory' };
  }
  if (typeof storage === 'object' && 'wal' in storage) {
    return { peerId: peerId ?? generatePeerId(), walFor: (space) => Promise.resolve(storage.wal(space)), describe: 'custom' };
  }
  if (typeof storage === 'object' && 'indexeddb' in storage) return resolveIndexedDbStorage(storage, peerId);
  if (typeof storage === 'object' && 'sqlite' in storage) {
    const dir = storage.sqlite;
    await mkdir(dir, { recursive: true });
    const id = await persistentPeerId(dir, peerId);
    const { createSqliteWal } = await importOptional(() => import('@softadastra/wal-sqlite'), '@softadastra/wal-sqlite', "{ sqlite: dir } storage");
    return { peerId: id, walFor: (space) => Promise.resolve(createSqliteWal({ path: join(dir, `${space}.sqlite`) })), describe: `sqlite:${dir}` };
  }
  if (typeof storage !== 'string' || storage.length === 0) {
    throw new SyncError('E_INVALID_ARGUMENT', "storage must be a directory path, { sqlite: dir }, { indexeddb: name }, ':memory:' or { wal: (space) => Wal }");
  }
  await mkdir(join(storage, 'spaces'), { recursive: true });
  const id = await persistentPeerId(storage, peerId);
  return { peerId: id, walFor: (space) => Promise.resolve(createFileWal({ dir: join(storage, 'spaces', space) })), describe: `dir:${storage}` };
}

/**
 * Loads an optional peer dependency, or says which package to install. @internal
 *
 * @remarks
 * Heavy adapters (`@softadastra/wal-sqlite` builds native SQLite) are optional
 * peers of the SDK, so that an app using memory or directory storage never
 * installs them. Only a missing package (or a missing dependency of it) is
 * turned into `E_MISSING_DEPENDENCY`; any other failure to load is rethrown.
 *
 * @param load - the dynamic `import()` of the package
 * @param name - the package, as the user installs it
 * @param feature - what needs it, for the message
 */
export async function importOptional<T>(load: () => Promise<T>, name: string, feature: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new SyncError('E_MISSING_DEPENDENCY', `${feature} needs the optional package ${name}, which is not installed: run \`npm install ${name}\``, { cause: error });
    }
    throw error;
  }
}

/**
 * The peer id kept in `<dir>/peer-id`: read it, or make one and store it
 * durably (tmp → fsync → rename → fsync the directory) before anything is
 * written under it.
 */
async function persistentPeerId(dir: string, wanted: PeerId | undefined): Promise<PeerId> {
  const path = join(dir, 'peer-id');
  const stored = (await readFile(path, 'utf8').catch(() => undefined))?.trim();
  if (stored !== undefined && stored.length > 0) {
    if (!isPeerId(stored)) throw new SyncError('E_INVALID_ARGUMENT', `${path} does not hold a valid peer id: fix or delete it`);
    if (wanted !== undefined && wanted !== stored) {
      throw new SyncError('E_INVALID_ARGUMENT', `this storage belongs to peer ${stored}, not ${wanted}: use another directory, or drop the peerId option`);
    }
    return stored;
  }
  const id = wanted ?? generatePeerId();
  const tmp = `${path}.tmp`;
  await writeFile(tmp, `${id}\n`);
  const file = await open(tmp, 'r+');
  try {
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
  const folder = await open(dir, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
  return id;
}
