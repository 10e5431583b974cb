import { compareHlc } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { createMemoryWal, createMemoryWalStorage } from '@softadastra/wal-memory';
import { createSyncEngine } from '../src/index.js';
import { World, expectConverged } from './harness.js';

describe('durability and recovery', () => {
  it('recovers state, vector, next seq and clock from the WAL after a crash', async () => {
    const world = new World();
    const peer = await world.add('a');
    const ops = [];
    for (let i = 0; i < 20; i++) ops.push(await peer.engine.put('c', `k${i % 4}`, i));
    const before = peer.engine.digest().root;
    world.crash('a');
    const engine = await world.restart('a');
    expect(engine.digest().root).toBe(before);
    expect(engine.versionVector().toJSON()).toEqual({ a: 20 });
    const next = await engine.put('c', 'after', true);
    expect(next.seq).toBe(21);
    expect(compareHlc(next.hlc, ops[19]!.hlc)).toBeGreaterThan(0);
  });

  it('keeps its identity in the WAL when no peer id is given', async () => {
    const storage = createMemoryWalStorage();
    const first = await createSyncEngine({ wal: createMemoryWal({ storage }) });
    await first.put('c', 'k', 1);
    await first.close();
    const second = await createSyncEngine({ wal: createMemoryWal({ storage }) });
    expect(second.peerId).toBe(first.peerId);
    expect((await second.put('c', 'k', 2)).seq).toBe(2);
    await second.close();
    const other = await createSyncEngine({ wal: createMemoryWal() });
    expect(other.peerId).not.toBe(first.peerId);
  });

  it('refuses a WAL of another space', async () => {
    const storage = createMemoryWalStorage();
    await (await createSyncEngine({ wal: createMemoryWal({ storage }), space: 'team' })).close();
    await expect(createSyncEngine({ wal: createMemoryWal({ storage }), space: 'other' })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
  });

  it('loses only unacknowledged writes when it crashes mid-batch, and converges after restart', async () => {
    const world = new World();
    const a = await world.add('a', {});
    const b = await world.add('b');
    world.link('a', 'b');
    await world.settle();
    // Make a's WAL slow so a crash lands while a batch is in flight.
    world.crash('a');
    const slow = await world.restart('a', { wal: createMemoryWal({ storage: a.storage, clock: world.clock, latencyMs: 50 }) });
    world.link('a', 'b');
    const acknowledged: string[] = [];
    for (let i = 0; i < 10; i++) void slow.put('c', `k${i}`, i).then(() => acknowledged.push(`k${i}`));
    await world.run(20); // not yet durable
    await b.engine.put('c', 'from-b', 1);
    world.crash('a');
    const recovered = await world.restart('a');
    for (const key of acknowledged) expect(recovered.has('c', key)).toBe(true);
    expect(acknowledged).toEqual([]); // nothing had been acknowledged yet…
    expect(recovered.entries('c').filter(([k]) => k.startsWith('k'))).toEqual([]); // …and nothing unacknowledged came back
    world.link('a', 'b');
    await world.settle();
    expect(recovered.get('c', 'from-b')).toBe(1);
    expectConverged([recovered, b.engine]);
    // The seqs of the lost writes are reused only because nobody ever saw them.
    expect((await recovered.put('c', 'again', 1)).seq).toBe(1);
  });

  it('sends nothing before it is durable', async () => {
    const world = new World();
    const a = await world.add('a');
    await world.add('b');
    world.crash('a');
    const slow = await world.restart('a', { wal: createMemoryWal({ storage: a.storage, clock: world.clock, latencyMs: 100 }) });
    world.link('a', 'b');
    await world.run(150); // sessions open
    void slow.put('c', 'k', 1);
    await world.run(60);
    expect(world.engine('b').has('c', 'k')).toBe(false);
    await world.run(100);
    expect(world.engine('b').get('c', 'k')).toBe(1);
  });

  it('keeps its outbox across a restart: offline writes reach the peer after a crash (C++ defect: lost outbox)', async () => {
    const world = new World();
    await world.add('a');
    await world.add('b');
    for (let i = 0; i < 10; i++) await world.engine('a').put('c', `k${i}`, i);
    world.crash('a');
    await world.restart('a');
    world.link('a', 'b');
    await world.settle();
    expect(world.engine('b').entries('c')).toHaveLength(10);
  });

  it('never drops offline writes, whatever the number of retries (C++ defect: dropped after N retries)', async () => {
    const world = new World();
    await world.add('a');
    await world.add('b');
    world.link('a', 'b');
    await world.settle();
    world.network.block('a', 'b'); // a's messages vanish; the link looks up
    for (let i = 0; i < 25; i++) await world.engine('a').put('c', `k${i}`, i);
    await world.run(10 * 60_000); // ten virtual minutes of resends and re-hellos
    expect(world.engine('a').sessions()[0]!.pendingOps).toBeGreaterThan(0);
    world.network.unblock('a', 'b');
    await world.settle();
    expect(world.engine('b').entries('c')).toHaveLength(25);
    expectConverged([world.engine('a'), world.engine('b')]);
  });

  it('counts an op as acked by each peer separately (C++ defect: first ack completes for all)', async () => {
    const world = new World();
    await world.add('a');
    await world.add('b');
    await world.add('c');
    world.link('a', 'b');
    world.link('a', 'c');
    await world.settle();
    world.network.block('a', 'c');
    const op = await world.engine('a').put('x', 'k', 1);
    let ackedByB = false;
    void world.engine('a').whenAcked(op, 'b').then(() => (ackedByB = true));
    await world.run(2_000);
    expect(ackedByB).toBe(true);
    expect(world.engine('a').isAcked(op, 'b')).toBe(true);
    expect(world.engine('a').isAcked(op, 'c')).toBe(false);
    expect(world.engine('a').unacked('c')).toBe(1);
    expect(world.engine('a').unacked('b')).toBe(0);
    world.network.unblock('a', 'c');
    await world.settle();
    expect(world.engine('a').isAcked(op, 'c')).toBe(true);
  });

  it('dedupes: a message delivered many times applies once (C++ defect: no dedupe)', async () => {
    const world = new World({ faults: { duplicate: 0.9 } });
    const a = (await world.add('a')).engine;
    const b = (await world.add('b')).engine;
    const changes: string[] = [];
    b.on('change', (list) => changes.push(...list.map((c) => c.key)));
    world.link('a', 'b');
    for (let i = 0; i < 10; i++) await a.put('c', `k${i}`, i);
    await world.settle();
    expect(changes.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}`).sort());
    expect(b.versionVector().toJSON()).toEqual({ a: 10 });
  });

  it('reopens and replays after a WAL failure, losing nothing acknowledged', async () => {
    const world = new World();
    const peer = await world.add('a');
    await peer.engine.put('c', 'kept', 1);
    peer.storage.failNext('append');
    await expect(peer.engine.put('c', 'failed', 2)).rejects.toMatchObject({ code: 'E_WAL_FAILED' });
    expect(world.errors.some((e) => e.code === 'E_WAL_FAILED')).toBe(true);
    const op = await peer.engine.put('c', 'later', 3);
    expect(peer.engine.get('c', 'kept')).toBe(1);
    expect(peer.engine.get('c', 'later')).toBe(3);
    expect(peer.engine.has('c', 'failed')).toBe(false);
    expect(op.seq).toBe(2);
  });

  it('compacts its WAL without changing state or vector', async () => {
    const world = new World();
    const peer = await world.add('a');
    for (let i = 0; i < 100; i++) await peer.engine.put('c', `k${i % 10}`, i);
    const digest = peer.engine.digest().root;
    await peer.engine.compact();
    expect(peer.storage.records).toBe(0);
    world.crash('a');
    const engine = await world.restart('a');
    expect(engine.digest().root).toBe(digest);
    expect(engine.versionVector().toJSON()).toEqual({ a: 100 });
    expect((await engine.put('c', 'x', 1)).seq).toBe(101);
  });
});
