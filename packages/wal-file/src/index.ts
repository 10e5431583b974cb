/**
 * A crash-safe write-ahead log in plain files, for Node peers of Softadastra Sync.
 *
 * @remarks
 * {@link createFileWal} implements the `Wal` contract of `@softadastra/sync-core`
 * with append-only segment files: CRC-32-framed records, group commit (one
 * write and one fsync for every append issued meanwhile), torn-tail truncation
 * reported in `repair`, refusal of damage (a whole damaged last record
 * included), atomic snapshots for compaction. All file access goes through a
 * small {@link WalFileSystem}; the {@link createSimulatedFileSystem} disk
 * models unsynced writes, torn writes, lost directory entries and process
 * crashes whose page cache survives, for crash tests and simulations.
 *
 * @packageDocumentation
 */
export { createFileWal } from './file-wal.js';
export type { FileWal, FileWalOptions, FileWalPlantedBug } from './file-wal.js';
export { nodeFileSystem } from './node-file-system.js';
export { joinPath } from './file-system.js';
export type { WalFileSystem, AppendHandle } from './file-system.js';
export { createSimulatedFileSystem, replayFileSystem, CRASH_VARIANTS } from './simulated-file-system.js';
export type { SimulatedFileSystem, SimulatedFileSystemOptions, CrashVariant, FsOperation } from './simulated-file-system.js';
