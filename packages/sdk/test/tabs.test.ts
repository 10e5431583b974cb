import { IDBFactory } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { createPeer, type BrowserPeerOptions, type TabLocks } from '../src/browser.js';
import { startRelay, until } from './helpers.js';
import { isSyncError, type Peer } from '../src/index.js';

// Tabs of one site sharing one peer, in Node: each "tab" is a peer object with its own
// BroadcastChannel instances (Node's, which reach every other instance of the process), a
// lock manager standing in for navigator.locks (granted in request order, released when the tab
// closes or crashes), and its own handle on one fake-indexeddb factory (the site's storage).
// A crash cuts the tab off at once: its channels close and its locks go, with no close() and no flush.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Web Locks as a browser grants them: one holder per name, the others queued in order. */
class Locks {
  readonly #held = new Map<string, { tab: number; release: () => void }>();
  readonly #queues = new Map<string, Array<{ tab: number; grant: () => void }>>();

  forTab(tab: number): TabLocks & { crash(): void } {
    return {
      request: (name, callback) =>
        new Promise((resolve) => {
          const grant = (): void => {
            let released = false;
            const release = (): void => {
              if (released) return;
              released = true;
              if (this.#held.get(name)?.tab === tab) this.#held.delete(name);
              resolve(undefined);
              this.#next(name);
            };
            this.#held.set(name, { tab, release });
            callback({ name }).then(release, release);
          };
          const queue = this.#queues.get(name) ?? [];
          this.#queues.set(name, queue);
          queue.push({ tab, grant });
          if (!this.#held.has(name)) this.#next(name);
        }),
      crash: () => {
        for (const [name, queue] of this.#queues) this.#queues.set(name, queue.filter((entry) => entry.tab !== tab));
        for (const [, holder] of [...this.#held]) if (holder.tab === tab) holder.release();
      },
    };
  }

  #next(name: string): void {
    if (this.#held.has(name)) return;
    const next = this.#queues.get(name)?.shift();
    next?.grant();
  }
}

interface Tab {
  readonly peer: Peer;
  readonly number: number;
  /** The tab is killed: nothing more goes out of it or comes in, its locks are released. */
  crash(): void;
}

/** One site in one browser: its storage, its locks, its tabs. */
class Site {
  readonly indexedDB = new IDBFactory();
  readonly locks = new Locks();
  readonly name = `board-${Math.random().toString(36).slice(2, 8)}`;
  #tabs = 0;

  /**
   * @param onPost - sees every message the tab posts on its channels, with a way to kill the tab;
   * returning false drops the message
   */
  async open(options: Partial<BrowserPeerOptions> = {}, onPost?: (data: unknown, crash: () => void) => boolean): Promise<Tab> {
    const number = ++this.#tabs;
    const channels = new Set<BroadcastChannel>();
    let crashTab = (): void => undefined;
    class TabChannel extends BroadcastChannel {
      constructor(name: string) {
        super(name);
        channels.add(this);
      }
      override postMessage(message: unknown): void {
        if (onPost !== undefined && !onPost(message, () => crashTab())) return;
        super.postMessage(message);
      }
    }
    const locks = this.locks.forTab(number);
    // Each tab has its own handle on the site's storage (its own realm, in a browser). Killed, the
    // tab's transactions that have not committed are aborted and it can open no other.
    let crashed = false;
    const live = new Set<IDBTransaction>();
    const watch = (db: IDBDatabase): void => {
      const transaction = db.transaction.bind(db);
      db.transaction = ((...args: Parameters<IDBDatabase['transaction']>) => {
        if (crashed) throw new DOMException('the tab is gone', 'InvalidStateError');
        const tx = transaction(...args);
        live.add(tx);
        const done = (): boolean => live.delete(tx);
        tx.addEventListener('complete', done);
        tx.addEventListener('abort', done);
        return tx;
      });
    };
    const site = this.indexedDB;
    const indexedDB = new Proxy(site, {
      get: (target, key) => {
        if (key === 'open') {
          return (name: string, version?: number) => {
            if (crashed) throw new DOMException('the tab is gone', 'InvalidStateError');
            const request = target.open(name, version);
            request.addEventListener('success', () => watch(request.result));
            return request;
          };
        }
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const errors: unknown[] = [];
    const peer = await createPeer({
      storage: { indexeddb: this.name, indexedDB },
      tabs: { locks, BroadcastChannel: TabChannel, heartbeatMs: 100, timeoutMs: 300 },
      onError: (error) => errors.push(error),
      ...options,
    });
    const crash = (): void => {
      crashed = true;
      for (const tx of live) {
        try {
          tx.abort();
        } catch {
          // committing already: it is durable
        }
      }
      for (const channel of channels) channel.close();
      locks.crash();
    };
    crashTab = crash;
    cleanups.push(async () => {
      if (!crashed) await peer.close();
    });
    return { peer, number, crash };
  }
}

describe('tabs of one site share one peer', () => {
  it('one tab leads, the others follow; all have one peer id, and every write is seen in every tab', async () => {
    const site = new Site();
    const a = await site.open();
    const b = await site.open();
    const c = await site.open();
    expect([a.peer.role, b.peer.role, c.peer.role]).toEqual(['leader', 'follower', 'follower']);
    expect(new Set([a.peer.id, b.peer.id, c.peer.id]).size).toBe(1);

    const tasks = await Promise.all([a, b, c].map(async (tab) => (await tab.peer.space('team')).collection<string>('tasks')));
    const seenInA: string[] = [];
    tasks[0]!.subscribe((changes) => seenInA.push(...changes.map((change) => `${change.key}:${change.source}`)));

    // A follower's write resolves with an op of the shared peer, and its own tab reads it at once.
    const op = await tasks[1]!.put('from-b', 'milk');
    expect(op.origin).toBe(a.peer.id);
    expect(tasks[1]!.get('from-b')).toBe('milk');
    await tasks[0]!.put('from-a', 'eggs');
    await tasks[2]!.delete('from-b');
    for (const view of tasks) await until(() => view.get('from-a') === 'eggs' && !view.has('from-b'), 'every tab sees every write');
    // Writes of any tab are this peer's own: 'local' everywhere.
    expect(seenInA).toEqual(['from-b:local', 'from-a:local', 'from-b:local']);

    // A tab opened later reads the data as soon as its space is open, like a local store.
    for (let i = 0; i < 200; i++) await tasks[0]!.put(`more-${i}`, `v${i}`);
    const late = await site.open();
    const lateTasks = (await late.peer.space('team')).collection<string>('tasks');
    expect(late.peer.role).toBe('follower');
    expect(lateTasks.size).toBe(201);
    expect(lateTasks.get('more-199')).toBe('v199');
  });

  it('a follower write resolves only once durable: killed right after, the storage has it', async () => {
    const site = new Site();
    const leader = await site.open();
    const follower = await site.open();
    const tasks = (await follower.peer.space('team')).collection<number>('tasks');
    for (let i = 0; i < 20; i++) await tasks.put(`t${i}`, i);
    // Both tabs die at once, with no close() and no flush.
    leader.crash();
    follower.crash();
    const reopened = await site.open({ tabs: false });
    const again = (await reopened.peer.space('team')).collection<number>('tasks');
    expect(again.size).toBe(20);
    expect(again.get('t19')).toBe(19);
  });

  it('when the leader is killed, a follower leads within a second; writes waiting meanwhile resolve; nothing resolved is lost', async () => {
    const site = new Site();
    const leader = await site.open();
    const follower = await site.open();
    const third = await site.open();
    const views = await Promise.all([leader, follower, third].map(async (tab) => (await tab.peer.space('team')).collection<number>('tasks')));
    for (let i = 0; i < 10; i++) await views[i % 3]!.put(`before-${i}`, i);

    const led = new Promise<number>((resolve) => {
      for (const tab of [follower, third]) tab.peer.on('role', () => resolve(Date.now()));
    });
    const killedAt = Date.now();
    leader.crash();
    // Written with no leader: they wait, then go to whoever takes over.
    const during = [views[1]!.put('during-1', 1), views[2]!.put('during-2', 2)];
    const tookOverAt = await led;
    expect(tookOverAt - killedAt).toBeLessThan(1_000);
    await Promise.all(during);
    const roles = [follower.peer.role, third.peer.role].sort();
    expect(roles).toEqual(['follower', 'leader']);
    for (const view of [views[1]!, views[2]!]) {
      await until(() => view.size === 12, 'both remaining tabs hold all 12 writes');
      for (let i = 0; i < 10; i++) expect(view.get(`before-${i}`)).toBe(i);
    }
    // And the new leader's engine replayed them from the storage, not from its replica alone.
    const newLeader = follower.peer.role === 'leader' ? follower : third;
    const space = await newLeader.peer.space('team');
    expect(space.engine.peerId).toBe(newLeader.peer.id);
    expect(space.engine.entries('tasks')).toHaveLength(12);
  });

  it('three tabs write at once while the leader is killed mid-stream: every resolved write survives, every tab converges', async () => {
    const site = new Site();
    const tabs = [await site.open(), await site.open(), await site.open()];
    const views = await Promise.all(tabs.map(async (tab) => (await tab.peer.space('team')).collection<number>('tasks')));
    const resolved = new Map<string, number>();
    const writers = views.map(async (view, t) => {
      for (let i = 0; i < 60; i++) {
        if (t === 0 && i === 20) tabs[0]!.crash();
        if (t === 0 && i >= 20) return;
        const key = `tab${t}-${i}`;
        await view.put(key, i);
        resolved.set(key, i);
      }
    });
    await Promise.all(writers);
    expect(resolved.size).toBe(20 + 60 + 60);
    for (const view of views.slice(1)) await until(() => view.size === resolved.size, 'the two remaining tabs hold every resolved write');
    for (const [key, value] of resolved) for (const view of views.slice(1)) expect(view.get(key)).toBe(value);
    const [one, two] = await Promise.all(tabs.slice(1).map((tab) => tab.peer.space('team')));
    expect(one!.digest().root).toBe(two!.digest().root);
  });

  it('one relay connection for all tabs: followers see the status, pending count and relay acks of their writes', async () => {
    const relay = await startRelay();
    const site = new Site();
    const a = await site.open({ relay: relay.url, transport: 'websocket' });
    const b = await site.open({ relay: relay.url, transport: 'websocket' });
    const c = await site.open({ relay: relay.url, transport: 'websocket' });
    const views = await Promise.all([a, b, c].map(async (tab) => (await tab.peer.space('team')).collection<number>('tasks')));
    await until(() => [a, b, c].every((tab) => tab.peer.status === 'synced'), 'every tab synced before any write');
    const write = views[2]!.put('on-the-relay', 1);
    const op = await write.acked;
    expect(relay.engine.versionVector().has(op)).toBe(true);
    await until(() => relay.engine.sessions().length === 1 && [a, b, c].every((tab) => tab.peer.status === 'synced' && tab.peer.pending() === 0), 'every tab synced, nothing pending');
    expect(relay.engine.sessions()).toHaveLength(1);
    const space = await c.peer.space('team');
    expect(space.isAcked(op)).toBe(true);

    // Offline from a follower takes the shared peer offline; writes wait, then reach the relay.
    // A tab opened now, with nothing written, learns the state at once.
    const d = await site.open({ relay: relay.url, transport: 'websocket' });
    await d.peer.space('team');
    await until(() => d.peer.status === 'synced', 'the late tab shows synced');

    b.peer.offline();
    await until(() => relay.engine.sessions().length === 0, 'the relay session closed');
    // Offline means no relay, whatever the sessions between tabs are doing.
    await until(() => [a, b, c, d].every((tab) => tab.peer.status === 'offline'), 'every tab shows offline');
    const pendingSeen: number[] = [];
    c.peer.on('pending', (count) => pendingSeen.push(count));
    const offline = await views[1]!.put('offline', 2);
    await until(() => c.peer.pending() === 1, 'the write counted as pending in another tab');
    b.peer.online();
    await views[1]!.put('online', 3).acked;
    // That tab was told as the count went up, and back to 0 once the relay had them.
    await until(() => pendingSeen.at(-1) === 0, 'the pending event says 0 again in the other tab');
    expect(pendingSeen[0]).toBe(1);
    expect(relay.engine.versionVector().has(offline)).toBe(true);
  });

  it('bad input from a follower is refused with a typed error at once, and nothing is written', async () => {
    const site = new Site();
    const leader = await site.open();
    const follower = await site.open();
    const tasks = (await follower.peer.space('team')).collection('tasks');
    expect(() => tasks.put('', 1)).toThrow(expect.objectContaining({ code: 'E_INVALID_KEY' }) as Error);
    expect(() => tasks.put('k', Number.NaN)).toThrow(expect.objectContaining({ code: 'E_INVALID_VALUE' }) as Error);
    const space = await follower.peer.space('team');
    expect(() => space.connect({} as never)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }) as Error);
    await expect(follower.peer.space('../bad')).rejects.toSatisfy(isSyncError);
    expect((await leader.peer.space('team')).engine.entries('tasks')).toEqual([]);
  });

  it('a follower increments a counter: the leader computes it from its own state, the leader and every tab see the total', async () => {
    const site = new Site();
    const a = await site.open();
    const b = await site.open();
    const c = await site.open();
    const [votesB, votesC] = await Promise.all([b, c].map(async (tab) => (await tab.peer.space('team')).collection('votes', { type: 'counter' })));
    // Concurrent increments from two followers: each computed by the leader on its state, none lost.
    const writes = [];
    for (let i = 0; i < 20; i++) writes.push(votesB!.increment('up'), votesC!.increment('up', 2));
    const ops = await Promise.all(writes);
    expect(ops.every((op) => op.origin === a.peer.id && op.kind === 'put' && op.type === 'counter')).toBe(true);
    // Read your own write in the follower's tab, at once.
    expect(votesB!.get('up')).toBeGreaterThanOrEqual(1);
    // The declaration reached the leader's engine before it applied the updates; the leader never opened the collection.
    const leaderSpace = await a.peer.space('team');
    expect(leaderSpace.engine.policyOf('votes')).toBe('counter');
    expect(leaderSpace.engine.get('votes', 'up')).toBe(60);
    const votesA = leaderSpace.collection('votes', { type: 'counter' });
    for (const view of [votesA, votesB!, votesC!]) await until(() => view.get('up') === 60, 'every tab shows 20 × 1 + 20 × 2');
    // A set, an mv register and a map written from a follower too.
    const spaceB = await b.peer.space('team');
    const tags = spaceB.collection<string>('tags', { type: 'set' });
    await tags.add('post', 'red');
    await tags.add('post', 'blue');
    await tags.remove('post', 'red');
    expect(tags.values('post')).toEqual(['blue']);
    await spaceB.collection('title', { type: 'mv' }).put('doc', 'hello');
    await spaceB.collection('cards', { type: 'map' }).set('c1', { title: 't', done: false });
    const spaceC = await c.peer.space('team');
    await until(() => spaceC.collection('cards', { type: 'map' }).get('c1')?.title === 't', 'the map reaches the other follower');
    expect(spaceC.collection<string>('tags', { type: 'set' }).values('post')).toEqual(['blue']);
    expect(spaceC.collection('title', { type: 'mv' }).get('doc')).toBe('hello');
    // Bad input is refused in the follower, synchronously.
    expect(() => votesB!.increment('up', 0)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }) as Error);
    expect(() => spaceB.collection('votes', { type: 'set' })).toThrow(expect.objectContaining({ code: 'E_POLICY' }) as Error);
  });

  it('the leader dies after making a typed write durable but before answering: E_CLOSED, never applied twice; a pending put is resent', async () => {
    const site = new Site();
    let armed = false;
    const leader = await site.open({}, (data, crash) => {
      const message = data as { t?: string; result?: { type?: string } };
      if (!armed || message.t !== 'res' || message.result?.type !== 'counter') return true;
      // The increment is durable (the answer is posted only then): die before the follower hears it.
      armed = false;
      crash();
      return false;
    });
    const follower = await site.open();
    const third = await site.open();
    const space = await follower.peer.space('team');
    await third.peer.space('team');
    const votes = space.collection('votes', { type: 'counter' });
    const tasks = space.collection<string>('tasks');
    await votes.increment('up');
    armed = true;
    const put = tasks.put('t1', 'kept');
    const increment = votes.increment('up');
    const outcome = await increment.then(
      () => 'resolved',
      (error: unknown) => (isSyncError(error) ? `${error.code}: ${error.message}` : String(error)),
    );
    expect(outcome).toMatch(/^E_CLOSED: the leader tab closed before confirming the counter write to votes\/up: it may or may not have been applied/);
    // The LWW put is sent again to the new leader and resolves, as before.
    await put;
    await until(() => [follower, third].some((tab) => tab.peer.role === 'leader'), 'a new leader');
    const views = await Promise.all([follower, third].map(async (tab) => (await tab.peer.space('team')).collection('votes', { type: 'counter' })));
    for (const view of views) await until(() => view.get('up') === 2, 'both tabs show the durable increment, once');
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const view of views) expect(view.get('up')).toBe(2);
    const newLeader = follower.peer.role === 'leader' ? follower : third;
    expect((await newLeader.peer.space('team')).engine.get('votes', 'up')).toBe(2);
    expect(leader.peer.role).toBe('leader'); // the dead tab never learnt otherwise
  });
});
