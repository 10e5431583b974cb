import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMemoryNetwork, createPeer, isSyncError } from '../src/index.js';
import { openPeer, tempDir } from './helpers.js';

const dir = (): Promise<string> => tempDir('sdk-');

const peer = openPeer;

interface Todo {
  title: string;
  done: boolean;
}

describe('createPeer', () => {
  it('gives typed collections: put, get, has, delete, list, entries, keys, size', async () => {
    const p = await peer({ storage: ':memory:' });
    const todos = (await p.space('team')).collection<Todo>('todos');
    const op = await todos.put('t1', { title: 'Milk', done: false });
    expect(op.seq).toBe(1);
    await todos.put('t2', { title: 'Eggs', done: true });
    expect(todos.get('t1')).toEqual({ title: 'Milk', done: false });
    expect(todos.has('t2')).toBe(true);
    expect(todos.size).toBe(2);
    expect(todos.keys().sort()).toEqual(['t1', 't2']);
    expect(todos.list()).toContainEqual({ title: 'Eggs', done: true });
    expect(todos.entries()).toContainEqual(['t1', { title: 'Milk', done: false }]);
    await todos.delete('t2');
    expect(todos.has('t2')).toBe(false);
    expect(todos.get('t2')).toBeUndefined();
    expect((await p.space('team')).collections()).toEqual(['todos']);
  });

  it('validates local writes with a function or a Standard Schema (zod), refusing with E_INVALID_VALUE', async () => {
    const p = await peer({ storage: ':memory:' });
    const space = await p.space('team');
    const withZod = space.collection('todos', { validate: z.object({ title: z.string().min(1), done: z.boolean() }) });
    await withZod.put('ok', { title: 'Milk', done: false });
    let caught: unknown;
    try {
      await withZod.put('bad', { title: '', done: 'no' } as never);
    } catch (error) {
      caught = error;
    }
    expect(isSyncError(caught) && caught.code).toBe('E_INVALID_VALUE');
    expect(String((caught as Error).message)).toMatch(/todos\/bad: title/);
    expect(withZod.has('bad')).toBe(false);
    const withFunction = space.collection<number>('counts', {
      validate: (value) => {
        if (typeof value !== 'number' || value < 0) throw new Error('must be a non-negative number');
        return value;
      },
    });
    await withFunction.put('a', 3);
    expect(() => withFunction.put('b', -1)).toThrow(/must be a non-negative number/);
  });

  it('notifies subscribers per collection and per key', async () => {
    const p = await peer({ storage: ':memory:' });
    const todos = (await p.space('team')).collection<Todo>('todos');
    const all: string[] = [];
    const one: Array<Todo | undefined> = [];
    const off = todos.subscribe((changes) => all.push(...changes.map((c) => `${c.source}:${c.key}`)));
    todos.subscribe('t1', (value) => one.push(value));
    await todos.put('t1', { title: 'Milk', done: false });
    await todos.put('t2', { title: 'Eggs', done: false });
    await todos.delete('t1');
    off();
    await todos.put('t3', { title: 'Tea', done: false });
    expect(all).toEqual(['local:t1', 'local:t2', 'local:t1']);
    expect(one).toEqual([{ title: 'Milk', done: false }, undefined]);
  });

  it('keeps data and identity in a directory across restarts (file WAL)', async () => {
    const path = await dir();
    const first = await createPeer({ storage: path });
    await (await first.space('team')).collection('notes').put('n1', 'kept');
    await first.close();
    const second = await peer({ storage: path });
    expect(second.id).toBe(first.id);
    expect((await second.space('team')).collection('notes').get('n1')).toBe('kept');
    expect((await readFile(join(path, 'peer-id'), 'utf8')).trim()).toBe(first.id);
    const other = await peer({ storage: await dir() });
    expect(other.id).not.toBe(first.id);
  });

  it('keeps data in SQLite with { sqlite: dir }', async () => {
    const path = await dir();
    const first = await createPeer({ storage: { sqlite: path } });
    await (await first.space('team')).collection('notes').put('n1', 42);
    await first.close();
    const second = await peer({ storage: { sqlite: path } });
    expect((await second.space('team')).collection('notes').get('n1')).toBe(42);
    expect(second.id).toBe(first.id);
  });

  it('refuses bad space names and another peer id on the same storage', async () => {
    const path = await dir();
    const p = await peer({ storage: path });
    await expect(p.space('../etc')).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(createPeer({ storage: path, peerId: 'someone-else' })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
  });

  it('syncs two peers over a connection of your own, and compares digests', async () => {
    const a = await peer({ storage: ':memory:' });
    const b = await peer({ storage: ':memory:' });
    const spaceA = await a.space('team');
    const spaceB = await b.space('team');
    const [ab, ba] = createMemoryNetwork().connect('a', 'b');
    const session = spaceA.connect(ab);
    spaceB.connect(ba);
    const write = spaceA.collection('notes').put('k', 'from a');
    await write;
    await write.acked;
    expect(spaceB.collection('notes').get('k')).toBe('from a');
    expect(spaceA.diff(spaceB.digest()).equal).toBe(true);
    expect((await session.requestDigest()).root).toBe(spaceB.digest().root);
  });

  it('works offline without a relay: status offline, nothing pending toward a relay, synced() resolves', async () => {
    const p = await peer({ storage: ':memory:' });
    await (await p.space('team')).collection('notes').put('k', 1);
    expect(p.status).toBe('offline');
    await p.synced();
    await expect((await p.space('team')).remoteDigest()).rejects.toMatchObject({ code: 'E_CLOSED' });
  });

  it('close() flushes: a write issued just before close is durable', async () => {
    const path = await dir();
    const p = await createPeer({ storage: path });
    const notes = (await p.space('team')).collection('notes');
    void notes.put('last', 'written');
    await p.close();
    const again = await peer({ storage: path });
    expect((await again.space('team')).collection('notes').get('last')).toBe('written');
  });
});

describe('space.remoteDigest', () => {
  it('waits out a timeoutMs longer than 2^31−1 ms for a relay still connecting, instead of failing at once', async () => {
    const { createServer } = await import('node:net');
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const offline = await peer({ storage: ':memory:', relay: `ws://127.0.0.1:${port}`, transport: 'websocket' });
    const space = await offline.space('team');
    const outcome = await Promise.race([
      space.remoteDigest({ timeoutMs: 2 ** 31 + 1_000 }).then(
        () => 'answered',
        (error: unknown) => `failed: ${(error as Error).message}`,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 150)),
    ]);
    expect(outcome).toBe('still waiting');
  });
});
