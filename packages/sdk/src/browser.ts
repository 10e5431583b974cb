/**
 * Softadastra Sync for applications in browsers and workers: the front door.
 *
 * @remarks
 * Chosen by bundlers through the `browser` export condition (or imported as
 * `@softadastra/sdk/browser`). The same API as the Node entry point —
 * {@link createPeer}, spaces, typed collections, the write life cycle —
 * with `{ indexeddb: name }` as durable storage, and nothing of Node in it:
 * no `node:*`, no `better-sqlite3`, no `ws`. The file WAL and the servers
 * are left out; everything else is re-exported as in Node.
 *
 * @packageDocumentation
 */
export { createPeer } from './browser-peer.js';
export type { BrowserPeerOptions } from './browser-peer.js';
export type { SharedTabsOptions, TabLocks } from './tabs/shared-peer.js';
export * from './shared-exports.js';
