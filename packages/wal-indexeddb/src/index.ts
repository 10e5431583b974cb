/**
 * A write-ahead log for Softadastra Sync on IndexedDB, for browsers and
 * workers: one strict-durability transaction per group commit, typed errors,
 * compaction.
 *
 * @packageDocumentation
 */
export { createIndexedDbWal } from './indexeddb-wal.js';
export type { IndexedDbFactory, IndexedDbWal, IndexedDbWalOptions } from './indexeddb-wal.js';
