import { VersionVector, type Connection, type ConnectionEvents, type Operation } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { RawPeer, World } from './harness.js';

function put(origin: string, seq: number, key: string, wall = 1_700_000_000_000 + seq): Operation {
  return { origin, seq, hlc: { wall, counter: 0, peer: origin }, collection: 'c', key, kind: 'put', value: seq };
}

const relayPolicy = { trustCovered: 'own-origin', acceptOrigins: 'own' } as const;

async function raw(world: World, peer: string, options: Parameters<ReturnType<World['engine']>['connect']>[1], epoch = 1): Promise<RawPeer> {
  const client = new RawPeer(world, peer, 'relay', options);
  await world.run(50);
  client.send({ type: 'hello', protocol: 1, epoch, peer, space: 'default', vv: new VersionVector() });
  await world.run(50);
  return client;
}

describe('claims of untrusted remotes (covered, hello, ack)', () => {
  it('a read-only session changes nothing: its covered is not believed, and a later write under its id is stored, not taken as held', async () => {
    const world = new World();
    const relay = (await world.add('relay')).engine;
    const reader = await raw(world, 'carol', { ...relayPolicy, acceptWrites: false });
    reader.send({ type: 'covered', epoch: reader.epoch, n: 0, vv: new VersionVector().addRange('carol', 1, 1000) });
    await world.run(200);
    expect(relay.versionVector().isEmpty()).toBe(true);
    reader.connection.close();
    // The same peer, now with write rights, writes seq 1: it must be stored and reach everyone.
    const writer = await raw(world, 'carol', relayPolicy, 2);
    writer.send({ type: 'ops', epoch: writer.epoch, n: 1, ops: [put('carol', 1, 'k')] });
    await world.run(200);
    expect(relay.get('c', 'k')).toBe(1);
    await world.add('dave');
    world.link('dave', 'relay');
    await world.run(500);
    expect(world.engine('dave').get('c', 'k')).toBe(1);
  });

  it("own-origin trust: a client's claim about another peer's operations is not believed, so they still reach the relay", async () => {
    const world = new World();
    const relay = (await world.add('relay')).engine;
    const mallory = await raw(world, 'mallory', relayPolicy);
    mallory.send({ type: 'covered', epoch: mallory.epoch, n: 0, vv: new VersionVector().addRange('alice', 1, 50).addRange('mallory', 1, 3) });
    await world.run(200);
    expect(relay.versionVector().toJSON()).toEqual({ mallory: 3 });
    // alice's own writes are not mistaken for held ones.
    const alice = await world.add('alice');
    await alice.engine.put('c', 'a', 'from alice');
    world.link('alice', 'relay');
    await world.run(500);
    expect(relay.get('c', 'a')).toBe('from alice');
    expect(relay.versionVector().toJSON()).toEqual({ alice: 1, mallory: 3 });
  });

  it('own-origin trust believes only the honest shape of a claim: the prefix 1..m of its own seqs', async () => {
    const world = new World();
    const relay = (await world.add('relay')).engine;
    const mallory = await raw(world, 'mallory', relayPolicy);
    const fragmented = new VersionVector().addRange('mallory', 1, 10);
    for (let seq = 20; seq < 20_000; seq += 2) fragmented.add({ origin: 'mallory', seq });
    mallory.send({ type: 'covered', epoch: mallory.epoch, n: 0, vv: fragmented });
    await world.run(200);
    expect(relay.versionVector().toJSON()).toEqual({ mallory: 10 });
  });

  it("cuts a remote's hello and ack vectors to what this peer holds: a lying vector costs no memory and hides nothing", async () => {
    const world = new World();
    const relay = (await world.add('relay')).engine;
    await relay.put('c', 'r', 'relay data');
    const liar = new RawPeer(world, 'liar', 'relay', relayPolicy);
    await world.run(50);
    const huge = new VersionVector();
    for (let i = 0; i < 2_000; i++) huge.addRange(`ghost${i}`, 1, 5);
    liar.send({ type: 'hello', protocol: 1, epoch: 1, peer: 'liar', space: 'default', vv: huge });
    liar.send({ type: 'ack', vv: huge });
    await world.run(200);
    // Ghost origins the relay never held do not stop it from sending what it has, and are not kept.
    expect(liar.messages.some((m) => m.type === 'ops' && m.ops.some((op) => op.key === 'r'))).toBe(true);
    expect(relay.isAcked({ origin: 'ghost7', seq: 1 }, 'liar')).toBe(false);
  });

  it("refuses operations stamped too far ahead of its clock when they first arrive (E_CLOCK_SKEW), and accepts them once its clock catches up", async () => {
    const world = new World();
    const relay = (await world.add('relay')).engine;
    const writer = await raw(world, 'skewed', { ...relayPolicy, maxClockAheadMs: 60_000 });
    const farAhead = put('skewed', 1, 'k', world.clock.now() + 10 * 365 * 86_400_000);
    const slightlyAhead = put('skewed', 2, 'j', world.clock.now() + 30_000);
    writer.send({ type: 'ops', epoch: writer.epoch, n: 1, ops: [farAhead, slightlyAhead] });
    await world.run(200);
    expect(relay.has('c', 'k')).toBe(false);
    expect(relay.get('c', 'j')).toBe(2);
    expect(writer.errors()).toContainEqual(expect.objectContaining({ code: 'E_CLOCK_SKEW', opIds: [{ origin: 'skewed', seq: 1 }] }));
    // An hour later, an op stamped 30 min ahead of then is fine.
    const later = put('skewed', 3, 'l', world.clock.now() + 3_600_000);
    await world.run(3_600_000 - 30 * 60_000);
    writer.send({ type: 'hello', protocol: 1, epoch: 2, peer: 'skewed', space: 'default', vv: new VersionVector() });
    await world.run(50);
    writer.send({ type: 'ops', epoch: writer.epoch, n: 1, ops: [{ ...later }] });
    await world.run(200);
    expect(relay.has('c', 'l')).toBe(false);
    await world.run(31 * 60_000);
    writer.send({ type: 'hello', protocol: 1, epoch: 3, peer: 'skewed', space: 'default', vv: new VersionVector() });
    await world.run(50);
    writer.send({ type: 'ops', epoch: writer.epoch, n: 1, ops: [later] });
    await world.run(200);
    expect(relay.get('c', 'l')).toBe(3);
  });

  it('refuses a message that would split an origin into more ranges than allowed, whole and retryable', async () => {
    const world = new World();
    const relay = (await world.add('relay')).engine;
    const writer = await raw(world, 'skipper', { ...relayPolicy, maxOriginRanges: 10 });
    const sparse = Array.from({ length: 20 }, (_, i) => put('skipper', 2 * i + 1, `k${i}`));
    writer.send({ type: 'ops', epoch: writer.epoch, n: 1, ops: sparse });
    await world.run(200);
    expect(relay.versionVector().isEmpty()).toBe(true);
    expect(writer.errors()).toContainEqual(expect.objectContaining({ code: 'E_RATE_LIMIT' }));
    // In seq order (a run adds one range), the same number of ops is fine.
    writer.send({ type: 'ops', epoch: writer.epoch, n: 1, ops: Array.from({ length: 40 }, (_, i) => put('skipper', i + 1, `k${i}`)) });
    await world.run(200);
    expect(relay.versionVector().toJSON()).toEqual({ skipper: 40 });
  });

  it('answers at most the request budget of digests and hellos, refusing the rest with E_RATE_LIMIT', async () => {
    const world = new World();
    const relay = (await world.add('relay')).engine;
    for (let i = 0; i < 50; i++) await relay.put('c', `k${i}`, i);
    const asker = await raw(world, 'asker', { ...relayPolicy, requestBudget: { perSecond: 1, burst: 5 } });
    for (let id = 1; id <= 30; id++) asker.send({ type: 'digest-request', id, leaves: true });
    await world.run(100);
    const digests = asker.messages.filter((m) => m.type === 'digest');
    expect(digests.length).toBe(4); // the burst of 5, less the hello
    expect(asker.errors().filter((e) => e.code === 'E_RATE_LIMIT').length).toBe(26);
    const hellos = asker.messages.filter((m) => m.type === 'ops').length;
    for (let epoch = 2; epoch < 12; epoch++) asker.send({ type: 'hello', protocol: 1, epoch, peer: 'asker', space: 'default', vv: new VersionVector() });
    await world.run(100);
    expect(asker.messages.filter((m) => m.type === 'ops').length).toBe(hellos);
  });

  it('disconnects a remote that asks for replies and never reads them (close 4008), instead of queueing them forever', async () => {
    const world = new World();
    const relay = (await world.add('relay')).engine;
    for (let i = 0; i < 20; i++) await relay.put('c', `k${i}`, i);
    // A connection whose buffer is always full: the remote reads nothing.
    const listeners = new Map<keyof ConnectionEvents, Set<(...args: never[]) => void>>();
    let closed: number | undefined;
    const stuck: Connection = {
      capabilities: { ordered: true, reliable: true, maxMessageBytes: 1 << 20, reconnects: false },
      state: 'open',
      bufferedAmount: 64 * 1024 * 1024,
      send: () => undefined,
      on(event, listener) {
        const set = listeners.get(event) ?? new Set();
        listeners.set(event, set);
        set.add(listener);
        return () => set.delete(listener);
      },
      close(code) {
        closed = code;
      },
    };
    relay.connect(stuck, { ...relayPolicy, maxQueuedReplies: 50, requestBudget: { perSecond: 1000, burst: 1000 } });
    const { encodeMessage } = await import('@softadastra/sync-core');
    const deliver = (bytes: Uint8Array) => {
      for (const listener of listeners.get('message') ?? []) (listener as (b: Uint8Array) => void)(bytes);
    };
    deliver(encodeMessage({ type: 'hello', protocol: 1, epoch: 1, peer: 'sink', space: 'default', vv: new VersionVector() }));
    for (let id = 1; id <= 49; id++) deliver(encodeMessage({ type: 'digest-request', id, leaves: true }));
    expect(closed).toBeUndefined();
    for (let id = 50; id <= 60; id++) deliver(encodeMessage({ type: 'digest-request', id, leaves: true }));
    expect(closed).toBe(4008);
  });
});

