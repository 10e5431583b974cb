import { resolveBrowserStorage } from './browser-storage.js';
import { resolveIndexedDbStorage } from './indexeddb-storage.js';
import type { PeerOptions } from './node-peer.js';
import { peerOver, type Peer } from './peer.js';
import { SharedTabPeer, type SharedTabsOptions } from './tabs/shared-peer.js';

/** Options of the browser's {@link createPeer}. */
export interface BrowserPeerOptions extends PeerOptions {
  /**
   * Whether the tabs of this site that open the same `{ indexeddb }` storage
   * share one peer: one tab leads (it holds the WAL and the relay
   * connection; the Web Locks API elects it), the others read a replica and
   * write through it over a `BroadcastChannel`, and another tab takes over
   * when the leader goes away. `false` gives this tab a peer of its own
   * (then a second tab on the same storage fails with `E_WAL_LOCKED`). An
   * object sets the lock manager and channel (workers, tests).
   *
   * @default true where `BroadcastChannel` and `navigator.locks` exist, with `{ indexeddb }` storage
   */
  readonly tabs?: boolean | SharedTabsOptions;
}

/**
 * Creates a peer in a browser or a worker: the same API as in Node, with
 * `{ indexeddb: name }` as the durable storage, shared by the tabs of the site.
 *
 * @example
 * ```ts
 * const peer = await createPeer({ storage: { indexeddb: 'tasks' }, relay: 'wss://relay.example' });
 * const tasks = (await peer.space('team')).collection<{ title: string; done: boolean }>('tasks');
 * await tasks.put('t1', { title: 'Milk', done: false }); // resolved: in IndexedDB, committed with strict durability
 * ```
 */
export async function createPeer(options: BrowserPeerOptions): Promise<Peer> {
  const storage = options.storage;
  if (typeof storage === 'object' && storage !== null && 'indexeddb' in storage && sharesTabs(options.tabs)) {
    const resolved = await resolveIndexedDbStorage(storage, options.peerId);
    const peer = new SharedTabPeer(options, resolved.peerId, resolved.walFor, (storage).indexeddb, typeof options.tabs === 'object' ? options.tabs : {});
    await peer.ready;
    return peer;
  }
  return peerOver(options, await resolveBrowserStorage(storage, options.peerId));
}

function sharesTabs(tabs: BrowserPeerOptions['tabs']): boolean {
  if (tabs === false) return false;
  if (tabs !== undefined) return true;
  const scope = globalThis as { BroadcastChannel?: unknown; navigator?: { locks?: unknown } };
  return typeof scope.BroadcastChannel === 'function' && scope.navigator?.locks !== undefined;
}
