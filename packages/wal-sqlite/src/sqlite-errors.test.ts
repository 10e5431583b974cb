import { describe, expect, it } from 'vitest';
import { SyncError, WalError } from '@softadastra/sync-core';
import { sqlitePrimaryCode, toWalError } from './sqlite-errors.js';

function sqliteError(code: string, message = 'something happened'): Error {
  return Object.assign(new Error(message), { code });
}

describe('SQLite errors as WalErrors', () => {
  it.each([
    ['SQLITE_CORRUPT', 'E_WAL_CORRUPT'],
    ['SQLITE_CORRUPT_INDEX', 'E_WAL_CORRUPT'],
    ['SQLITE_NOTADB', 'E_WAL_CORRUPT'],
    ['SQLITE_BUSY', 'E_WAL_LOCKED'],
    ['SQLITE_BUSY_SNAPSHOT', 'E_WAL_LOCKED'],
    ['SQLITE_LOCKED', 'E_WAL_LOCKED'],
    ['SQLITE_IOERR_FSYNC', 'E_WAL_FAILED'],
    ['SQLITE_IOERR_WRITE', 'E_WAL_FAILED'],
    ['SQLITE_FULL', 'E_WAL_FAILED'],
    ['SQLITE_READONLY', 'E_WAL_FAILED'],
    ['SQLITE_CANTOPEN', 'E_WAL_FAILED'],
    ['SQLITE_CONSTRAINT_PRIMARYKEY', 'E_WAL_FAILED'],
  ])('maps %s to %s, naming the adapter and the path', (sqlite, expected) => {
    const error = toWalError(sqliteError(sqlite), 'append', '/data/space.db', 5000);
    expect(error).toBeInstanceOf(WalError);
    expect(error.code).toBe(expected);
    expect(error.adapter).toBe('sqlite');
    expect(error.path).toBe('/data/space.db');
    expect(error.message).toContain('/data/space.db');
    expect(error.message).toContain(sqlite);
  });

  it('says what to do: wait for or close the other writer, free space, restore a backup', () => {
    expect(toWalError(sqliteError('SQLITE_BUSY'), 'open', '/x.db', 250).message).toMatch(/250 ms.*close the other/);
    expect(toWalError(sqliteError('SQLITE_FULL'), 'append', '/x.db', 0).message).toMatch(/disk is full/);
    expect(toWalError(sqliteError('SQLITE_NOTADB'), 'open', '/x.db', 0).message).toMatch(/restore it from a backup/);
    expect(toWalError(sqliteError('SQLITE_IOERR'), 'append', '/x.db', 0).message).toMatch(/close\(\) and open\(\)/);
  });

  it('keeps the cause, passes WalErrors through and keeps the code of other SyncErrors', () => {
    const cause = sqliteError('SQLITE_IOERR');
    expect(toWalError(cause, 'append', '/x.db', 0).cause).toBe(cause);
    const wal = new WalError('E_WAL_CORRUPT', 'damaged', { adapter: 'sqlite', path: '/x.db' });
    expect(toWalError(wal, 'open', '/x.db', 0)).toBe(wal);
    const other = toWalError(new SyncError('E_DECODE', 'bad bytes'), 'open', '/x.db', 0);
    expect(other.code).toBe('E_DECODE');
    expect(other.adapter).toBe('sqlite');
  });

  it('treats anything that is not a SQLite error as a failure of unknown state', () => {
    expect(toWalError(new TypeError('Cannot open database because the directory does not exist'), 'open', '/no/x.db', 0).code).toBe('E_WAL_FAILED');
    expect(toWalError('a string', 'append', '/x.db', 0).code).toBe('E_WAL_FAILED');
  });

  it('reads the primary code of extended result codes', () => {
    expect(sqlitePrimaryCode(sqliteError('SQLITE_IOERR_SHORT_READ'))).toBe('SQLITE_IOERR');
    expect(sqlitePrimaryCode(sqliteError('SQLITE_FULL'))).toBe('SQLITE_FULL');
    expect(sqlitePrimaryCode(sqliteError('ENOENT'))).toBeUndefined();
    expect(sqlitePrimaryCode(undefined)).toBeUndefined();
  });
});
