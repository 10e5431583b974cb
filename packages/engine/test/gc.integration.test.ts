import type { Connection } from '@softadastra/sync-core';
import { counterIncrement, setAdd, setRemove, type CounterState, type SetState } from '@softadastra/sync-reconciler';
import { describe, expect, it } from 'vitest';
import type { SyncEngine } from '../src/index.js';
import { createMemoryWal } from '@softadastra/wal-memory';
import { World, expectConverged } from './harness.js';

const HORIZON = 60_000;
const declared = { collections: { tags: 'set', votes: 'counter' } } as const;
const add = (value: string) => () => setAdd(value) as never;
const remove = (value: string) => (state: unknown) => setRemove(state as SetState, value) as never;
const increment = (state: unknown, origin: string) => counterIncrement(state as CounterState, origin, 1) as never;

/** A relay (the collection authority) and its clients, each linked to it alone. */
async function star(clients: readonly string[]): Promise<{ world: World; relay: SyncEngine; links: Map<string, Connection> }> {
  const world = new World();
  const relay = (await world.add('relay', { gc: { horizonMs: HORIZON }, timing: { stableDelayMs: 100 } })).engine;
  const links = new Map<string, Connection>();
  for (const name of clients) {
    await world.add(name, declared);
    connect(world, name, links);
  }
  return { world, relay, links };
}

function connect(world: World, name: string, links: Map<string, Connection>): void {
  const [client, server] = world.network.connect(name, 'relay');
  world.peer(name).links.add(client);
  links.set(name, client);
  world.engine(name).connect(client, { gcAuthority: true });
  world.engine('relay').connect(server, { trustCovered: 'own-origin', acceptOrigins: 'own', expectPeer: name });
}

function removesAt(engine: SyncEngine, key = 'post'): number {
  const state = engine.getState('tags', key, 'set') as SetState | undefined;
  return state?.removes.length ?? 0;
}

