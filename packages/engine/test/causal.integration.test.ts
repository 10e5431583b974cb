import { VersionVector, type Operation, type SyncError } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { RawPeer, World, expectConverged } from './harness.js';

const WALL = 1_700_000_000_000;

function op(origin: string, seq: number, key: string, value: unknown, deps?: Record<string, number>): Operation {
  const base = { origin, seq, hlc: { wall: WALL + seq, counter: 0, peer: origin }, collection: 'c', key };
  return (deps === undefined ? { ...base, kind: 'put', value } : { ...base, deps, kind: 'put', value }) as Operation;
}

async function rawTo(world: World, target: string, peer = 'b'): Promise<RawPeer> {
  const raw = new RawPeer(world, peer, target);
  await world.run(50);
  raw.send({ type: 'hello', protocol: 1, epoch: 1, peer, space: 'default', vv: new VersionVector() });
  await world.run(50);
  return raw;
}

function acked(raw: RawPeer): VersionVector {
  const vv = new VersionVector();
  for (const m of raw.messages) if (m.type === 'ack') vv.merge(m.vv);
  return vv;
}

describe('causal consistency', () => {
  it('never shows an operation before what its writer had seen: it waits, unacknowledged, and appears with its cause', async () => {
    const world = new World();
    const c = (await world.add('c')).engine;
    const seen: string[] = [];
    c.on('change', (changes) => seen.push(...changes.map((change) => `${change.op.origin}:${change.op.seq}`)));
    const raw = await rawTo(world, 'c');
    // b's item was written after b had seen a's list (a:1): it arrives first.
    raw.send({ type: 'ops', epoch: raw.epoch, n: 1, ops: [op('b', 1, 'item', 'milk', { a: 1 })] });
    await world.run(200);
    expect(c.get('c', 'item')).toBeUndefined();
    expect(c.waitingOps).toBe(1);
    expect(acked(raw).has({ origin: 'b', seq: 1 })).toBe(false);
    expect(c.heldVector().has({ origin: 'b', seq: 1 })).toBe(false);
    raw.send({ type: 'ops', epoch: raw.epoch, n: 2, ops: [op('a', 1, 'list', 'groceries')] });
    await world.run(200);
    expect(c.get('c', 'list')).toBe('groceries');
    expect(c.get('c', 'item')).toBe('milk');
    expect(c.waitingOps).toBe(0);
    expect(seen).toEqual(['a:1', 'b:1']);
    expect(acked(raw).has({ origin: 'b', seq: 1 })).toBe(true);
  });

  it("holds a writer's operation until its earlier ones are here, however they are reordered", async () => {
    const world = new World();
    const c = (await world.add('c')).engine;
    const raw = await rawTo(world, 'c');
    raw.send({ type: 'ops', epoch: raw.epoch, n: 1, ops: [op('b', 3, 'k3', 3, {}), op('b', 2, 'k2', 2, {})] });
    await world.run(100);
    expect(c.entries('c')).toEqual([]);
    raw.send({ type: 'ops', epoch: raw.epoch, n: 2, ops: [op('b', 1, 'k1', 1, {})] });
    await world.run(100);
    expect(c.entries('c').sort()).toEqual([
      ['k1', 1],
      ['k2', 2],
      ['k3', 3],
    ]);
  });

  it('releases what waits with the covered that claims its cause (a superseded operation is never sent)', async () => {
    const world = new World();
    const c = (await world.add('c')).engine;
    const heldAtChange: boolean[] = [];
    c.on('change', (changes) => {
      for (const change of changes) if (change.op.origin === 'b') heldAtChange.push(c.heldVector().has({ origin: 'a', seq: 1 }));
    });
    const raw = await rawTo(world, 'c');
    // a:1 was superseded by a:2 on the same key: the sender sends a:2 and claims a:1 with covered.
    raw.send({ type: 'ops', epoch: raw.epoch, n: 1, ops: [op('a', 2, 'list', 'v2'), op('b', 1, 'item', 'x', { a: 1 })] });
    await world.run(100);
    expect(c.get('c', 'item')).toBeUndefined();
    const claim = new VersionVector();
    claim.addRange('a', 1, 2);
    claim.add({ origin: 'b', seq: 1 });
    raw.send({ type: 'covered', epoch: raw.epoch, n: 1, vv: claim });
    await world.run(200);
    expect(c.get('c', 'item')).toBe('x');
    // When it showed, what it depends on was held (through the claim).
    expect(heldAtChange).toEqual([true]);
    expect(c.waitingOps).toBe(0);
    expect(c.versionVector().toJSON()).toEqual(claim.toJSON());
    expect(acked(raw).has({ origin: 'b', seq: 1 })).toBe(true);
  });

  it('applies what waits too long anyway, with an E_PROTOCOL error: a faulty peer cannot wedge a space', async () => {
    const world = new World();
    const c = (await world.add('c', { timing: { resendMs: 200, gapMs: 300, maxBackoffMs: 2_000, coveredDelayMs: 20, causalWaitMs: 1_000 } })).engine;
    const errors: SyncError[] = [];
    c.on('error', (error) => errors.push(error));
    const raw = await rawTo(world, 'c');
    raw.send({ type: 'ops', epoch: raw.epoch, n: 1, ops: [op('b', 1, 'item', 'orphan', { a: 5 })] });
    await world.run(500);
    expect(c.get('c', 'item')).toBeUndefined();
    await world.run(1_000);
    expect(c.get('c', 'item')).toBe('orphan');
    expect(errors.map((e) => e.code)).toContain('E_PROTOCOL');
    await world.run(200);
    expect(acked(raw).has({ origin: 'b', seq: 1 })).toBe(true);
  });

  it('keeps memory bounded: past maxWaitingOps waiting operations, the oldest are applied anyway, with an E_PROTOCOL error', async () => {
    const world = new World();
    const c = (await world.add('c', { timing: { resendMs: 200, gapMs: 300, maxBackoffMs: 2_000, coveredDelayMs: 20, maxWaitingOps: 3 } })).engine;
    const errors: SyncError[] = [];
    c.on('error', (error) => errors.push(error));
    const raw = await rawTo(world, 'c');
    raw.send({ type: 'ops', epoch: raw.epoch, n: 1, ops: [1, 2, 3, 4, 5].map((i) => op(`w${i}`, 1, `k${i}`, i, { a: 1 })) });
    await world.run(100);
    expect(c.waitingOps).toBe(3);
    expect(c.entries('c').map(([key]) => key).sort()).toEqual(['k1', 'k2']);
    expect(errors.map((e) => e.code)).toContain('E_PROTOCOL');
    expect(c.waitingOperations().map((o) => o.origin).sort()).toEqual(['w3', 'w4', 'w5']);
  });

  it('stamps the writes of a causal peer with what it had seen, shared by consecutive writes, and syncs causal peers as usual', async () => {
    const world = new World();
    const a = (await world.add('a', { causal: true })).engine;
    const b = (await world.add('b', { causal: true })).engine;
    const plain = (await world.add('plain')).engine;
    await a.put('c', 'list', 'groceries');
    world.link('a', 'b');
    world.link('b', 'plain');
    await world.settle();
    const first = await b.put('c', 'item', 'milk');
    const second = await b.put('c', 'item2', 'eggs');
    expect(first.deps).toEqual({ a: 1 });
    expect(second.deps).toBe(first.deps);
    const own = await plain.put('c', 'x', 1);
    expect(own.deps).toBeUndefined();
    await world.settle();
    expect(plain.get('c', 'item2')).toBe('eggs');
    expectConverged([a, b, plain]);
    for (const engine of [a, b, plain]) expect(engine.waitingOps).toBe(0);
    // Restart: the dependencies are part of the stored operations.
    await b.close();
    const again = await world.restart('b', { causal: true });
    expect(again.getOperation('c', 'item')?.deps).toEqual({ a: 1 });
  });
});
