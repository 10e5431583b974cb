import { describe, expect, it } from 'vitest';
import { isSyncError } from '@softadastra/sync-core';
import { importOptional } from './storage.js';

describe('importOptional', () => {
  it('names the package to install when it is missing', async () => {
    const missing = importOptional(() => import(/* @vite-ignore */ ['@softadastra', 'not-installed-anywhere'].join('/')), '@softadastra/wal-sqlite', '{ sqlite: dir } storage');
    const error: unknown = await missing.then(() => undefined, (e: unknown) => e);
    expect(isSyncError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'E_MISSING_DEPENDENCY' });
    expect((error as Error).message).toContain('npm install @softadastra/wal-sqlite');
  });

  it('rethrows any other failure to load unchanged', async () => {
    const broken = new TypeError('the module threw while loading');
    await expect(importOptional(() => Promise.reject(broken), '@softadastra/wal-sqlite', 'x')).rejects.toBe(broken);
  });

  it('returns the module when it is installed', async () => {
    const module = await importOptional(() => import('@softadastra/wal-sqlite'), '@softadastra/wal-sqlite', 'x');
    expect(typeof module.createSqliteWal).toBe('function');
  });
});
