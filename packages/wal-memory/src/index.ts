/**
 * A write-ahead log kept in memory, for tests, demos and the deterministic
 * simulator of Softadastra Sync.
 *
 * @remarks
 * {@link createMemoryWal} implements core's `Wal` contract exactly as a file
 * would — records stored encoded and checksummed, group commit in call order,
 * torn tails dropped and mid-log damage refused on open — over a
 * {@link MemoryWalStorage} that outlives its handles, so a test can crash the
 * "process", tear the last write or flip a byte, and check what recovery
 * gives back. Durability can be timed on an injected clock.
 *
 * @packageDocumentation
 */
export { createMemoryWal } from './memory-wal.js';
export type { MemoryWal, MemoryWalOptions } from './memory-wal.js';
export { createMemoryWalStorage } from './memory-wal-storage.js';
export type { MemoryWalStorage } from './memory-wal-storage.js';
