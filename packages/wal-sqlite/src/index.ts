/**
 * A write-ahead log for Softadastra Sync in a SQLite database.
 *
 * @remarks
 * {@link createSqliteWal} implements core's `Wal` contract on better-sqlite3:
 * concurrent appends are group-committed as one SQLite transaction (one sync
 * with `synchronous: 'full'`) and recovered in call order; every record row
 * carries a CRC-32 so that damage SQLite cannot see is refused on open;
 * `compact()` swaps the records for a snapshot in one transaction; failures
 * are typed `WalError`s (`E_WAL_CORRUPT`, `E_WAL_LOCKED`, `E_WAL_FAILED`,
 * `E_WAL_CLOSED`). The database is held exclusively while open, so a second
 * process cannot write the same log.
 *
 * @packageDocumentation
 */
export { createSqliteWal } from './sqlite-wal.js';
export type { SqliteWal, SqliteWalOptions, SqliteSynchronous } from './sqlite-wal.js';
