import { VersionVector } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { RawPeer, World, expectConverged } from './harness.js';

// Each case is a defect the simulator found (seeds 1, 6 and 20 of @softadastra/sync-testing).
describe('regressions found by the simulator', () => {
  it('keeps sending to a peer after its own WAL failed and was reopened (seed 1)', async () => {
    const world = new World();
    const a = (await world.add('a')).engine;
    const b = await world.add('b');
    world.link('a', 'b');
    await world.settle();
    b.storage.failNext('append');
    await a.put('c', 'from-a', 1); // b fails to persist it, reopens its WAL, asks again
    await world.settle();
    expect(b.engine.get('c', 'from-a')).toBe(1);
    await b.engine.put('c', 'from-b', 2); // b's sending side must still work
    await world.settle();
    expect(a.get('c', 'from-b')).toBe(2);
    expect(b.engine.status).toBe('synced');
    expectConverged([a, b.engine]);
  });

  it('tells a peer about an operation that arrived already superseded (seed 6)', async () => {
    const world = new World();
    const a = (await world.add('a')).engine;
    const b = (await world.add('b')).engine;
    const c = (await world.add('c')).engine;
    await c.put('c', 'k', 'older'); // c:1, written first
    world.clock.advance(10);
    await b.put('c', 'k', 'newer'); // b:1 beats it
    world.link('a', 'b');
    await world.settle();
    world.link('b', 'c'); // c:1 reaches b already superseded; a never needs its value, only its id
    await world.settle();
    expect(a.versionVector().has({ origin: 'c', seq: 1 })).toBe(true);
    expectConverged([a, b, c]);
  });

  it('ignores a duplicated or replayed hello instead of restarting under an old epoch (seed 20)', async () => {
    const world = new World();
    const b = (await world.add('b')).engine;
    await b.put('c', 'k', 1);
    const raw = new RawPeer(world, 'r', 'b');
    await world.run(100);
    const hello = (epoch: number) => ({ type: 'hello', protocol: 1, epoch, peer: 'r', space: 'default', vv: new VersionVector() }) as const;
    raw.send(hello(10));
    await world.run(100);
    raw.send(hello(11));
    await world.run(100);
    const before = raw.messages.length;
    raw.send(hello(10)); // replayed
    raw.send(hello(11)); // duplicated
    await world.run(100);
    const after = raw.messages.slice(before).filter((m) => m.type === 'ops' || m.type === 'covered');
    expect(after).toEqual([]);
  });
});
