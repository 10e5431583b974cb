import { WalError, isSyncError, isWalError, type SyncErrorCode } from '@softadastra/sync-core';
import { ADAPTER } from './schema.js';

/**
 * How SQLite's failures become typed {@link WalError}s.
 *
 * @remarks
 * better-sqlite3 throws `SqliteError`s whose `code` is SQLite's extended
 * result code name (`SQLITE_IOERR_FSYNC`, `SQLITE_BUSY_SNAPSHOT`, …). The
 * primary code decides the WAL error code; the message names the path, what
 * was being done and what to do about it.
 */

/** What the WAL was doing when SQLite failed, for messages. */
export type SqliteAction = 'open' | 'append' | 'compact' | 'close';

/** The primary result code of a SQLite error (`SQLITE_IOERR_FSYNC` → `SQLITE_IOERR`), if it is one. */
export function sqlitePrimaryCode(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  const second = code.indexOf('_', 'SQLITE_'.length);
  return second < 0 ? code : code.slice(0, second);
}

/**
 * Turns anything thrown while using the database into a {@link WalError}.
 *
 * @remarks
 * - `SQLITE_CORRUPT`, `SQLITE_NOTADB` → `E_WAL_CORRUPT`;
 * - `SQLITE_BUSY`, `SQLITE_LOCKED` → `E_WAL_LOCKED`;
 * - anything else (I/O, full disk, read-only, cannot open, or not a SQLite
 *   error at all) → `E_WAL_FAILED`.
 *
 * A `WalError` passes through unchanged; another `SyncError` keeps its code.
 *
 * @param error - what was thrown
 * @param action - what the WAL was doing
 * @param path - the database path
 * @param busyTimeoutMs - how long SQLite waited for a lock, for the message
 */
export function toWalError(error: unknown, action: SqliteAction, path: string, busyTimeoutMs: number): WalError {
  if (isWalError(error)) return error;
  if (isSyncError(error)) return new WalError(error.code, error.message, { adapter: ADAPTER, path, cause: error });
  const detail = error instanceof Error ? error.message : String(error);
  const sqlite = sqlitePrimaryCode(error);
  const said = sqlite === undefined ? detail : `${String((error as { code: string }).code)}: ${detail}`;
  let code: SyncErrorCode;
  let advice: string;
  switch (sqlite) {
    case 'SQLITE_CORRUPT':
    case 'SQLITE_NOTADB':
      code = 'E_WAL_CORRUPT';
      advice = `the database file is damaged or is not a SQLite database; refusing to ${action === 'open' ? 'open it' : 'go on'} rather than lose acknowledged writes — restore it from a backup or a replica, or move it (with its -wal file) aside to start an empty WAL`;
      break;
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      code = 'E_WAL_LOCKED';
      advice = `another process (or another connection) holds the database and did not let go within busyTimeoutMs (${busyTimeoutMs} ms); a WAL has one writer: close the other one first`;
      break;
    case 'SQLITE_FULL':
      code = 'E_WAL_FAILED';
      advice = 'the disk is full: free space, then close() and open() the WAL again';
      break;
    case 'SQLITE_CANTOPEN':
      code = 'E_WAL_FAILED';
      advice = 'cannot open the database file: check that its directory exists and is writable';
      break;
    case 'SQLITE_READONLY':
      code = 'E_WAL_FAILED';
      advice = 'the database is read-only: check the permissions of the file, its -wal file and its directory';
      break;
    default:
      code = 'E_WAL_FAILED';
      advice =
        action === 'open' || action === 'close'
          ? 'check the file, the disk and the permissions'
          : 'the state of the database is unknown, so every call fails until you close() and open() the WAL again';
  }
  return new WalError(code, `sqlite WAL ${path}: ${action} failed (${said}): ${advice}`, { adapter: ADAPTER, path, cause: error });
}
