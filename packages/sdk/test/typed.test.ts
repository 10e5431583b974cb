import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMemoryNetwork, createPeer, isSyncError, type Peer, type Space } from '../src/index.js';
import { openPeer, startRelay, until } from './helpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Two in-memory peers' spaces, and a way to link and cut them (a partition). */
async function twoSpaces(): Promise<{ a: Space; b: Space; link: () => () => void }> {
  const a = await (await openPeer()).space('team');
  const b = await (await openPeer()).space('team');
  const link = (): (() => void) => {
    const [ab, ba] = createMemoryNetwork().connect('a', 'b');
    const sessions = [a.connect(ab), b.connect(ba)];
    return () => {
      for (const session of sessions) session.close();
    };
  };
  return { a, b, link };
}

/** The code of what `write` throws synchronously, or `'no throw'`. */
function syncThrow(write: () => unknown): string {
  try {
    const handle = write();
    if (handle !== null && typeof handle === 'object' && 'durable' in handle) (handle as { durable: Promise<unknown> }).durable.catch(() => undefined);
    return 'no throw';
  } catch (error) {
    return isSyncError(error) ? error.code : `not a SyncError: ${String(error)}`;
  }
}

describe('typed collections', () => {
  it('counters: two peers increment offline 300 times each through a real relay and converge on the sum', async () => {
    const relay = await startRelay();
    const peers: Peer[] = [];
    for (let i = 0; i < 2; i++) {
      const peer = await createPeer({ storage: ':memory:', relay: relay.url, transport: 'websocket' });
      cleanups.push(() => peer.close());
      peer.offline();
      peers.push(peer);
    }
    const votes = await Promise.all(peers.map(async (peer) => (await peer.space('team')).collection('votes', { type: 'counter' })));
    expect(votes[0]!.get('up')).toBe(0);
    expect(votes[0]!.has('up')).toBe(false);
    const writes = [];
    for (let i = 0; i < 300; i++) writes.push(votes[0]!.increment('up'), votes[1]!.increment('up', 2));
    writes.push(votes[1]!.decrement('up', 50));
    await Promise.all(writes);
    expect(votes[0]!.get('up')).toBe(300);
    expect(votes[1]!.get('up')).toBe(550);
    for (const peer of peers) peer.online();
    await Promise.all(peers.map((peer) => peer.synced()));
    await until(() => votes.every((v) => v.get('up') === 850), 'both peers show 300 + 600 − 50');
    expect(votes[0]!.entries()).toEqual([['up', 850]]);
    // One operation per writer on the relay, not 601.
    expect(relay.engine.stateEntries('votes', 'counter')).toHaveLength(1);
    expect((relay.engine.getState('votes', 'up', 'counter') as { latest: unknown[] }).latest).toHaveLength(2);
  });

  it('sets: a concurrent add and remove of one element — the add wins; the remove takes what it had seen', async () => {
    const { a, b, link } = await twoSpaces();
    const tagsA = a.collection<string>('tags', { type: 'set' });
    const tagsB = b.collection<string>('tags', { type: 'set' });
    let cut = link();
    await tagsA.add('post', 'red').acked;
    await tagsA.add('post', 'blue').acked;
    await until(() => tagsB.values('post').length === 2, 'b sees both tags');
    expect(tagsB.values('post')).toEqual(['blue', 'red']);
    cut();
    await tagsB.remove('post', 'red');
    await tagsB.remove('post', 'blue');
    await tagsA.add('post', 'red');
    expect(tagsB.values('post')).toEqual([]);
    expect(tagsB.keys()).toEqual([]);
    cut = link();
    await until(() => tagsA.values('post').length === 1 && tagsB.values('post').length === 1, 'both converge');
    expect(tagsA.values('post')).toEqual(['red']);
    expect(tagsB.values('post')).toEqual(['red']);
    expect(tagsB.has('post', 'red')).toBe(true);
    expect(tagsB.has('post', 'blue')).toBe(false);
    expect(a.diff(b.digest()).equal).toBe(true);
    cut();
  });

  it('mv registers: three concurrent writes are all kept, with their writers; a write that saw them resolves them', async () => {
    const spaces = await Promise.all([0, 1, 2].map(async () => (await openPeer()).space('team')));
    const titles = spaces.map((space) => space.collection<string>('title', { type: 'mv' }));
    await Promise.all(titles.map((title, i) => title.put('doc', `title ${i}`)));
    expect(titles[0]!.get('doc')).toBe('title 0');
    // Link 0–1 and 1–2: a line of three peers.
    const net = createMemoryNetwork();
    const [x, y] = net.connect('p0', 'p1');
    const [z, w] = net.connect('p1b', 'p2');
    spaces[0]!.connect(x);
    spaces[1]!.connect(y);
    spaces[1]!.connect(z);
    spaces[2]!.connect(w);
    await until(() => titles.every((title) => title.conflicts('doc').length === 3), 'every peer holds three concurrent values');
    const conflicts = titles[2]!.conflicts('doc');
    expect(new Set(conflicts.map((c) => c.origin))).toEqual(new Set(spaces.map((space) => space.engine.peerId)));
    expect(conflicts.map((c) => c.value).sort()).toEqual(['title 0', 'title 1', 'title 2']);
    expect(conflicts.every((c) => c.seq === 1)).toBe(true);
    // The pick is the greatest HLC, the same everywhere, and first in values().
    const picks = titles.map((title) => title.get('doc'));
    expect(new Set(picks).size).toBe(1);
    expect(titles[0]!.values('doc')[0]).toBe(picks[0]);
    await titles[1]!.put('doc', 'agreed');
    await until(() => titles.every((title) => title.values('doc').length === 1 && title.get('doc') === 'agreed'), 'the resolving write replaces them all');
  });

  it('maps: two peers editing different fields concurrently both keep their edit; deleted fields stay deleted', async () => {
    interface Card {
      title: string;
      done: boolean;
      note: string;
    }
    const { a, b, link } = await twoSpaces();
    const cardsA = a.collection<Card>('cards', { type: 'map' });
    const cardsB = b.collection<Card>('cards', { type: 'map' });
    let cut = link();
    await cardsA.set('c1', { title: 'Buy milk', done: false, note: 'x' }).acked;
    await until(() => cardsB.get('c1')?.title === 'Buy milk', 'b has the card');
    cut();
    await cardsA.set('c1', { title: 'Buy oat milk' });
    await cardsB.update('c1', { set: { done: true }, del: ['note'] });
    cut = link();
    await until(() => cardsA.get('c1')?.done === true && cardsB.get('c1')?.title === 'Buy oat milk', 'both edits on both peers');
    expect(cardsA.get('c1')).toEqual({ title: 'Buy oat milk', done: true });
    expect(cardsB.get('c1')).toEqual({ title: 'Buy oat milk', done: true });
    await cardsB.deleteFields('c1', ['title', 'done']);
    expect(cardsB.get('c1')).toBeUndefined();
    expect(cardsB.has('c1')).toBe(false);
    await until(() => cardsA.get('c1') === undefined, 'a sees every field deleted');
    cut();
  });

  it('subscribe: live changes carry the value after them, initial delivers the current state first', async () => {
    const p = await openPeer();
    const space = await p.space('team');
    const votes = space.collection('votes', { type: 'counter' });
    await votes.increment('a', 2);
    const seen: Array<[string, number, string]> = [];
    const off = votes.subscribe((changes) => seen.push(...changes.map((c): [string, number, string] => [c.key, c.value, c.source])), { initial: true });
    const one: number[] = [];
    votes.subscribe('b', (value) => one.push(value));
    await votes.increment('b');
    await votes.decrement('b', 3);
    off();
    await votes.increment('a');
    expect(seen).toEqual([
      ['a', 2, 'local'],
      ['b', 1, 'local'],
      ['b', -2, 'local'],
    ]);
    expect(one).toEqual([1, -2]);
    // An LWW collection's listener sees no typed change, and the other way round.
    const notes = space.collection('notes');
    const lwwSeen: string[] = [];
    notes.subscribe((changes) => lwwSeen.push(...changes.map((c) => c.key)));
    const typedSeen: string[] = [];
    votes.subscribe((changes) => typedSeen.push(...changes.map((c) => c.key)));
    await notes.put('n', 1);
    await votes.increment('v');
    expect(lwwSeen).toEqual(['n']);
    expect(typedSeen).toEqual(['v']);
  });

  it('refuses to reopen a collection with another type (E_POLICY), and LWW is the default, unchanged', async () => {
    const p = await openPeer();
    const space = await p.space('team');
    const votes = space.collection('votes', { type: 'counter' });
    expect(space.collection('votes', { type: 'counter' })).toBe(votes);
    expect(space.collectionType('votes')).toBe('counter');
    for (const reopen of [() => space.collection('votes'), () => space.collection('votes', { type: 'set' }), () => space.collection('votes', { type: 'lww' })]) {
      expect(syncThrow(reopen)).toBe('E_POLICY');
    }
    const notes = space.collection<string>('notes');
    expect(syncThrow(() => space.collection('notes', { type: 'mv' }))).toBe('E_POLICY');
    await notes.put('k', 'v');
    expect(notes.get('k')).toBe('v');
    // The engine was declared too: an LWW write to the counter collection is refused there.
    expect(space.engine.policyOf('votes')).toBe('counter');
    expect(syncThrow(() => space.engine.put('votes', 'k', 1))).toBe('E_POLICY');
    expect(syncThrow(() => space.collection('x', { type: 'nope' as never }))).toBe('E_INVALID_ARGUMENT');
  });

  it('bad input throws typed errors synchronously, and nothing is written', async () => {
    const p = await openPeer();
    const space = await p.space('team');
    const votes = space.collection('votes', { type: 'counter' });
    const tags = space.collection('tags', { type: 'set' });
    const title = space.collection('title', { type: 'mv' });
    const cards = space.collection<{ a: number; b: number }>('cards', { type: 'map' });
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const cases: Array<[string, () => unknown, string]> = [
      ['an empty key', () => votes.increment(''), 'E_INVALID_KEY'],
      ['an amount of 0', () => votes.increment('k', 0), 'E_INVALID_ARGUMENT'],
      ['a negative amount', () => votes.decrement('k', -1), 'E_INVALID_ARGUMENT'],
      ['a fractional amount', () => votes.increment('k', 1.5), 'E_INVALID_ARGUMENT'],
      ['a NaN amount', () => votes.increment('k', Number.NaN), 'E_INVALID_ARGUMENT'],
      ['an unsafe amount', () => votes.increment('k', 2 ** 60), 'E_INVALID_ARGUMENT'],
      ['a bigint element', () => tags.add('k', 10n as never), 'E_INVALID_VALUE'],
      ['a cyclic element removed', () => tags.remove('k', cyclic as never), 'E_INVALID_VALUE'],
      ['an over-long key', () => tags.add('k'.repeat(1025), 1), 'E_INVALID_KEY'],
      ['an mv value over 1 MiB', () => title.put('k', 'x'.repeat(1024 * 1024 + 1)), 'E_TOO_LARGE'],
      ['an mv NaN', () => title.put('k', Number.NaN), 'E_INVALID_VALUE'],
      ['a map write of no field', () => cards.set('k', {}), 'E_INVALID_VALUE'],
      ['a map field set and deleted', () => cards.update('k', { set: { a: 1 }, del: ['a'] }), 'E_INVALID_VALUE'],
      ['a map of an array', () => cards.set('k', [] as never), 'E_INVALID_VALUE'],
      ['a map field __proto__', () => cards.set('k', JSON.parse('{"__proto__": 1}') as never), 'E_INVALID_VALUE'],
      ['a counter with a validator', () => space.collection('c2', { type: 'counter', validate: ((v: unknown) => v) as never }), 'E_INVALID_ARGUMENT'],
      ['a typed collection with a bad name', () => space.collection('', { type: 'set' }), 'E_INVALID_COLLECTION'],
    ];
    for (const [name, write, code] of cases) expect(syncThrow(write), name).toBe(code);
    await space.engine.flush();
    expect(space.versionVector().isEmpty()).toBe(true);
    expect(votes.keys()).toEqual([]);
  });

  it('validate runs on set elements, mv values and map fields (a zod schema, a function)', async () => {
    const p = await openPeer();
    const space = await p.space('team');
    const tags = space.collection('tags', { type: 'set', validate: z.string().min(1) });
    await tags.add('post', 'red');
    expect(syncThrow(() => tags.add('post', ''))).toBe('E_INVALID_VALUE');
    // Removing needs no validation: an element that fails the schema can still be taken out.
    await tags.remove('post', 'red');
    const title = space.collection('title', { type: 'mv', validate: (v) => String(v).trim() });
    await title.put('doc', '  spaced  ');
    expect(title.get('doc')).toBe('spaced');
    const cards = space.collection('cards', { type: 'map', validate: z.object({ title: z.string(), done: z.boolean() }).partial().strict() });
    await cards.set('c', { done: true });
    expect(syncThrow(() => cards.set('c', { done: 'yes' } as never))).toBe('E_INVALID_VALUE');
    expect(syncThrow(() => cards.set('c', { other: 1 } as never))).toBe('E_INVALID_VALUE');
    expect(cards.get('c')).toEqual({ done: true });
    expect(space.versionVector().toJSON()).toEqual({ [p.id]: 4 });
  });
});
