import { type SyncError, VersionVector, type Operation } from '@softadastra/sync-core';
import {
  counterIncrement,
  counterDecrement,
  mapWrite,
  mvConflicts,
  mvWrite,
  setAdd,
  setRemove,
  type CounterState,
  type MvState,
  type SetState,
} from '@softadastra/sync-reconciler';
import { describe, expect, it } from 'vitest';
import { RawPeer, World, expectConverged } from './harness.js';

const increment = (n = 1) => (state: unknown, origin: string) => counterIncrement(state as CounterState, origin, n) as never;
const decrement = (n = 1) => (state: unknown, origin: string) => counterDecrement(state as CounterState, origin, n) as never;
const add = (value: string) => () => setAdd(value) as never;
const remove = (value: string) => (state: unknown) => setRemove(state as SetState, value) as never;
const mvPut = (value: string) => (state: unknown) => mvWrite(state as MvState, value) as never;

const declared = { collections: { votes: 'counter', tags: 'set', title: 'mv', cards: 'map' } } as const;

/** The ops a fresh peer is sent by `target` when it says it holds nothing. */
async function opsSentToNewcomer(world: World, target: string): Promise<Operation[]> {
  const raw = new RawPeer(world, `newcomer-${target}`, target);
  await world.run(50);
  raw.send({ type: 'hello', protocol: 1, epoch: 1, peer: `newcomer-${target}`, space: 'default', vv: new VersionVector() });
  await world.run(1000);
  return raw.messages.flatMap((m) => (m.type === 'ops' ? m.ops : []));
}