describe('a writer whose clock was wrong (docs/protocol.md, "Clocks")', () => {
  it('keeps its far-future writes pending and local, is told why, and after its clock is fixed and it restarts writes that the relay accepts', async () => {
    const world = new World();
    const relay = (await world.add('relay')).engine;
    const writer = await world.add('w');
    writer.clock.skewMs = 10 * 365 * 86_400_000;
    const connect = (): void => {
      const [cw, cr] = world.network.connect('w', 'relay');
      world.peer('w').links.add(cw);
      world.engine('w').connect(cw);
      relay.connect(cr, { ...relayPolicy, maxClockAheadMs: 300_000 });
    };
    await writer.engine.put('c', 'k', 'from the future');
    connect();
    await world.run(2_000);
    expect(relay.has('c', 'k')).toBe(false);
    expect(world.engine('w').unacked('relay')).toBe(1);
    expect(world.errors).toContainEqual(expect.objectContaining({ peer: 'w', code: 'E_CLOCK_SKEW' }));

    // The clock is fixed and the peer restarts: it is warned at open, and its new writes are stamped from the clock.
    world.crash('w');
    const atOpen: string[] = [];
    const fixed = await world.restart('w', { onError: (error) => atOpen.push(`${error.code}: ${error.message}`) });
    expect(atOpen).toEqual([expect.stringMatching(/^E_CLOCK_SKEW: this peer's log holds operations stamped \d+ s ahead/)]);
    const later = await fixed.put('c', 'j', 'now');
    expect(later.hlc.wall).toBeLessThanOrEqual(world.clock.now() + 60_000);
    connect();
    await world.run(2_000);
    expect(relay.get('c', 'j')).toBe('now');
    // The far-future write is not lost, not acknowledged, and still wins its key where it is held.
    expect(relay.has('c', 'k')).toBe(false);
    expect(fixed.get('c', 'k')).toBe('from the future');
    expect(fixed.isAcked({ origin: 'w', seq: 1 }, 'relay')).toBe(false);
    expect(fixed.isAcked({ origin: 'w', seq: 2 }, 'relay')).toBe(true);
  });
});
