import { VersionVector, type Clock, type WalRecord } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { RawPeer, World, listedWal } from './harness.js';

const ackRecords = (records: readonly WalRecord[]): WalRecord[] => records.filter((r) => Object.keys(r.meta ?? {}).some((k) => k.startsWith('acked:')));

describe('recorded acknowledgements (ConnectOptions.recordAcks)', () => {
  it('knows after a restart, without reconnecting, which writes the remote acked', async () => {
    const world = new World();
    const alice = await world.add('alice');
    await world.add('relay');
    world.link('alice', 'relay');
    const ops = [];
    for (let i = 0; i < 5; i++) ops.push(await alice.engine.put('c', `k${i}`, i));
    await world.run(500);
    expect(alice.engine.isAcked(ops[4]!, 'relay')).toBe(true);
    expect(alice.engine.unacked()).toBe(0);
    await alice.engine.close();
    const reopened = await world.restart('alice');
    expect(reopened.sessions()).toEqual([]);
    expect(reopened.unacked()).toBe(0);
    expect(reopened.unacked('relay')).toBe(0);
    for (const op of ops) expect(reopened.isAcked(op)).toBe(true);
    expect(reopened.isAcked(ops[0]!, 'relay')).toBe(true);
    await reopened.whenAcked(ops[2]!); // resolves from the record
    // New offline writes are the only pending ones.
    const offline = await reopened.put('c', 'offline', 1);
    await reopened.put('c', 'offline', 2);
    expect(reopened.unacked()).toBe(2);
    expect(reopened.isAcked(offline)).toBe(false);
  });

  it('coalesces: many acks, one WAL record per recordAcksMs, and one at close', async () => {
    const world = new World();
    const alice = await world.add('alice');
    await world.add('relay');
    world.crash('alice');
    const listed = listedWal(alice.storage);
    const engine = await world.restart('alice', { wal: listed.wal, timing: { resendMs: 200, gapMs: 300, maxBackoffMs: 2_000, coveredDelayMs: 20, recordAcksMs: 1_000 } });
    world.link('alice', 'relay');
    await world.run(100);
    let acks = 0;
    engine.on('ack', () => acks++);
    for (let i = 0; i < 40; i++) {
      await engine.put('c', `k${i}`, i);
      await world.run(20);
    }
    expect(acks).toBeGreaterThan(20);
    // 40 writes and their acks over 800 ms: at most one ack record so far.
    expect(ackRecords(listed.records).length).toBeLessThanOrEqual(1);
    await world.run(1_500);
    const written = ackRecords(listed.records).length;
    expect(written).toBeGreaterThanOrEqual(1);
    expect(written).toBeLessThanOrEqual(2);
    // Nothing new acked: no new record, however long.
    await world.run(10_000);
    expect(ackRecords(listed.records)).toHaveLength(written);
    await engine.put('c', 'last', 1);
    await world.run(50);
    await engine.close();
    expect(ackRecords(listed.records)).toHaveLength(written + 1);
    expect(ackRecords(listed.records).at(-1)!.meta).toEqual({ 'acked:relay': JSON.stringify({ alice: 41 }) });
  });

  it('after a crash may forget the last acks (over-counts), never counts an unacked write as acked', async () => {
    const world = new World();
    const alice = await world.add('alice', { timing: { resendMs: 200, gapMs: 300, maxBackoffMs: 2_000, coveredDelayMs: 20, recordAcksMs: 1_000 } });
    await world.add('relay');
    world.link('alice', 'relay');
    const first = await alice.engine.put('c', 'a', 1);
    await world.run(1_500); // acked, and recorded
    expect(alice.engine.isAcked(first, 'relay')).toBe(true);
    const second = await alice.engine.put('c', 'b', 2);
    await world.run(200); // acked, not recorded yet
    expect(alice.engine.isAcked(second, 'relay')).toBe(true);
    expect(alice.engine.unacked()).toBe(0);
    world.crash('alice'); // before the second ack was written
    const reopened = await world.restart('alice');
    expect(reopened.isAcked(first)).toBe(true);
    expect(reopened.isAcked(second)).toBe(false);
    expect(reopened.unacked()).toBe(1);
    // Reconnecting brings the ack back.
    world.link('alice', 'relay');
    await world.run(500);
    expect(reopened.unacked('relay')).toBe(0);
  });

  it("never records more than this peer wrote: a remote's ack claim is cut to its own durable writes", async () => {
    const world = new World();
    const alice = await world.add('alice');
    for (let i = 0; i < 3; i++) await alice.engine.put('c', `k${i}`, i);
    const liar = new RawPeer(world, 'mallory', 'alice');
    await world.run(50);
    liar.send({ type: 'hello', protocol: 1, epoch: 1, peer: 'mallory', space: 'default', vv: new VersionVector() });
    await world.run(50);
    liar.send({ type: 'ack', vv: new VersionVector().addRange('alice', 1, 1_000).addRange('bob', 1, 50) });
    await world.run(2_000);
    await alice.engine.close();
    const reopened = await world.restart('alice');
    expect(reopened.unacked()).toBe(0);
    expect(reopened.isAcked({ origin: 'bob', seq: 1 })).toBe(false);
    // The claim reached past seq 3; seqs 4 and 5, written later, are not acked by it.
    const fourth = await reopened.put('c', 'k4', 4);
    await reopened.put('c', 'k5', 5);
    expect(reopened.isAcked(fourth)).toBe(false);
    expect(reopened.unacked()).toBe(2);
    expect(reopened.unacked('mallory')).toBe(2);
  });

  it('does not record by default for sessions a relay accepts (untrusted claims), nor with recordAcks: false', async () => {
    const world = new World();
    const relay = await world.add('relay');
    // The relay writes too, so that an ack could be about its own writes.
    for (let i = 0; i < 3; i++) await relay.engine.put('c', `r${i}`, i);
    world.crash('relay');
    const listed = listedWal(relay.storage);
    const engine = await world.restart('relay', { wal: listed.wal });
    for (const [name, options] of [
      ['carol', { trustCovered: 'own-origin', acceptOrigins: 'own' }],
      ['dave', { recordAcks: false }],
    ] as const) {
      const client = new RawPeer(world, name, 'relay', options);
      await world.run(50);
      client.send({ type: 'hello', protocol: 1, epoch: 1, peer: name, space: 'default', vv: new VersionVector() });
      await world.run(50);
      client.send({ type: 'ack', vv: new VersionVector().addRange('relay', 1, 3) });
    }
    await world.run(3_000);
    await engine.close();
    expect(ackRecords(listed.records)).toEqual([]);
    const reopened = await world.restart('relay');
    expect(reopened.unacked()).toBe(3);
    // recordAcks: true on an untrusted session records, still cut to own writes.
    const erin = new RawPeer(world, 'erin', 'relay', { trustCovered: 'own-origin', recordAcks: true });
    await world.run(50);
    erin.send({ type: 'hello', protocol: 1, epoch: 1, peer: 'erin', space: 'default', vv: new VersionVector() });
    await world.run(50);
    erin.send({ type: 'ack', vv: new VersionVector().addRange('relay', 1, 99) });
    await world.run(2_000);
    expect(reopened.unacked()).toBe(0);
    await reopened.close();
    expect((await world.restart('relay')).unacked()).toBe(0);
  });
});

