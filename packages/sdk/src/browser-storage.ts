import { SyncError, generatePeerId, type PeerId } from '@softadastra/sync-core';
import { createMemoryWal } from '@softadastra/wal-memory';
import { resolveIndexedDbStorage } from './indexeddb-storage.js';
import type { ResolvedStorage } from './peer.js';
import type { StorageOption } from './storage.js';

/**
 * The storage options a browser can honour: `{ indexeddb: name }`,
 * `':memory:'` and `{ wal }`. A directory or `{ sqlite }` needs Node and is
 * refused with `E_INVALID_ARGUMENT`, never half-opened. @internal
 */
export async function resolveBrowserStorage(storage: StorageOption, peerId: PeerId | undefined): Promise<ResolvedStorage> {
  if (storage === ':memory:') {
    return { peerId: peerId ?? generatePeerId(), walFor: () => Promise.resolve(createMemoryWal()), describe: 'memory' };
  }
  if (typeof storage === 'object' && storage !== null && 'wal' in storage) {
    return { peerId: peerId ?? generatePeerId(), walFor: (space) => Promise.resolve(storage.wal(space)), describe: 'custom' };
  }
  if (typeof storage === 'object' && storage !== null && 'indexeddb' in storage) return resolveIndexedDbStorage(storage, peerId);
  throw new SyncError(
    'E_INVALID_ARGUMENT',
    `storage ${JSON.stringify(storage)} needs Node (a directory or { sqlite }): in a browser, use { indexeddb: name }, ':memory:' or { wal: (space) => Wal }`,
  );
}
