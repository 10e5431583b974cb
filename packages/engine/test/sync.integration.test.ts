import { decodeMessage } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { World, expectConverged, fastTiming } from './harness.js';

describe('peers that always converge', () => {
  it('syncs two peers both ways', async () => {
    const world = new World();
    const a = (await world.add('a')).engine;
    const b = (await world.add('b')).engine;
    await a.put('todos', '1', { title: 'milk' });
    await b.put('todos', '2', { title: 'eggs' });
    world.link('a', 'b');
    await world.settle();
    expect(b.get('todos', '1')).toEqual({ title: 'milk' });
    expect(a.get('todos', '2')).toEqual({ title: 'eggs' });
    // Live writes after the initial sync flow too.
    await a.delete('todos', '2');
    await world.settle();
    expect(b.has('todos', '2')).toBe(false);
    expectConverged([a, b]);
    expect(a.status).toBe('synced');
  });

  it('converges five peers in a full mesh with concurrent writes to the same keys', async () => {
    const world = new World({ seed: 7 });
    const names = ['a', 'b', 'c', 'd', 'e'];
    for (const name of names) await world.add(name);
    for (let i = 0; i < names.length; i++) for (let j = i + 1; j < names.length; j++) world.link(names[i]!, names[j]!);
    await world.settle();
    await Promise.all(names.flatMap((name) => Array.from({ length: 20 }, (_, k) => world.engine(name).put('c', `k${k % 5}`, `${name}-${k}`))));
    await world.settle();
    expectConverged(names.map((n) => world.engine(n)));
    expect(world.engine('a').entries('c')).toHaveLength(5);
  });

  it('converges five peers in a star around a relay peer that only forwards', async () => {
    const world = new World({ seed: 3 });
    const relay = (await world.add('relay')).engine;
    const clients = ['a', 'b', 'c', 'd', 'e'];
    for (const name of clients) {
      await world.add(name);
      world.link(name, 'relay');
    }
    for (const name of clients) await world.engine(name).put('notes', name, { by: name });
    await world.settle();
    for (const name of clients) expect(world.engine(name).entries('notes')).toHaveLength(5);
    expect(relay.entries('notes')).toHaveLength(5);
    expectConverged([relay, ...clients.map((n) => world.engine(n))]);
  });

  it('brings a late joiner that was never online up to date (forwarding to late joiners)', async () => {
    const world = new World();
    await world.add('relay');
    await world.add('a');
    world.link('a', 'relay');
    for (let i = 0; i < 50; i++) await world.engine('a').put('c', `k${i}`, i);
    await world.settle();
    const late = (await world.add('late')).engine;
    world.link('late', 'relay');
    await world.settle();
    expect(late.entries('c')).toHaveLength(50);
    expectConverged([world.engine('a'), world.engine('relay'), late]);
  });

  it('syncs multi-hop A→B→C although A and C never connect', async () => {
    const world = new World();
    for (const name of ['a', 'b', 'c']) await world.add(name);
    world.link('a', 'b');
    world.link('b', 'c');
    await world.engine('a').put('c', 'from-a', 1);
    await world.engine('c').put('c', 'from-c', 3);
    await world.settle();
    expect(world.engine('c').get('c', 'from-a')).toBe(1);
    expect(world.engine('a').get('c', 'from-c')).toBe(3);
    expectConverged(['a', 'b', 'c'].map((n) => world.engine(n)));
  });

  it('does not resurrect a key deleted after a concurrent older put', async () => {
    const world = new World();
    const a = (await world.add('a')).engine;
    const b = (await world.add('b')).engine;
    await a.put('c', 'k', 'old');
    world.clock.advance(5);
    await b.delete('c', 'k');
    world.link('a', 'b');
    await world.settle();
    expect(a.has('c', 'k')).toBe(false);
    expect(b.has('c', 'k')).toBe(false);
    expectConverged([a, b]);
  });

  it('converges through loss, duplication, reordering and delay', async () => {
    const world = new World({ seed: 11, faults: { loss: 0.2, duplicate: 0.2, reorder: 0.3, latency: { min: 1, max: 40 } } });
    const names = ['a', 'b', 'c'];
    for (const name of names) await world.add(name);
    world.link('a', 'b');
    world.link('b', 'c');
    world.link('a', 'c');
    for (let i = 0; i < 30; i++) for (const name of names) void world.engine(name).put('c', `k${i % 7}`, `${name}${i}`);
    await world.run(5_000);
    world.network.setFaults({});
    await world.settle();
    expectConverged(names.map((n) => world.engine(n)));
  });

  it('resolves HLC ties by origin so three peers agree (not by receiver id)', async () => {
    const world = new World();
    const names = ['x', 'y', 'z'];
    for (const name of names) await world.add(name);
    // All three write the same key at the same virtual millisecond: equal wall and counter.
    await Promise.all(names.map((name) => world.engine(name).put('c', 'k', name)));
    world.link('x', 'y');
    world.link('y', 'z');
    world.link('z', 'x');
    await world.settle();
    for (const name of names) expect(world.engine(name).get('c', 'k')).toBe('z');
    expectConverged(names.map((n) => world.engine(n)));
  });

  it('orders by hybrid clock, not wall clock alone: a write made after seeing another wins despite a slow clock', async () => {
    const world = new World();
    const fast = await world.add('fast');
    const slow = await world.add('slow');
    fast.clock.skewMs = 60_000; // a minute ahead
    await fast.engine.put('c', 'k', 'first');
    world.link('fast', 'slow');
    await world.settle();
    // slow saw "first"; its own clock is a minute behind, but its next write must still win.
    await slow.engine.put('c', 'k', 'second');
    await world.settle();
    expect(fast.engine.get('c', 'k')).toBe('second');
    expect(slow.engine.get('c', 'k')).toBe('second');
  });
});

