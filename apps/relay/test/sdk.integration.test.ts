import { afterEach, describe, expect, it } from 'vitest';
import { createPeer, type Peer, type SyncStatus } from '@softadastra/sdk';
import { createRelay, signToken, type Relay } from '../src/index.js';
import { eventually, tempDir } from './helpers.js';

// The SDK's presets against a real relay (here, because packages may not depend on apps).
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function relay(secret?: string): Promise<Relay> {
  const { dir, cleanup } = await tempDir();
  const started = await createRelay({ dataDir: dir, port: 0, logger: false, ...(secret ? { secret } : {}) });
  cleanups.push(async () => {
    await started.close();
    await cleanup();
  });
  return started;
}

async function peer(options: Parameters<typeof createPeer>[0]): Promise<Peer> {
  const created = await createPeer(options);
  cleanups.push(() => created.close());
  return created;
}

describe('the SDK through a real relay', () => {
  it('goes connecting → syncing → synced, resolves acked and synced(), and counts pending writes', async () => {
    const server = await relay();
    const a = await peer({ storage: ':memory:', relay: server.url });
    const statuses: SyncStatus[] = [];
    a.on('status', (status) => statuses.push(status));
    const notes = (await a.space('team')).collection('notes');
    const write = notes.put('k', 'hello');
    await write.durable;
    await write.acked;
    await a.synced();
    expect(a.pending()).toBe(0);
    expect(a.status).toBe('synced');
    expect(statuses).toContain('synced');
    const b = await peer({ storage: ':memory:', relay: server.url });
    const seen = (await b.space('team')).collection('notes');
    await eventually(() => seen.get('k') === 'hello', 'b receives the write');
  });

  it('keeps writing offline, counts them pending, and delivers them once online', async () => {
    const server = await relay();
    const a = await peer({ storage: ':memory:', relay: server.url });
    const b = await peer({ storage: ':memory:', relay: server.url });
    const notesA = (await a.space('team')).collection('notes');
    const notesB = (await b.space('team')).collection('notes');
    await a.synced();
    a.offline();
    for (let i = 0; i < 20; i++) await notesA.put(`offline-${i}`, i);
    expect(a.pending()).toBe(20);
    expect(a.status).toBe('offline');
    a.online();
    await a.synced();
    expect(a.pending()).toBe(0);
    await eventually(() => notesB.size === 20, 'b gets the offline writes');
  });

  it('after an offline restart, pending() and isAcked() know what the relay acked before, without reconnecting (issue 12, item 10)', async () => {
    const server = await relay();
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const first = await createPeer({ storage: dir, relay: server.url });
    const notes = (await first.space('team')).collection('notes');
    const ops = [];
    for (let i = 0; i < 10; i++) ops.push(await notes.put(`k${i}`, i));
    await first.synced();
    expect(first.pending()).toBe(0);
    await first.close();
    // Back without the relay: nothing can be asked of it.
    const again = await peer({ storage: dir });
    const space = await again.space('team');
    expect(again.pending()).toBe(0);
    for (const op of ops) expect(space.isAcked(op)).toBe(true);
    const later = await space.collection('notes').put('offline', 1);
    expect(again.pending()).toBe(1);
    expect(space.isAcked(later)).toBe(false);
  });

  it('reports where a peer differs from the relay, with the exact keys', async () => {
    const server = await relay();
    const a = await peer({ storage: ':memory:', relay: server.url });
    const space = await a.space('team');
    await space.collection('notes').put('shared', 1);
    await a.synced();
    expect(space.diff(await space.remoteDigest()).equal).toBe(true);
    a.offline();
    await space.collection('notes').put('only-here', 2);
    a.online();
    const remote = await space.remoteDigest({ leaves: true });
    const diff = space.diff(remote);
    // Either the relay already has it (equal), or the diff names exactly that key.
    expect(diff.equal || (diff.keys?.length === 1 && diff.keys[0]!.key === 'only-here')).toBe(true);
  });

  it('syncs over HTTP long polling when asked to, and with a token', async () => {
    const server = await relay('secret');
    const token = signToken({ sub: 'alice', spaces: ['team'], rights: 'write', exp: Math.floor(Date.now() / 1000) + 3600 }, 'secret');
    const a = await peer({ storage: ':memory:', relay: server.url, transport: 'http', peerId: 'alice', token });
    const write = (await a.space('team')).collection('notes').put('k', 'over http');
    await write.acked;
    const bobToken = signToken({ sub: 'bob', spaces: ['team'], rights: 'read', exp: Math.floor(Date.now() / 1000) + 3600 }, 'secret');
    const b = await peer({ storage: ':memory:', relay: server.url, peerId: 'bob', token: bobToken });
    const notes = (await b.space('team')).collection('notes');
    await eventually(() => notes.get('k') === 'over http', 'b reads it over WebSocket');
  });
});

describe('metadata collection through a real relay', () => {
  it('collects a set remove and brings a client back from past the horizon with a snapshot: it keeps its offline add and does not bring back what was removed', async () => {
    const { dir, cleanup } = await tempDir();
    const server = await createRelay({ dataDir: dir, port: 0, logger: false, gc: { horizonMs: 1_500, intervalMs: 100 } });
    cleanups.push(async () => {
      await server.close();
      await cleanup();
    });
    const a = await peer({ storage: ':memory:', relay: server.url });
    const c = await peer({ storage: ':memory:', relay: server.url });
    const tagsA = (await a.space('team')).collection<string>('tags', { type: 'set' });
    const tagsC = (await c.space('team')).collection<string>('tags', { type: 'set' });
    const resets: string[] = [];
    c.on('error', (error) => {
      if (error.code === 'E_HORIZON') resets.push(error.message);
    });
    await tagsA.add('post', 'red');
    await eventually(() => tagsC.has('post', 'red'), 'c sees red');
    c.offline();
    await tagsC.add('post', 'green');
    await tagsA.remove('post', 'red');
    // Past the horizon (and a collection after it), c no longer counts: the remove is collected.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(tagsC.values('post')).toEqual(['green', 'red']);
    c.online();
    await eventually(() => JSON.stringify(tagsC.values('post')) === '["green"]' && JSON.stringify(tagsA.values('post')) === '["green"]', 'both show green alone');
    expect(resets.some((message) => message.includes("took the authority's snapshot"))).toBe(true);
  });
});
