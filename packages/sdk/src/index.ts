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
export * from './shared-exports.js';
// Node only: the file WAL and the servers.
export { createFileWal } from '@softadastra/wal-file';
export { createWebSocketServer } from '@softadastra/transport-websocket';
export { createHttpTransportServer } from '@softadastra/transport-http';
