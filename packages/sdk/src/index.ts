/**
 * Softadastra Sync for applications: the front door.
 *
 * @remarks
 * {@link createPeer} gives a local-first peer in one call: durable storage (a
 * directory, SQLite or memory), spaces synced with a relay over WebSocket
 * (HTTP long polling as a fallback), typed collections with validation, a
 * write life cycle (`await` = durable, `.acked` = on the relay), status and
 * divergence reports. Everything it is built from is re-exported below, for
 * when you outgrow the presets: your own WAL, transport or topology.
 *
 * @packageDocumentation
 */
export { createPeer } from './node-peer.js';
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
export { createFileWal } from '@softadastra/wal-file';
export { createMemoryNetwork } from '@softadastra/transport-memory';
export { createWebSocketTransport, createWebSocketServer } from '@softadastra/transport-websocket';
export { createHttpTransport, createHttpTransportServer } from '@softadastra/transport-http';