describe('metadata collection through the relay', () => {
  it('drops a set remove everywhere once every member holds it, and not before', async () => {
    const { world, relay, links } = await star(['a', 'b', 'c']);
    const [a, b, c] = ['a', 'b', 'c'].map((name) => world.engine(name));
    await a!.update('tags', 'post', 'set', add('red'));
    await world.run(2_000);
    // c goes away (within the horizon): nothing it may lack is collected while it is a member.
    links.get('c')!.close(1000, 'offline');
    await b!.update('tags', 'post', 'set', remove('red'));
    await world.run(5_000);
    expect(a!.get('tags', 'post')).toEqual([]);
    for (const engine of [relay, a!, b!]) expect(removesAt(engine)).toBe(1);
    // c comes back: it is sent the remove, acks it, and then every peer drops it.
    connect(world, 'c', links);
    await world.run(5_000);
    // Nothing is left of the key: an empty set that nobody needs to remember.
    for (const engine of [relay, a!, b!, c!]) expect(engine.getState('tags', 'post', 'set')).toBeUndefined();
    expectConverged([relay, a!, b!, c!]);
    expect(world.errors.filter((error) => error.code === 'E_HORIZON')).toEqual([]);
    // What was collected stays collected after a crash: the log was compacted with it.
    world.crash('a');
    const reopened = await world.restart('a', declared);
    expect(reopened.getState('tags', 'post', 'set')).toBeUndefined();
    connect(world, 'a', links);
    await world.run(3_000);
    expectConverged([relay, reopened, b!, c!]);
  });

  it('takes the snapshot again after a crash in the middle of one, and converges', async () => {
    const { world, relay, links } = await star(['a', 'c']);
    const a = world.engine('a');
    await a.update('tags', 'post', 'set', add('red'));
    await world.run(2_000);
    links.get('c')!.close(1000, 'offline');
    await world.engine('c').update('tags', 'post', 'set', add('green'));
    await a.update('tags', 'post', 'set', remove('red'));
    await world.run(HORIZON + 5_000);
    // Crash the moment the relay refuses it: the snapshot is asked for, nothing of it is in.
    let crashed = false;
    world.engine('c').on('error', (error) => {
      if (crashed || !error.message.includes('reported E_HORIZON')) return;
      crashed = true;
      world.crash('c');
    });
    connect(world, 'c', links);
    await world.run(1_000);
    expect(crashed).toBe(true);
    const c = await world.restart('c', declared);
    expect(c.get('tags', 'post')).toEqual(['green', 'red']);
    connect(world, 'c', links);
    await world.run(10_000);
    expect(c.get('tags', 'post')).toEqual(['green']);
    expect(a.get('tags', 'post')).toEqual(['green']);
    expectConverged([relay, a, c]);
  });

  it('resets a member away past the horizon: it converges, shows nothing a collected remove removed, and keeps its offline writes', async () => {
    const { world, relay, links } = await star(['a', 'c']);
    const a = world.engine('a');
    const c = world.engine('c');
    await a.update('tags', 'post', 'set', add('red'));
    await a.put('notes', 'n1', 'from a');
    await world.run(2_000);
    expect(c.get('tags', 'post')).toEqual(['red']);
    links.get('c')!.close(1000, 'offline');
    // Offline, c writes: an add, increments, a put — none of which the relay has.
    await c.update('tags', 'post', 'set', add('green'));
    for (let i = 0; i < 3; i++) await c.update('votes', 'up', 'counter', increment);
    await c.put('notes', 'n2', 'from c');
    await a.update('tags', 'post', 'set', remove('red'));
    await a.update('votes', 'up', 'counter', increment);
    // Past the horizon c stops counting: a's remove is collected (c still shows "red").
    await world.run(HORIZON + 5_000);
    await a.put('notes', 'n3', 'after the horizon');
    await world.run(2_000);
    expect(removesAt(relay)).toBe(0);
    expect(removesAt(a)).toBe(0);
    expect(c.get('tags', 'post')).toEqual(['green', 'red']);

    connect(world, 'c', links);
    await world.run(10_000);
    expect(world.errors.filter((error) => error.peer === 'c' && error.code === 'E_HORIZON' && error.message.includes("took the authority's snapshot"))).toHaveLength(1);
    // The relay declares nothing (it reads no typed values); its state is compared by digest below.
    for (const engine of [a, c]) {
      expect(engine.get('tags', 'post'), engine.peerId).toEqual(['green']);
      expect(engine.get('votes', 'up'), engine.peerId).toBe(4);
      expect(engine.get('notes', 'n2'), engine.peerId).toBe('from c');
      expect(engine.get('notes', 'n3'), engine.peerId).toBe('after the horizon');
    }
    expectConverged([relay, a, c]);
    // It counts as a member again: a remove it holds is collected as before.
    await c.update('tags', 'post', 'set', remove('green'));
    await world.run(5_000);
    for (const engine of [relay, a, c]) expect(removesAt(engine)).toBe(0);
    expect(a.getState('tags', 'post', 'set')).toBeUndefined();
  });

  it('lets a returning peer that holds only its own writes in without a reset', async () => {
    const { world, relay, links } = await star(['a']);
    const a = world.engine('a');
    await a.update('tags', 'post', 'set', add('red'));
    await a.update('tags', 'post', 'set', remove('red'));
    await world.run(3_000);
    expect(removesAt(relay)).toBe(0);
    // A newcomer that wrote before it ever connected: nothing it holds can be affected by what was collected.
    await world.add('n', declared);
    const n = world.engine('n');
    await n.update('tags', 'post', 'set', add('blue'));
    connect(world, 'n', links);
    await world.run(5_000);
    expect(world.errors.filter((error) => error.code === 'E_HORIZON')).toEqual([]);
    expect(a.get('tags', 'post')).toEqual(['blue']);
    expectConverged([relay, a, n]);
  });

  it('keeps what it published across a restart of the relay: a stale peer is still refused', async () => {
    const { world, links } = await star(['a', 'c']);
    const a = world.engine('a');
    const c = world.engine('c');
    await a.update('tags', 'post', 'set', add('red'));
    await world.run(2_000);
    links.get('c')!.close(1000, 'offline');
    await a.update('tags', 'post', 'set', remove('red'));
    await world.run(HORIZON + 5_000);
    await a.put('notes', 'tick', 1);
    await world.run(2_000);
    world.crash('relay');
    links.get('a')!.close(1000, 'relay down');
    const relay = await world.restart('relay', { gc: { horizonMs: HORIZON }, timing: { stableDelayMs: 100 } });
    expect(removesAt(relay)).toBe(0);
    connect(world, 'a', links);
    connect(world, 'c', links);
    await world.run(10_000);
    expect(world.errors.filter((error) => error.peer === 'c' && error.code === 'E_HORIZON' && error.message.includes("took the authority's snapshot"))).toHaveLength(1);
    expect(c.getState('tags', 'post', 'set')).toBeUndefined();
    expectConverged([relay, a, c]);
  });
});

describe('metadata collection: what the WAL keeps', () => {
  it('refuses to open a log whose stable vector cannot be read, with E_WAL_CORRUPT', async () => {
    const world = new World();
    const peer = await world.add('relay', { gc: { horizonMs: HORIZON } });
    // A meta record written by hand, as a damaged or foreign writer might have.
    const wal = createMemoryWal({ storage: peer.storage });
    await peer.engine.close();
    await wal.open();
    await wal.append({ ops: [], meta: { 'gc:stable': '{not json' } });
    await wal.close();
    await expect(world.restart('relay', { gc: { horizonMs: HORIZON } })).rejects.toMatchObject({ code: 'E_WAL_CORRUPT' });
  });
});
