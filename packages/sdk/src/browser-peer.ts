import { resolveBrowserStorage } from './browser-storage.js';
import type { PeerOptions } from './node-peer.js';
import { peerOver, type Peer } from './peer.js';

/**
 * Creates a peer in a browser or a worker: the same API as in Node, with
 * `{ indexeddb: name }` as the durable storage.
 *
 * @example
 * ```ts
 * const peer = await createPeer({ storage: { indexeddb: 'tasks' }, relay: 'wss://relay.example' });
 * const tasks = (await peer.space('team')).collection<{ title: string; done: boolean }>('tasks');
 * await tasks.put('t1', { title: 'Milk', done: false }); // resolved: in IndexedDB, committed with strict durability
 * ```
 */
export async function createPeer(options: PeerOptions): Promise<Peer> {
  return peerOver(options, await resolveBrowserStorage(options.storage, options.peerId));
}
