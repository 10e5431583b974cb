import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { createPeer as createBrowserPeer } from '../src/browser.js';
import { createPeer, generatePeerId, isSyncError, type Peer } from '../src/index.js';

// `{ indexeddb: name }` storage through the real IndexedDB WAL, on fake-indexeddb in Node (the
// browser suite runs it on Chromium's): what resolved is there after a restart, under the same id.

interface Task {
  title: string;
  done: boolean;
}

async function closed<T>(peer: Peer, body: (peer: Peer) => Promise<T>): Promise<T> {
  try {
    return await body(peer);
  } finally {
    await peer.close();
  }
}

describe('{ indexeddb: name } storage', () => {
  it('keeps every resolved write and the peer id across a restart, in either entry point', async () => {
    const indexedDB = new IDBFactory();
    const first = await createBrowserPeer({ storage: { indexeddb: 'tasks', indexedDB } });
    const id = first.id;
    await closed(first, async (peer) => {
      const tasks = (await peer.space('team')).collection<Task>('tasks');
      await Promise.all(Array.from({ length: 50 }, (_, i) => tasks.put(`t${i}`, { title: `task ${i}`, done: i % 2 === 0 })));
      await tasks.delete('t7');
    });
    await closed(await createPeer({ storage: { indexeddb: 'tasks', indexedDB } }), async (peer) => {
      expect(peer.id).toBe(id);
      const tasks = (await peer.space('team')).collection<Task>('tasks');
      expect(tasks.size).toBe(49);
      expect(tasks.get('t8')).toEqual({ title: 'task 8', done: true });
      expect(tasks.has('t7')).toBe(false);
      const op = await tasks.put('t50', { title: 'after the restart', done: false });
      expect(op.origin).toBe(id);
      expect(op.seq).toBe(52);
    });
  });

  it('keeps spaces apart, each in its own database', async () => {
    const indexedDB = new IDBFactory();
    await closed(await createBrowserPeer({ storage: { indexeddb: 'app', indexedDB } }), async (peer) => {
      await (await peer.space('one')).collection('c').put('k', 1);
      await (await peer.space('two')).collection('c').put('k', 2);
    });
    const names = (await indexedDB.databases()).map((db) => db.name).sort();
    expect(names).toEqual(['app', 'app/one', 'app/two']);
    await closed(await createBrowserPeer({ storage: { indexeddb: 'app', indexedDB } }), async (peer) => {
      expect((await peer.space('one')).collection('c').get('k')).toBe(1);
      expect((await peer.space('two')).collection('c').get('k')).toBe(2);
    });
  });

  it('agrees on one peer id when two tabs create the storage at once', async () => {
    const indexedDB = new IDBFactory();
    const peers = await Promise.all([createBrowserPeer({ storage: { indexeddb: 'race', indexedDB } }), createBrowserPeer({ storage: { indexeddb: 'race', indexedDB } })]);
    expect(peers[0].id).toBe(peers[1].id);
    await Promise.all(peers.map((peer) => peer.close()));
  });

  it('refuses a peerId that is not the stored one, and bad names, with E_INVALID_ARGUMENT', async () => {
    const indexedDB = new IDBFactory();
    const peer = await createBrowserPeer({ storage: { indexeddb: 'mine', indexedDB } });
    await peer.close();
    for (const attempt of [
      () => createBrowserPeer({ storage: { indexeddb: 'mine', indexedDB }, peerId: generatePeerId() }),
      () => createBrowserPeer({ storage: { indexeddb: '', indexedDB } }),
      () => createBrowserPeer({ storage: { indexeddb: '../x', indexedDB } }),
    ]) {
      const error: unknown = await attempt().catch((caught: unknown) => caught);
      expect(isSyncError(error) && error.code, String(error)).toBe('E_INVALID_ARGUMENT');
    }
  });

  it('says what to do where there is no IndexedDB, and the browser entry refuses Node storage', async () => {
    const missing: unknown = await createPeer({ storage: { indexeddb: 'x' } }).catch((caught: unknown) => caught);
    expect(isSyncError(missing) && missing.code).toBe('E_INVALID_ARGUMENT');
    expect(String(missing)).toMatch(/fake-indexeddb|browser/);
    for (const storage of ['./data', { sqlite: './data' }]) {
      const error: unknown = await createBrowserPeer({ storage }).catch((caught: unknown) => caught);
      expect(isSyncError(error) && error.code).toBe('E_INVALID_ARGUMENT');
      expect(String(error)).toMatch(/needs Node/);
    }
  });
});
