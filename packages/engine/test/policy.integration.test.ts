import { SyncError, VersionVector, type Operation } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { RawPeer, World } from './harness.js';

function put(origin: string, seq: number, key: string): Operation {
  return { origin, seq, hlc: { wall: 1_700_000_000_000 + seq, counter: 0, peer: origin }, collection: 'c', key, kind: 'put', value: seq };
}

/** A raw peer connected to `target` with session policies on the target's side. */
async function rawWithPolicy(world: World, options: Parameters<ReturnType<World['engine']>['connect']>[1], peer = 'mallory'): Promise<RawPeer> {
  const raw = new RawPeer(world, peer, 'relay', options);
  await world.run(50);
  raw.send({ type: 'hello', protocol: 1, epoch: 1, peer, space: 'default', vv: new VersionVector() });
  await world.run(50);
  return raw;
}

describe('session policies (what a relay enforces on clients)', () => {
  it('refuses writes on a read-only connection, listing them so the client stops resending', async () => {
    const world = new World();
    const relay = (await world.add('relay')).engine;
    const raw = await rawWithPolicy(world, { acceptWrites: false });
    raw.send({ type: 'ops', epoch: raw.epoch, n: 1, ops: [put('mallory', 1, 'x')] });
    await world.run(100);
    expect(relay.has('c', 'x')).toBe(false);
    expect(raw.errors()).toContainEqual(expect.objectContaining({ code: 'E_FORBIDDEN', opIds: [{ origin: 'mallory', seq: 1 }] }));
  });

  it("refuses operations under another peer's origin, applies the client's own", async () => {
    const world = new World();
    const relay = (await world.add('relay')).engine;
    const raw = await rawWithPolicy(world, { acceptOrigins: 'own' });
    raw.send({ type: 'ops', epoch: raw.epoch, n: 1, ops: [put('mallory', 1, 'mine'), put('alice', 999, 'forged')] });
    await world.run(100);
    expect(relay.has('c', 'mine')).toBe(true);
    expect(relay.has('c', 'forged')).toBe(false);
    expect(relay.versionVector().has({ origin: 'alice', seq: 999 })).toBe(false);
    expect(raw.errors()).toContainEqual(expect.objectContaining({ code: 'E_FORBIDDEN', opIds: [{ origin: 'alice', seq: 999 }] }));
  });

  it('refuses a hello from another peer than the expected one', async () => {
    const world = new World();
    await world.add('relay');
    const raw = await rawWithPolicy(world, { expectPeer: 'alice' });
    expect(raw.errors()).toContainEqual(expect.objectContaining({ code: 'E_FORBIDDEN' }));
    expect(raw.messages.some((m) => m.type === 'covered')).toBe(false);
  });

  it('lets an admission gate refuse a batch whole (rate limit), which is accepted when resent later', async () => {
    const world = new World();
    const relay = (await world.add('relay')).engine;
    let open = false;
    const raw = await rawWithPolicy(world, { admit: () => (open ? undefined : new SyncError('E_RATE_LIMIT', 'too many operations per second')) });
    raw.send({ type: 'ops', epoch: raw.epoch, n: 1, ops: [put('mallory', 1, 'x')] });
    await world.run(100);
    expect(raw.errors()).toContainEqual(expect.objectContaining({ code: 'E_RATE_LIMIT' }));
    expect(relay.has('c', 'x')).toBe(false);
    open = true;
    raw.send({ type: 'ops', epoch: raw.epoch, n: 1, ops: [put('mallory', 1, 'x')] });
    await world.run(100);
    expect(relay.has('c', 'x')).toBe(true);
  });
});

describe('policies and covered (regressions from the relay tests)', () => {
  it('treats operations that arrive before the remote said who it is as lost, not refused', async () => {
    const world = new World();
    const relay = (await world.add('relay')).engine;
    const raw = new RawPeer(world, 'mallory', 'relay', { acceptOrigins: 'own' });
    await world.run(50);
    // The hello of mallory was "lost": its operations come first.
    raw.send({ type: 'ops', epoch: raw.epoch, n: 1, ops: [put('mallory', 1, 'early')] });
    await world.run(100);
    expect(raw.errors()).toEqual([]);
    expect(relay.has('c', 'early')).toBe(false);
    raw.send({ type: 'hello', protocol: 1, epoch: 1, peer: 'mallory', space: 'default', vv: new VersionVector() });
    raw.send({ type: 'ops', epoch: raw.epoch, n: 1, ops: [put('mallory', 1, 'early')] });
    await world.run(100);
    expect(relay.has('c', 'early')).toBe(true);
  });

  it('never lets a covered claim operations the receiver refused', async () => {
    const world = new World();
    const relay = (await world.add('relay')).engine;
    const raw = await rawWithPolicy(world, { acceptOrigins: 'own', trustCovered: 'own-origin', maxClockAheadMs: 60_000 });
    const future = { ...put('mallory', 1, 'x'), hlc: { wall: world.clock.now() + 3_600_000, counter: 0, peer: 'mallory' } };
    raw.send({ type: 'ops', epoch: raw.epoch, n: 1, ops: [future, put('mallory', 2, 'y')] });
    raw.send({ type: 'covered', epoch: raw.epoch, n: 1, vv: new VersionVector().addRange('mallory', 1, 3) });
    await world.run(200);
    // The refused op stays out of the vector (so it is never taken as delivered); the rest of the claim stands.
    expect(relay.versionVector().toJSON()).toEqual({ mallory: [2, 3] });
    expect(raw.errors()).toContainEqual(expect.objectContaining({ code: 'E_CLOCK_SKEW', opIds: [{ origin: 'mallory', seq: 1 }] }));
  });
});
