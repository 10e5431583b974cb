import { createManualClock, opIdKey } from '@softadastra/sync-core';
import { createSyncEngine, type PlantedBug, type SyncEngine } from '@softadastra/sync-engine';
import { counterIncrement, mvWrite, setAdd, setRemove, type CounterState, type MvState, type SetState } from '@softadastra/sync-reconciler';
import { createMemoryWal } from '@softadastra/wal-memory';
import { describe, expect, it } from 'vitest';
import { History } from './history.js';
import { observeWal } from './sim-wal.js';
import { checkTypedCollections } from './typed-check.js';

const typed = new Map([
  ['counter', 'counter'],
  ['set', 'set'],
  ['mv', 'mv'],
] as const);

/** One real engine whose WAL reports to `history`, with a few typed writes made and durable. */
async function peerWithWrites(history: History, plant?: PlantedBug): Promise<SyncEngine> {
  const engine = await createSyncEngine({
    wal: observeWal(createMemoryWal(), 'p0', history),
    peerId: 'p0',
    clock: createManualClock(),
    collections: { counter: 'counter', set: 'set', mv: 'mv' },
    ...(plant === undefined ? {} : { plant }),
  });
  const writes = [
    engine.update('counter', 'k', 'counter', (state, origin) => counterIncrement(state as CounterState, origin, 2) as never),
    engine.update('counter', 'k', 'counter', (state, origin) => counterIncrement(state as CounterState, origin, 3) as never),
    engine.update('set', 'k', 'set', () => setAdd('x')),
    engine.update('set', 'k', 'set', (state) => setRemove(state as SetState, 'x')),
    engine.update('set', 'k', 'set', () => setAdd('x')),
    engine.update('mv', 'k', 'mv', (state) => mvWrite(state as MvState, 1) as never),
  ];
  const ops = await Promise.all(writes);
  history.acked.push(...ops);
  history.intents.set(opIdKey(ops[0]!), { policy: 'counter', amount: 2 });
  history.intents.set(opIdKey(ops[1]!), { policy: 'counter', amount: 3 });
  return engine;
}

describe('the typed checks of a run', () => {
  it('pass on a real engine whose every typed write is in the history', async () => {
    const history = new History();
    const engine = await peerWithWrites(history);
    expect(engine.get('counter', 'k')).toBe(5);
    expect(checkTypedCollections(history, [engine], typed, () => {})).toBe(0);
    expect(history.violations).toEqual([]);
    await engine.close();
  });

  it('report an increment counted other than it was meant', async () => {
    const history = new History();
    const engine = await peerWithWrites(history);
    const second = history.acked[1]!;
    history.intents.set(opIdKey(second), { policy: 'counter', amount: 1 });
    checkTypedCollections(history, [engine], typed, () => {});
    expect(history.violations.map((v) => v.kind)).toEqual(['wrong-value']);
    expect(history.violations[0]!.message).toContain('an increment lost or counted twice');
    await engine.close();
  });

  it('report a vector naming an operation whose content no storage held, and an acknowledged write missing from it', async () => {
    const history = new History();
    const engine = await peerWithWrites(history);
    const forgotten = history.acked[5]!;
    history.durable.delete(opIdKey(forgotten));
    const stranger = { ...forgotten, origin: 'p9', hlc: { ...forgotten.hlc, peer: 'p9' } };
    history.durableAt('p9', stranger, false);
    history.acked.push(stranger);
    const lost = checkTypedCollections(history, [engine], typed, () => {});
    expect(lost).toBe(1);
    expect(history.violations.map((v) => v.kind)).toContain('phantom-op');
    await engine.close();
  });

  // (mv-lww and map-whole need writes of several peers: test/simulator.test.ts catches them in whole runs.)
  for (const plant of ['counter-sum', 'set-remove-wins'] as const) {
    it(`see the planted policy bug ${plant} on one peer`, async () => {
      const history = new History();
      const engine = await peerWithWrites(history, plant);
      checkTypedCollections(history, [engine], typed, () => {});
      expect(history.violations.map((v) => v.kind)).toEqual(['wrong-value']);
      expect(history.violations[0]!.message).toContain(plant === 'counter-sum' ? 'counter/k shows 7' : 'set/k shows []');
      await engine.close();
    });
  }
});