describe('keeping the process alive while an acknowledgement is awaited (Clock.keepAlive)', () => {
  /** The world's clock, counting the holds taken and not released. */
  const holdingClock = (world: World): { clock: Clock; held: () => number; taken: () => number } => {
    let held = 0;
    let taken = 0;
    const clock: Clock = {
      now: () => world.clock.now(),
      setTimeout: (callback, ms) => world.clock.setTimeout(callback, ms),
      clearTimeout: (handle) => world.clock.clearTimeout(handle),
      random: () => world.clock.random(),
      keepAlive() {
        held++;
        taken++;
        let released = false;
        return () => {
          if (!released) held--;
          released = true;
        };
      },
    };
    return { clock, held: () => held, taken: () => taken };
  };

  it('holds one handle while acks are awaited, none once they arrive', async () => {
    const world = new World();
    const holds = holdingClock(world);
    const alice = await world.add('alice', { clock: holds.clock });
    await world.add('relay');
    const first = await alice.engine.put('c', 'k1', 1);
    const second = await alice.engine.put('c', 'k2', 2);
    expect(holds.held()).toBe(0); // writes nobody waits on hold nothing
    const acked = Promise.all([alice.engine.whenAcked(first), alice.engine.whenAcked(second, 'relay')]);
    expect(holds.held()).toBe(1);
    expect(holds.taken()).toBe(1); // one hold, however many waiters
    world.link('alice', 'relay');
    await world.run(500);
    await acked;
    expect(holds.held()).toBe(0);
  });

  it('releases the hold when the engine closes under a waiter', async () => {
    const world = new World();
    const holds = holdingClock(world);
    const alice = await world.add('alice', { clock: holds.clock });
    const op = await alice.engine.put('c', 'k', 1);
    const acked = alice.engine.whenAcked(op);
    expect(holds.held()).toBe(1);
    await alice.engine.close();
    await expect(acked).rejects.toMatchObject({ code: 'E_CLOSED' });
    expect(holds.held()).toBe(0);
  });
});