describe('asking a connected peer for its digest', () => {
  it('returns the remote digest, and with leaves names the keys on which the two peers differ', async () => {
    const { diffDigests } = await import('@softadastra/sync-reconciler');
    const world = new World();
    const a = (await world.add('a')).engine;
    const b = (await world.add('b')).engine;
    await b.put('c', 'same', 1);
    // b refuses a's writes, so that the two states can differ.
    const [ab, ba] = world.network.connect('a', 'b');
    a.connect(ab);
    b.connect(ba, { acceptWrites: false });
    await world.run(500);
    const session = a.sessions()[0]!;
    const first = session.requestDigest();
    await world.run(100);
    expect((await first).root).toBe(a.digest().root);
    await a.put('c', 'only-a', 2);
    await world.run(500);
    const second = session.requestDigest({ leaves: true });
    await world.run(100);
    expect(diffDigests(a.digest({ leaves: true }), await second).keys).toEqual([{ collection: 'c', key: 'only-a', a: 'a:1' }]);
  });
});

describe('flow control on a slow link', () => {
  async function writeThrough(flow: { highWaterBytes: number; maxQueuedOps: number } | undefined): Promise<{ opsReceived: number; maxBuffered: number }> {
    const world = new World({ seed: 5, faults: { latency: 40 } });
    const a = (await world.add('a', flow === undefined ? {} : { timing: { ...fastTiming, ...flow } })).engine;
    const b = (await world.add('b')).engine;
    const [ca, cb] = world.network.connect('a', 'b');
    let opsReceived = 0;
    cb.on('message', (bytes) => {
      const message = decodeMessage(bytes);
      if (message.type === 'ops') opsReceived += message.ops.length;
    });
    a.connect(ca);
    b.connect(cb);
    await world.settle();
    let maxBuffered = 0;
    for (let round = 0; round < 12; round++) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => a.put('c', `k${i}`, round * 50 + i)));
      maxBuffered = Math.max(maxBuffered, ca.bufferedAmount);
      await world.run(5);
    }
    await world.settle();
    expectConverged([a, b]);
    expect(b.get('c', 'k49')).toBe(599);
    return { opsReceived, maxBuffered };
  }

  it('pushes every write live while the link keeps up', async () => {
    const { opsReceived } = await writeThrough(undefined);
    expect(opsReceived).toBeGreaterThanOrEqual(600);
  });

  it('falls behind, drops its queued pushes and catches up with a re-plan that skips superseded writes', async () => {
    const { opsReceived, maxBuffered } = await writeThrough({ highWaterBytes: 400, maxQueuedOps: 10 });
    expect(opsReceived).toBeLessThan(600);
    expect(opsReceived).toBeGreaterThanOrEqual(50);
    // The send buffer stays near the high-water mark (one message may overshoot it).
    expect(maxBuffered).toBeLessThan(400 + 4096);
  });
});
