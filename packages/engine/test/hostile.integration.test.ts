import { VersionVector, wrapConnection, type Operation } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { RawPeer, World, expectConverged } from './harness.js';

function put(origin: string, seq: number, key: string, value: unknown): Operation {
  return { origin, seq, hlc: { wall: 1_700_000_000_000 + seq, counter: 0, peer: origin }, collection: 'c', key, kind: 'put', value } as Operation;
}

async function rawPeerOn(world: World, target: string): Promise<RawPeer> {
  const raw = new RawPeer(world, 'mallory', target);
  await world.run(200);
  raw.send({ type: 'hello', protocol: 1, epoch: 1, peer: 'mallory', space: 'default', vv: new VersionVector() });
  await world.run(200);
  return raw;
}

describe('bad input from peers', () => {
  it('rejects an op id reused with different content as equivocation, keeps the held op and raises an alarm', async () => {
    const world = new World();
    await world.add('a');
    const b = (await world.add('b')).engine;
    const original = await world.engine('a').put('c', 'k', 'original');
    world.link('a', 'b');
    await world.run(200);
    const raw = await rawPeerOn(world, 'b');
    raw.send({ type: 'ops', epoch: raw.epoch, n: 1, ops: [{ ...original, value: 'forged' } as Operation] });
    await world.run(200);
    expect(b.get('c', 'k')).toBe('original');
    expect(raw.errors()).toContainEqual(expect.objectContaining({ code: 'E_EQUIVOCATION', opIds: [{ origin: 'a', seq: 1 }] }));
    expect(world.errors).toContainEqual(expect.objectContaining({ peer: 'b', code: 'E_EQUIVOCATION' }));
    raw.connection.close();
    await world.run(200);
    expectConverged([world.engine('a'), b]);
  });

  it('answers garbage bytes with E_DECODE and keeps the session and the process alive', async () => {
    const world = new World();
    const b = (await world.add('b')).engine;
    const raw = await rawPeerOn(world, 'b');
    raw.connection.send(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    raw.connection.send(new Uint8Array(0));
    await world.run(200);
    expect(raw.errors().filter((e) => e.code === 'E_DECODE')).toHaveLength(2);
    // The session still works: a valid op is applied.
    raw.send({ type: 'ops', epoch: raw.epoch, n: 1, ops: [put('mallory', 1, 'ok', 1)] });
    await world.run(200);
    expect(b.get('c', 'ok')).toBe(1);
  });

  it('rejects malformed ops alone with typed errors, applies the valid ones, and acks only those', async () => {
    const world = new World();
    const b = (await world.add('b')).engine;
    const raw = await rawPeerOn(world, 'b');
    const ops = [
      put('mallory', 1, 'good-1', 1),
      put('mallory', 2, 'bad-value', Number.NaN),
      { ...put('mallory', 3, 'bad-hlc', 1), hlc: { wall: 2 ** 48, counter: 0, peer: 'mallory' } } as Operation,
      put('mallory', 4, '__proto__', 1),
      put('mallory', 5, 'good-2', 2),
    ];
    raw.send({ type: 'ops', epoch: raw.epoch, n: 1, ops });
    raw.send({ type: 'covered', epoch: raw.epoch, n: 1, vv: new VersionVector().addRange('mallory', 1, 5) });
    await world.run(200);
    expect(b.get('c', 'good-1')).toBe(1);
    expect(b.get('c', 'good-2')).toBe(2);
    expect(b.has('c', 'bad-value')).toBe(false);
    expect(b.has('c', '__proto__')).toBe(false);
    const codes = raw.errors().map((e) => e.code).sort();
    expect(codes).toEqual(['E_INVALID_HLC', 'E_INVALID_KEY', 'E_INVALID_VALUE']);
    const acks = raw.messages.filter((m) => m.type === 'ack');
    expect(acks.length).toBeGreaterThan(0);
    const lastAck = acks[acks.length - 1]!;
    expect(lastAck.type === 'ack' && lastAck.vv.has({ origin: 'mallory', seq: 1 })).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('ignores replies to an older hello', async () => {
    const world = new World();
    const b = (await world.add('b')).engine;
    const raw = await rawPeerOn(world, 'b');
    raw.send({ type: 'ops', epoch: raw.epoch + 1000, n: 1, ops: [put('mallory', 1, 'stale', 1)] });
    await world.run(200);
    expect(b.has('c', 'stale')).toBe(false);
  });

  it('refuses a hello for another space, another protocol, or its own id', async () => {
    const world = new World();
    await world.add('b');
    const raw = new RawPeer(world, 'mallory', 'b');
    await world.run(200);
    raw.send({ type: 'hello', protocol: 1, epoch: 1, peer: 'mallory', space: 'elsewhere', vv: new VersionVector() });
    raw.send({ type: 'hello', protocol: 99, epoch: 1, peer: 'mallory', space: 'default', vv: new VersionVector() });
    raw.send({ type: 'hello', protocol: 1, epoch: 1, peer: 'b', space: 'default', vv: new VersionVector() });
    await world.run(200);
    expect(raw.errors().map((e) => e.code)).toEqual(['E_PROTOCOL', 'E_VERSION', 'E_PROTOCOL']);
    expect(raw.messages.filter((m) => m.type === 'covered')).toHaveLength(0);
  });

  it('applies covered only once every message 1..n of the epoch has arrived', async () => {
    const world = new World();
    const b = (await world.add('b')).engine;
    const raw = await rawPeerOn(world, 'b');
    // Message 1 is "lost": covered claims 1..2 but only message 2 arrives.
    raw.send({ type: 'ops', epoch: raw.epoch, n: 2, ops: [put('mallory', 2, 'two', 2)] });
    raw.send({ type: 'covered', epoch: raw.epoch, n: 2, vv: new VersionVector().addRange('mallory', 1, 2) });
    await world.run(100);
    expect(b.versionVector().has({ origin: 'mallory', seq: 1 })).toBe(false);
    // Message 1 arrives late: now covered applies.
    raw.send({ type: 'ops', epoch: raw.epoch, n: 1, ops: [put('mallory', 1, 'one', 1)] });
    await world.run(100);
    expect(b.versionVector().toJSON()).toEqual({ mallory: 2 });
  });
});

describe('a transport that breaks its contract', () => {
  it('reports a non-SyncError thrown by send() as E_INTERNAL instead of hiding it, and recovers on the next link', async () => {
    const world = new World();
    const a = (await world.add('a')).engine;
    const b = (await world.add('b')).engine;
    await a.put('c', 'k1', 1);
    const [ca, cb] = world.network.connect('a', 'b');
    let throws = true;
    const broken = wrapConnection(ca, {
      send(bytes, forward) {
        if (throws) throw new TypeError('Buffer is not defined');
        forward(bytes);
      },
    });
    a.connect(broken);
    b.connect(cb);
    await world.run(500);
    const reported = world.errors.filter((error) => error.peer === 'a' && error.code === 'E_INTERNAL');
    expect(reported.length).toBeGreaterThan(0);
    expect(reported[0]!.message).toContain('Buffer is not defined');
    throws = false;
    ca.close(1006, 'test');
    await world.run(200);
    world.link('a', 'b');
    await world.run(2_000);
    expectConverged([a, b]);
    expect(b.get('c', 'k1')).toBe(1);
  });
});
