/**
 * What the Node and the browser entry points of the SDK both export: every
 * type, and the building blocks that run anywhere. Each entry point adds its
 * own `createPeer` (and Node its file WAL and servers). @internal
 */
export type { PeerOptions } from './node-peer.js';
export type { Peer, PeerSyncOptions, PeerEvents, PeerRole } from './peer.js';
export { Space } from './space.js';
export { Collection } from './collection.js';
export type { CollectionOptions, CollectionChange, SubscribeOptions } from './collection.js';
export type { CollectionType } from './space.js';
export { CounterCollection, SetCollection, MvCollection, MapCollection } from './typed-collection.js';
export type { CounterCollectionOptions, SetCollectionOptions, MvCollectionOptions, MapCollectionOptions, TypedChange, MvConflict } from './typed-collection.js';
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
  OperationType,
  Hlc,
  OpId,
  JsonValue,
  PeerId,
  Limits,
  Clock,
  LongTimeout,
  SyncErrorCode,
} from '@softadastra/sync-core';
export { createSyncEngine } from '@softadastra/sync-engine';
export type { DeclaredPolicy, SyncEngine, SyncEngineOptions, SyncStatus, SyncProgress, Change, ConnectOptions, SyncSession } from '@softadastra/sync-engine';
export { computeDigest, diffDigests, compareOperations, happenedBefore, concurrent } from '@softadastra/sync-reconciler';
export type { StateDigest, DigestDiff } from '@softadastra/sync-reconciler';
export { createMemoryWal } from '@softadastra/wal-memory';
export { createIndexedDbWal } from '@softadastra/wal-indexeddb';
export type { IndexedDbFactory } from '@softadastra/wal-indexeddb';
export { createMemoryNetwork } from '@softadastra/transport-memory';
export { createWebSocketTransport } from '@softadastra/transport-websocket';
export { createHttpTransport } from '@softadastra/transport-http';
