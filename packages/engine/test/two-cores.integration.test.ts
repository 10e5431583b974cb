import { VersionVector, type Wal, type WalRecord, type WalSnapshot } from '@softadastra/sync-core';
import { createMemoryWal, createMemoryWalStorage } from '@softadastra/wal-memory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The core's own helper: its sources, copied and imported as a second install would be.
import { importSecondCopy } from '../../core/test/second-copy.js';
import { World, expectConverged } from './harness.js';

let other: Awaited<ReturnType<typeof importSecondCopy>>['core'];
let remove: () => Promise<void>;
beforeAll(async () => {
  ({ core: other, remove } = await importSecondCopy());
});
afterAll(() => remove());

/** The vector as the other copy of core would hold it. */
const foreign = (vv: VersionVector): VersionVector => other.VersionVector.fromJSON(vv.toJSON());

/**
 * A WAL on the other side of a second copy of core, both ways: what the engine
 * hands it reaches wal-memory as the other copy's vectors, and what it
 * recovers reaches the engine as the other copy's vectors.
 */
function acrossCopies(wal: Wal): Wal & { readonly foreignSeen: () => number } {
  let seen = 0;
  const out = (vv: VersionVector): VersionVector => {
    seen++;
    return foreign(vv);
  };
  const record = (r: WalRecord): WalRecord => (r.covered === undefined ? r : { ...r, covered: out(r.covered) });
  const snapshot = (s: WalSnapshot): WalSnapshot => ({ ...s, vv: out(s.vv) });
  return {
    capabilities: wal.capabilities,
    foreignSeen: () => seen,
    async open() {
      const recovery = await wal.open();
      const records: WalRecord[] = [];
      for await (const r of recovery.records) records.push(record(r));
      return { ...recovery, snapshot: recovery.snapshot === undefined ? undefined : snapshot(recovery.snapshot), records };
    },
    append: (r) => wal.append(record(r)),
    compact: (s) => wal.compact(snapshot(s)),
    close: () => wal.close(),
  };
}

describe('an engine and a WAL adapter on two copies of sync-core', () => {
  it('are two copies: a vector of one is no instance of the other', () => {
    expect(foreign(new VersionVector()) instanceof VersionVector).toBe(false);
  });

  it('writes, compacts, recovers and keeps syncing', async () => {
    const world = new World();
    const storage = createMemoryWalStorage();
    const wal = acrossCopies(createMemoryWal({ storage }));
    const alice = await world.add('alice', { wal });
    await world.add('bob');
    world.link('alice', 'bob');
    for (let i = 0; i < 5; i++) await world.engine('bob').put('c', `b${i}`, i);
    await world.run(1_000);
    for (let i = 0; i < 3; i++) await alice.engine.put('c', `a${i}`, i);
    await world.run(1_000);
    await alice.engine.compact(); // the snapshot's vector crosses to wal-memory as the other copy's
    await alice.engine.put('c', 'after', 1);
    await world.run(1_000);
    expect(world.errors).toEqual([]);
    expect(alice.engine.versionVector().toJSON()).toEqual({ alice: 4, bob: 5 });

    await alice.engine.close();
    const reopened = await world.restart('alice', { wal: acrossCopies(createMemoryWal({ storage })) });
    expect(reopened.versionVector().toJSON()).toEqual({ alice: 4, bob: 5 });
    world.link('alice', 'bob');
    await world.engine('bob').put('c', 'later', 2);
    await world.run(1_000);
    expect(reopened.get('c', 'later')).toBe(2);
    expect(world.errors).toEqual([]);
    expect(wal.foreignSeen()).toBeGreaterThan(0);
    expectConverged([reopened, world.engine('bob')]);
  });
});
