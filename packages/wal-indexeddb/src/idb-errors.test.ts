import { describe, expect, it } from 'vitest';
import { SyncError, WalError, isSyncError } from '@softadastra/sync-core';
import { domErrorName, toIdbWalError } from './idb-errors.js';

const dom = (name: string, message = 'something happened'): DOMException => new DOMException(message, name);

describe('IndexedDB errors as WalErrors', () => {
  it.each([
    ['QuotaExceededError', 'E_STORAGE_QUOTA'],
    ['InvalidStateError', 'E_WAL_CLOSED'],
    ['SecurityError', 'E_WAL_FAILED'],
    ['VersionError', 'E_WAL_FAILED'],
    ['NotFoundError', 'E_WAL_FAILED'],
    ['UnknownError', 'E_WAL_FAILED'],
    ['AbortError', 'E_WAL_FAILED'],
    ['DataCloneError', 'E_WAL_FAILED'],
  ] as const)('maps %s to %s, naming the adapter and the database', (name, expected) => {
    const cause = dom(name);
    const error = toIdbWalError(cause, 'append', 'softadastra:team:p1');
    expect(error).toBeInstanceOf(WalError);
    expect(isSyncError(error)).toBe(true);
    expect(error.code).toBe(expected);
    expect(error.adapter).toBe('indexeddb');
    expect(error.path).toBe('softadastra:team:p1');
    expect(error.message).toContain('"softadastra:team:p1"');
    expect(error.message).toContain(name);
    expect(error.message).toContain('something happened');
    expect(error.cause).toBe(cause);
  });

  it('says what to do for each', () => {
    expect(toIdbWalError(dom('QuotaExceededError'), 'append', 'db').message).toMatch(/quota.*append was rolled back whole.*navigator\.storage\.persist\(\)/);
    expect(toIdbWalError(dom('QuotaExceededError'), 'compact', 'db').message).toMatch(/compaction was rolled back whole/);
    expect(toIdbWalError(dom('InvalidStateError'), 'append', 'db').message).toMatch(/closing or closed.*close\(\) and open\(\)/);
    expect(toIdbWalError(dom('SecurityError'), 'open', 'db').message).toMatch(/refuses IndexedDB to this page.*http\(s\) origin/);
    expect(toIdbWalError(dom('VersionError'), 'open', 'db').message).toMatch(/newer version/);
    expect(toIdbWalError(dom('UnknownError'), 'open', 'db').message).toMatch(/could not open the database/);
    expect(toIdbWalError(dom('UnknownError'), 'append', 'db').message).toMatch(/state of the database is unknown.*close\(\) and open\(\)/);
  });

  it('passes WalErrors through and keeps the code of other SyncErrors', () => {
    const wal = new WalError('E_WAL_CORRUPT', 'damaged', { adapter: 'indexeddb', path: 'db' });
    expect(toIdbWalError(wal, 'open', 'db')).toBe(wal);
    const other = toIdbWalError(new SyncError('E_DECODE', 'bad bytes'), 'open', 'db');
    expect(other).toBeInstanceOf(WalError);
    expect(other.code).toBe('E_DECODE');
    expect(other.adapter).toBe('indexeddb');
    expect(other.message).toContain('bad bytes');
  });

  it('treats what is not a DOMException as a failure of unknown state', () => {
    expect(toIdbWalError(new TypeError('boom'), 'append', 'db').code).toBe('E_WAL_FAILED');
    expect(toIdbWalError('a string', 'append', 'db').code).toBe('E_WAL_FAILED');
    expect(toIdbWalError('a string', 'append', 'db').message).toContain('a string');
    expect(toIdbWalError(null, 'close', 'db').code).toBe('E_WAL_FAILED');
    // A plain object with a name, as a DOMException from another realm looks.
    expect(toIdbWalError({ name: 'QuotaExceededError', message: 'full' }, 'append', 'db').code).toBe('E_STORAGE_QUOTA');
  });

  it('reads the name of a DOMException or of anything with a string name', () => {
    expect(domErrorName(dom('QuotaExceededError'))).toBe('QuotaExceededError');
    expect(domErrorName({ name: 'X' })).toBe('X');
    expect(domErrorName({ name: 3 })).toBeUndefined();
    expect(domErrorName(null)).toBeUndefined();
    expect(domErrorName('QuotaExceededError')).toBeUndefined();
  });
});
