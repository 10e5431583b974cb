/**
 * The sync engine of Softadastra Sync.
 *
 * @remarks
 * {@link createSyncEngine} composes the planner, the applier and the
 * reconciler into a peer: a durable last-writer-wins store for one space
 * (WAL-first: nothing is resolved, sent or acknowledged before it is durable),
 * sync sessions over any `Connection` (hello / ops / covered / ack / error,
 * with resends and re-hellos), forwarding between peers, recovery by replay,
 * and events for UIs. It does no I/O of its own: storage and network come in
 * through the `Wal` and `Connection` contracts of `@softadastra/sync-core`.
 *
 * @packageDocumentation
 */
export { createSyncEngine } from './engine.js';
export type { SyncEngine } from './engine.js';
export type { ConnectOptions } from './session.js';
export type { DeclaredPolicy } from '@softadastra/sync-applier';
export type {
  Change,
  PlantedBug,
  SessionStatus,
  SyncEngineEvents,
  SyncEngineOptions,
  SyncProgress,
  SyncSession,
  SyncStatus,
  Timing,
} from './types.js';
export { PendingQueue } from './pending-queue.js';
