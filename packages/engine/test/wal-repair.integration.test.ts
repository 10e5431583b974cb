import { isSyncError, type SyncError, type WalRepairedError } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { createMemoryWal, createMemoryWalStorage, type MemoryWalStorage } from '@softadastra/wal-memory';
import { createSyncEngine } from '../src/index.js';

/** A storage on which peer `a` wrote k1 = 1, k2 = 2, k3 = 3 (each awaited) and closed. */
async function written(): Promise<MemoryWalStorage> {
  const storage = createMemoryWalStorage();
  const engine = await createSyncEngine({ wal: createMemoryWal({ storage }), peerId: 'a' });
  for (let i = 1; i <= 3; i++) await engine.put('c', `k${i}`, i);
  await engine.close();
  return storage;
}

describe('opening a repaired or damaged WAL', () => {
  it('opens a WAL with a torn tail, and tells onError what was cut (E_WAL_REPAIRED)', async () => {
    const storage = await written();
    storage.tearTail();
    const errors: SyncError[] = [];
    const engine = await createSyncEngine({ wal: createMemoryWal({ storage }), peerId: 'a', onError: (error) => errors.push(error) });
    expect(engine.get('c', 'k2')).toBe(2);
    expect(engine.get('c', 'k3')).toBeUndefined();
    expect(errors.map((error) => error.code)).toEqual(['E_WAL_REPAIRED']);
    const warning = errors[0] as WalRepairedError;
    expect(isSyncError(warning)).toBe(true);
    expect(warning.repair).toMatchObject({ records: 1, offset: expect.any(Number) as unknown });
    expect(warning.repair.bytes).toBeGreaterThan(0);
    expect(warning.message).toMatch(/peer a had a torn tail .*cut 1 record \(\d+ bytes\)/);
    // The engine works on: the next write takes the seq the torn one never got to keep.
    expect((await engine.put('c', 'k4', 4)).seq).toBe(3);
    await engine.close();
  });

  it('says nothing when the WAL is intact', async () => {
    const storage = await written();
    const errors: SyncError[] = [];
    const engine = await createSyncEngine({ wal: createMemoryWal({ storage }), peerId: 'a', onError: (error) => errors.push(error) });
    expect(engine.get('c', 'k3')).toBe(3);
    expect(errors).toEqual([]);
    await engine.close();
  });

  it('refuses to open when the last write, awaited and whole, is damaged: E_WAL_CORRUPT, not a silent loss', async () => {
    const storage = await written();
    storage.corruptRecord(storage.records - 1);
    await expect(createSyncEngine({ wal: createMemoryWal({ storage }), peerId: 'a' })).rejects.toMatchObject({ code: 'E_WAL_CORRUPT' });
  });
});
