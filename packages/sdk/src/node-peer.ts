import { peerOver, type Peer, type PeerSyncOptions } from './peer.js';
import { resolveStorage, type StorageOption } from './storage.js';

/** Options of {@link createPeer}. */
export interface PeerOptions extends PeerSyncOptions {
  /** Where data lives: a directory, `{ sqlite: dir }`, `':memory:'` or `{ wal }` (see {@link StorageOption}). */
  readonly storage: StorageOption;
}

/**
 * Creates a peer.
 *
 * @example
 * ```ts
 * const peer = await createPeer({ storage: './data', relay: 'ws://localhost:8787' });
 * const todos = (await peer.space('team')).collection<{ title: string; done: boolean }>('todos');
 * await todos.put('t1', { title: 'Milk', done: false });
 * ```
 */
export async function createPeer(options: PeerOptions): Promise<Peer> {
  return peerOver(options, await resolveStorage(options.storage, options.peerId));
}