describe('typed collections through the engine', () => {
  it('two peers increment one counter 1,000 times each offline and converge on 2,000; what a newcomer is sent does not grow with the increments', async () => {
    const world = new World();
    const a = (await world.add('a', declared)).engine;
    const b = (await world.add('b', declared)).engine;
    for (let i = 0; i < 1000; i++) {
      void a.update('votes', 'up', 'counter', increment());
      void b.update('votes', 'up', 'counter', increment());
    }
    await a.update('votes', 'down', 'counter', decrement(3));
    await Promise.all([a.flush(), b.flush()]);
    expect(a.get('votes', 'up')).toBe(1000);
    world.link('a', 'b');
    await world.settle();
    expect(a.get('votes', 'up')).toBe(2000);
    expect(b.get('votes', 'up')).toBe(2000);
    expect(b.get('votes', 'down')).toBe(-3);
    expect(b.entries('votes').sort()).toEqual([
      ['down', -3],
      ['up', 2000],
    ]);
    expectConverged([a, b]);
    // One op per origin and key: 2 for "up", 1 for "down", after 2,001 writes.
    const sent = await opsSentToNewcomer(world, 'b');
    expect(sent.map((op) => `${op.origin}:${op.collection}/${op.key}`).sort()).toEqual(['a:votes/down', 'a:votes/up', 'b:votes/up']);
    expect(sent.every((op) => op.kind === 'put' && op.type === 'counter')).toBe(true);
  });

  it('keeps a concurrent add over a remove of the same element (add wins), and removes what the remover had seen', async () => {
    const world = new World();
    const a = (await world.add('a', declared)).engine;
    const b = (await world.add('b', declared)).engine;
    world.link('a', 'b');
    await a.update('tags', 'post', 'set', add('red'));
    await a.update('tags', 'post', 'set', add('blue'));
    await world.settle();
    expect(b.get('tags', 'post')).toEqual(['blue', 'red']);
    world.network.partition([['a'], ['b']]);
    await b.update('tags', 'post', 'set', remove('red'));
    await b.update('tags', 'post', 'set', remove('blue'));
    await a.update('tags', 'post', 'set', add('red'));
    world.network.partition([]);
    await world.settle();
    expect(a.get('tags', 'post')).toEqual(['red']);
    expect(b.get('tags', 'post')).toEqual(['red']);
    expectConverged([a, b]);
  });

  it('keeps three concurrent writes of an mv register, with writer and time, until a write that saw them replaces them all', async () => {
    const world = new World();
    const names = ['a', 'b', 'c'];
    for (const name of names) await world.add(name, declared);
    for (const name of names) await world.engine(name).update('title', 'doc', 'mv', mvPut(`by ${name}`));
    for (let i = 0; i < names.length; i++) for (let j = i + 1; j < names.length; j++) world.link(names[i]!, names[j]!);
    await world.settle();
    const a = world.engine('a');
    expect(a.get('title', 'doc')).toEqual(['by a', 'by b', 'by c']);
    const conflicts = mvConflicts(a.getState('title', 'doc', 'mv') as MvState);
    expect(conflicts.map((c) => [c.value, c.origin])).toEqual([
      ['by a', 'a'],
      ['by b', 'b'],
      ['by c', 'c'],
    ]);
    expect(conflicts.every((c) => c.hlc.peer === c.origin)).toBe(true);
    await world.engine('b').update('title', 'doc', 'mv', mvPut('merged'));
    await world.settle();
    for (const name of names) expect(world.engine(name).get('title', 'doc')).toEqual(['merged']);
    expectConverged(names.map((n) => world.engine(n)));
  });

  it('merges a map per field: two people editing different fields of one record both win', async () => {
    const world = new World();
    const a = (await world.add('a', declared)).engine;
    const b = (await world.add('b', declared)).engine;
    await a.update('cards', 'c1', 'map', () => mapWrite({ title: 'Ship it', owner: 'ann' }) as never);
    world.link('a', 'b');
    await world.settle();
    world.network.partition([['a'], ['b']]);
    await a.update('cards', 'c1', 'map', () => mapWrite({ title: 'Ship it today' }) as never);
    await b.update('cards', 'c1', 'map', () => mapWrite({ done: true }, ['owner']) as never);
    world.network.partition([]);
    await world.settle();
    expect(a.get('cards', 'c1')).toEqual({ title: 'Ship it today', done: true });
    expect(b.get('cards', 'c1')).toEqual({ title: 'Ship it today', done: true });
    expectConverged([a, b]);
  });

  it('rebuilds typed state from the WAL and from a snapshot after compaction', async () => {
    const world = new World();
    const a = (await world.add('a', declared)).engine;
    for (let i = 0; i < 20; i++) await a.update('votes', 'up', 'counter', increment(2));
    await a.update('tags', 't', 'set', add('x'));
    await a.update('cards', 'c', 'map', () => mapWrite({ f: 1 }) as never);
    const digest = a.digest().root;
    await a.close();
    const reopened = await world.restart('a', declared);
    expect(reopened.get('votes', 'up')).toBe(40);
    expect(reopened.get('tags', 't')).toEqual(['x']);
    await reopened.compact();
    await reopened.close();
    const again = await world.restart('a', declared);
    expect(again.get('votes', 'up')).toBe(40);
    expect(again.get('cards', 'c')).toEqual({ f: 1 });
    expect(again.digest().root).toBe(digest);
    await again.update('votes', 'up', 'counter', increment());
    expect(again.get('votes', 'up')).toBe(41);
  });

  it('refuses an operation whose policy is not the declared one with E_POLICY, sent back to its writer, and never applies it', async () => {
    const world = new World();
    const strict = (await world.add('strict', declared)).engine;
    const loose = (await world.add('loose')).engine;
    const errors: SyncError[] = [];
    loose.on('error', (error) => errors.push(error));
    await loose.put('votes', 'up', 41);
    await loose.update('votes', 'side', 'counter', increment());
    world.link('strict', 'loose');
    await world.run(5000);
    expect(strict.get('votes', 'up')).toBeUndefined();
    expect(strict.get('votes', 'side')).toBe(1);
    expect(errors.some((error) => error.code === 'E_POLICY')).toBe(true);
    // Local misuse throws at once, before anything is written.
    expect(() => strict.put('votes', 'up', 1)).toThrow(expect.objectContaining({ code: 'E_POLICY' }));
    expect(() => strict.delete('votes', 'up')).toThrow(expect.objectContaining({ code: 'E_POLICY' }));
    expect(() => strict.update('votes', 'up', 'set', add('x'))).toThrow(expect.objectContaining({ code: 'E_POLICY' }));
    expect(() => strict.update('tags', 't', 'set', () => ({ action: 'remove', value: 1 }))).toThrow(expect.objectContaining({ code: 'E_POLICY' }));
    expect(() => strict.update('votes', 'up', 'counter', increment(-1))).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    expect(() => strict.declare('votes', 'set')).toThrow(expect.objectContaining({ code: 'E_POLICY' }));
    expect(() => strict.declare('other', 'text' as never)).toThrow(expect.objectContaining({ code: 'E_POLICY' }));
    strict.declare('votes', 'counter');
    expect(strict.policyOf('votes')).toBe('counter');
    expect(strict.policyOf('nothing')).toBeUndefined();
  });

  it('lets an undeclared peer (a relay) carry typed operations between declared ones', async () => {
    const world = new World();
    await world.add('relay');
    const a = (await world.add('a', declared)).engine;
    const b = (await world.add('b', declared)).engine;
    world.link('a', 'relay');
    world.link('b', 'relay');
    for (let i = 0; i < 10; i++) {
      await a.update('votes', 'up', 'counter', increment());
      await b.update('votes', 'up', 'counter', increment());
    }
    await world.settle();
    expect(a.get('votes', 'up')).toBe(20);
    expect(b.get('votes', 'up')).toBe(20);
    expect(world.engine('relay').stateEntries('votes', 'counter')).toHaveLength(1);
    expectConverged([a, b, world.engine('relay')]);
  });

  it('emits changes of typed keys with their policy value', async () => {
    const world = new World();
    const a = (await world.add('a', declared)).engine;
    const seen: unknown[] = [];
    a.on('change', (changes) => seen.push(...changes.map((c) => c.value)));
    await a.update('votes', 'up', 'counter', increment(5));
    await a.update('votes', 'up', 'counter', increment(2));
    expect(seen).toEqual([5, 7]);
  });
});
