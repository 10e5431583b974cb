import { WalError } from '@softadastra/sync-core';
import type Database from 'better-sqlite3';

/**
 * The layout of a WAL database (specified in the README): how a file is
 * recognised as ours, created, and refused when it is not.
 *
 * @remarks
 * A WAL owns its database file. The SQLite header carries our
 * `application_id` and the format version in `user_version`, so that a file
 * of another application — or of a newer format — is refused with a clear
 * message instead of being read as garbage or, worse, written to.
 */

/** `PRAGMA application_id` of a WAL database: ASCII "SdSW" (Softadastra Sync WAL). */
export const APPLICATION_ID = 0x53645357;

/** `PRAGMA user_version` of the format this package writes and reads. */
export const FORMAT_VERSION = 1;

/** The adapter name carried by every {@link WalError} of this package. */
export const ADAPTER = 'sqlite';

const TABLES = ['wal_commits', 'wal_snapshot', 'wal_snapshot_ops'] as const;

// STRICT tables (SQLite ≥ 3.37): a value of the wrong type is refused, never coerced.
const CREATE_TABLES = `
CREATE TABLE wal_commits (
  id      INTEGER PRIMARY KEY,
  records INTEGER NOT NULL,
  body    BLOB    NOT NULL,
  crc     INTEGER NOT NULL
) STRICT;
CREATE TABLE wal_snapshot (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  vv      BLOB    NOT NULL,
  meta    BLOB    NOT NULL,
  parts   INTEGER NOT NULL,
  ops     INTEGER NOT NULL,
  crc     INTEGER NOT NULL
) STRICT;
CREATE TABLE wal_snapshot_ops (
  part    INTEGER PRIMARY KEY,
  ops     BLOB    NOT NULL,
  crc     INTEGER NOT NULL
) STRICT;
`;

/**
 * Makes `db` a WAL database: creates the tables in an empty file, checks
 * them in one of ours, refuses anything else.
 *
 * @remarks
 * The header is read first, which is also where SQLite notices a file that
 * is not a database (`SQLITE_NOTADB`, mapped by the caller). Nothing is
 * written to a database that is not ours: the journal mode is switched to
 * WAL only once the file is known to be an empty one or a WAL.
 *
 * @param db - an open connection
 * @param path - the database path, for messages
 * @param isFile - false for `:memory:`, which has no WAL journal
 * @throws WalError `E_INVALID_ARGUMENT` for a database of another application
 * or of a newer format, `E_WAL_CORRUPT` for one of ours that lacks its tables
 */
export function prepareSchema(db: Database.Database, path: string, isFile: boolean): void {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  const objects = db.prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view', 'index', 'trigger') AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];

  if (applicationId === 0 && version === 0 && objects.length === 0) {
    if (isFile) {
      // Lets compact() give the pages of dropped records back to the file system.
      db.pragma('auto_vacuum = INCREMENTAL');
      useWalJournal(db, path);
    }
    db.transaction(() => {
      db.exec(CREATE_TABLES);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${FORMAT_VERSION}`);
    }).exclusive();
    return;
  }
  if (applicationId !== APPLICATION_ID) {
    const held = objects.length === 0 ? 'no tables' : `the tables ${objects.slice(0, 5).join(', ')}${objects.length > 5 ? ', …' : ''}`;
    throw new WalError(
      'E_INVALID_ARGUMENT',
      `${path} is a SQLite database of another application (application_id 0x${hex(applicationId)}, ${held}), not a Softadastra WAL: ` +
        'pass the path of a new file or of an existing WAL database — it was left untouched',
      { adapter: ADAPTER, path },
    );
  }
  if (version > FORMAT_VERSION) {
    throw new WalError(
      'E_INVALID_ARGUMENT',
      `${path} holds a WAL of format ${version}, newer than the format ${FORMAT_VERSION} this version of @softadastra/wal-sqlite reads: upgrade @softadastra/wal-sqlite`,
      { adapter: ADAPTER, path },
    );
  }
  const missing = TABLES.filter((table) => !objects.includes(table));
  if (version !== FORMAT_VERSION || missing.length > 0) {
    throw new WalError(
      'E_WAL_CORRUPT',
      `${path} is marked as a Softadastra WAL but ${version !== FORMAT_VERSION ? `has format version ${version}` : `lacks the table${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`}: ` +
        'refusing to open it — restore it from a backup or a replica, or move it aside to start an empty WAL',
      { adapter: ADAPTER, path },
    );
  }
  if (isFile) useWalJournal(db, path);
}

function useWalJournal(db: Database.Database, path: string): void {
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') {
    throw new WalError('E_WAL_FAILED', `${path}: SQLite refused to switch the journal to WAL mode (it stayed ${String(mode)}): put the database on a local file system`, {
      adapter: ADAPTER,
      path,
    });
  }
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
