import { createManualClock, createSeededRandom, isSyncError, type Operation } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { fileDisk } from './sim-disk.js';

function op(seq: number): Operation {
  return { origin: 'p0', seq, hlc: { wall: 1_000 + seq, counter: 0, peer: 'p0' }, collection: 'c', key: `k${seq % 3}`, kind: 'put', value: 'v'.repeat(seq * 40) };
}

async function diskWithRecords(records: number): Promise<ReturnType<typeof fileDisk>> {
  const disk = fileDisk();
  const wal = disk.wal(createManualClock(), 0);
  await wal.open();
  // Enough bytes to cross the 4 KiB segments of the simulator.
  for (let seq = 1; seq <= records; seq++) await wal.append({ ops: [op(seq)] });
  await wal.close();
  return disk;
}

async function openError(disk: ReturnType<typeof fileDisk>): Promise<string> {
  const wal = disk.replay();
  try {
    await wal.open();
    await wal.close();
    return 'opened';
  } catch (error) {
    return isSyncError(error) ? error.code : String(error);
  }
}

describe('bit rot on the simulated disk', () => {
  it('damages a record in the middle of the log, which the file WAL refuses with E_WAL_CORRUPT', async () => {
    const random = createSeededRandom(7);
    const outcomes: string[] = [];
    for (let i = 0; i < 25; i++) {
      const disk = await diskWithRecords(12);
      const what = await disk.rot([random.next(), random.next(), random.next()]);
      expect(what).toMatch(/byte \d+/);
      outcomes.push(await openError(disk));
    }
    expect(new Set(outcomes)).toEqual(new Set(['E_WAL_CORRUPT']));
  });

  it('finds nothing to rot in a log of one record (damage there is a torn tail)', async () => {
    const disk = await diskWithRecords(1);
    // The only record is the last one: nothing is in the middle of the log.
    expect(await disk.rot([0.5, 0.5, 0.5])).toBeUndefined();
    expect(await openError(disk)).toBe('opened');
  });
});
