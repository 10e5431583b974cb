import { VersionVector, type Operation, type WalRecord } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { RawPeer, World, expectConverged, listedWal } from './harness.js';

// Issue 12, item 13: the set of op ids already seen is rebuilt from the WAL on restart (snapshot
// vector, records, covered), and an op held only through `covered` counts as seen. Honest senders
// never resend held ops, so only a buggy or hostile one shows it: a held op resent must not be
// written again, and an id reused with other content must not win anywhere.

const T0 = 1_700_000_000_000;

function put(seq: number, key: string, wall: number, value: string): Operation {
  return { origin: 'bob', seq, hlc: { wall, counter: 0, peer: 'bob' }, collection: 'c', key, kind: 'put', value };
}

/** bob's history: seq 1 and 2 on key k, superseded by seq 3; seq 4 alone on key j. */
const history = [put(1, 'k', T0 + 1, 'k1'), put(2, 'k', T0 + 2, 'k2'), put(3, 'k', T0 + 3, 'k3'), put(4, 'j', T0 + 4, 'j4')];
const held = new VersionVector().addRange('bob', 1, 4);

/** Operations reusing bob's ids with other content, stamped later so that they would win. */
const forged = [put(1, 'k', T0 + 100, 'forged k'), put(2, 'x', T0 + 100, 'forged x'), put(3, 'k', T0 + 101, 'forged k3')];

const opsIn = (records: readonly WalRecord[]): number => records.reduce((n, r) => n + r.ops.length, 0);

/** bob, played by hand: a raw session to `target` that can send any message. */
async function rawBob(world: World, target: string): Promise<RawPeer & { n: number }> {
  const bob = Object.assign(new RawPeer(world, 'bob', target), { n: 0 });
  await world.run(50);
  bob.send({ type: 'hello', protocol: 1, epoch: 1, peer: 'bob', space: 'default', vv: new VersionVector() });
  await world.run(50);
  return bob;
}

function sendOps(bob: RawPeer & { n: number }, ops: readonly Operation[]): void {
  bob.send({ type: 'ops', epoch: bob.epoch, n: ++bob.n, ops });
}

/** What matters of a peer's state for these tests. */
function state(world: World, name: string): unknown {
  const engine = world.engine(name);
  return { k: engine.get('c', 'k'), j: engine.get('c', 'j'), x: engine.get('c', 'x'), vv: engine.versionVector().toJSON(), digest: engine.digest().root };
}

/** Re-sends every held op and the forged ones through a fresh raw session, and checks nothing changed. */
async function resendAndCheck(world: World, records: WalRecord[]): Promise<void> {
  const before = state(world, 'alice');
  const recordsBefore = records.length;
  const bob = await rawBob(world, 'alice');
  // The forged ones first: were the ids not seen, they would win here (and only here).
  sendOps(bob, forged);
  sendOps(bob, history);
  bob.send({ type: 'covered', epoch: bob.epoch, n: bob.n, vv: held });
  await world.run(1_000);
  expect(opsIn(records.slice(recordsBefore)), 'operations written again').toBe(0);
  expect(state(world, 'alice')).toEqual(before);
  expect(world.engine('alice').get('c', 'k')).toBe('k3');
  expect(world.engine('alice').has('c', 'x')).toBe(false);
  // The reused id of an op still held as a winner is caught as equivocation and reported back.
  expect(bob.errors().map((e) => e.code)).toContain('E_EQUIVOCATION');
  bob.connection.close();
  // Every peer agrees: dave got bob's real history, never the forged ops, and alice tells him nothing new.
  world.link('alice', 'dave');
  await world.run(2_000);
  expectConverged([world.engine('alice'), world.engine('dave')]);
  expect(world.engine('dave').get('c', 'k')).toBe('k3');
}

async function withDave(world: World, how: 'all' | 'winners'): Promise<void> {
  await world.add('dave');
  const bob = await rawBob(world, 'dave');
  if (how === 'all') sendOps(bob, history);
  else sendOps(bob, [history[2]!, history[3]!]);
  bob.send({ type: 'covered', epoch: bob.epoch, n: bob.n, vv: held });
  await world.run(500);
  bob.connection.close();
}

describe('the seen set (issue 12, item 13)', () => {
  it('after a restart: held ops resent (superseded ones included) are not written again, and reused ids do not win', async () => {
    const world = new World();
    await world.add('alice');
    await withDave(world, 'all');
    const first = await rawBob(world, 'alice');
    sendOps(first, history);
    await world.run(500);
    expect(world.engine('alice').get('c', 'k')).toBe('k3');
    world.crash('alice');
    const listed = listedWal(world.peer('alice').storage);
    await world.restart('alice', { wal: listed.wal });
    await resendAndCheck(world, listed.records);
  });

  it('after a compaction and a restart: the snapshot vector counts as seen', async () => {
    const world = new World();
    await world.add('alice');
    await withDave(world, 'all');
    const first = await rawBob(world, 'alice');
    sendOps(first, history);
    await world.run(500);
    await world.engine('alice').compact();
    world.crash('alice');
    const listed = listedWal(world.peer('alice').storage);
    await world.restart('alice', { wal: listed.wal });
    await resendAndCheck(world, listed.records);
  });

  it('held only through covered: the ops a covered claimed are seen, before and after a restart', async () => {
    const world = new World();
    const alice = await world.add('alice');
    await withDave(world, 'winners');
    world.crash('alice');
    let listed = listedWal(alice.storage);
    await world.restart('alice', { wal: listed.wal });
    // Only the winners arrive; seq 1 and 2 are held through covered alone.
    const first = await rawBob(world, 'alice');
    sendOps(first, [history[2]!, history[3]!]);
    first.send({ type: 'covered', epoch: first.epoch, n: first.n, vv: held });
    await world.run(500);
    expect(world.engine('alice').versionVector().toJSON()).toEqual({ bob: 4 });
    first.connection.close();
    await resendAndCheck(world, listed.records);
    world.crash('alice');
    world.crash('dave');
    listed = listedWal(alice.storage);
    await world.restart('alice', { wal: listed.wal });
    await world.restart('dave');
    await resendAndCheck(world, listed.records);
  });
});
