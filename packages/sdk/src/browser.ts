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
export type { PeerOptions } from './node-peer.js';
export type { Peer, PeerSyncOptions, PeerEvents } from './peer.js';
export { Space } from './space.js';
export { Collection } from './collection.js';
export type { CollectionOptions, CollectionChange, SubscribeOptions } from './collection.js';
export type { WriteHandle } from './write-handle.js';
export type { Validator, StandardSchema, StandardResult } from './validator.js';
export type { StorageOption } from './storage.js';
export type { IndexedDbStorage } from './indexeddb-storage.js';
export type { RelayTransport, RelayOption } from './relay-connection.js';

// Building blocks.
export {
  SyncError,
  isSyncError,
  VersionVector,
  generatePeerId,
  compareHlc,
  systemClock,
  createManualClock,
  setLongTimeout,
  DEFAULT_LIMITS,
} from '@softadastra/sync-core';
export type {
  Connection,
  Wal,
  Operation,
  OpId,
  JsonValue,
  PeerId,
  Limits,
  Clock,
  LongTimeout,
  SyncErrorCode,
} from '@softadastra/sync-core';
export { createSyncEngine } from '@softadastra/sync-engine';
export type { SyncEngine, SyncEngineOptions, SyncStatus, SyncProgress, Change, ConnectOptions, SyncSession } from '@softadastra/sync-engine';
export { computeDigest, diffDigests, compareOperations } from '@softadastra/sync-reconciler';
export type { StateDigest, DigestDiff } from '@softadastra/sync-reconciler';
export { createMemoryWal } from '@softadastra/wal-memory';
export { createIndexedDbWal } from '@softadastra/wal-indexeddb';
export type { IndexedDbFactory } from '@softadastra/wal-indexeddb';
export { createMemoryNetwork } from '@softadastra/transport-memory';
export { createWebSocketTransport } from '@softadastra/transport-websocket';
export { createHttpTransport } from '@softadastra/transport-http';
