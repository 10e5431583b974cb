import { isSyncError } from '@softadastra/sync-core';
import { createSyncEngine } from '@softadastra/sync-engine';
import { createMemoryWal } from '@softadastra/wal-memory';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '@softadastra/sync-core';
import { HOSTILE_VALUES, hostileWrite } from './hostile.js';


describe('hostile writes of the simulator', () => {
  it('are refused with their typed error, take no seq, and the values at the limits are stored', async () => {
    const engine = await createSyncEngine({ wal: createMemoryWal(), peerId: 'p0' });
    const outcomes: Record<string, string> = {};
    for (const [i, kind] of HOSTILE_VALUES.entries()) {
      const write = hostileWrite(kind, i);
      try {
        const op = await engine.put(write.collection, write.key, write.value as JsonValue);
        outcomes[kind] = `stored as seq ${op.seq}`;
      } catch (error) {
        outcomes[kind] = isSyncError(error) ? error.code : String(error);
      }
      const expected = write.refusedWith === undefined ? 'stored' : write.refusedWith;
      if (expected === 'stored') expect(outcomes[kind]).toMatch(/^stored/);
      else expect(expected).toContain(outcomes[kind]);
    }
    // Three writes were accepted, and they took seqs 1, 2, 3: no refused write took one.
    expect(Object.values(outcomes).filter((o) => o.startsWith('stored'))).toEqual(['stored as seq 1', 'stored as seq 2', 'stored as seq 3']);
    expect(engine.versionVector().hasGap('p0')).toBe(false);
    await engine.close();
  });
});
