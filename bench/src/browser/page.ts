/// <reference lib="dom" />
/**
 * The page script of the browser benchmark (`run.ts` bundles it with esbuild
 * for `platform: 'browser'` and drives it with playwright-core): every
 * measurement runs here, in a real Chromium page on its real IndexedDB. The
 * runner calls one scenario per page through `globalThis.softadastraBench`
 * and gets plain numbers back.
 *
 * @remarks
 * Ours is our engine on `@softadastra/wal-indexeddb` (W1, reopen) and the
 * SDK's `createPeer({ storage: { indexeddb } })` (durable writes per second);
 * theirs is Yjs with `y-indexeddb`. How each side's durability is awaited is
 * written beside each scenario; the README's "In the browser" section sums it
 * up. Nothing is verified inside a timed window; everything is verified
 * after it, and a scenario that finds a wrong state throws (the runner marks
 * the row failed).
 */
import { createPeer } from '@softadastra/sdk';
import type { Operation } from '@softadastra/sync-core';
import { createSyncEngine, type SyncEngine } from '@softadastra/sync-engine';
import { createBroadcastHub } from '@softadastra/transport-broadcast';
import { createIndexedDbWal } from '@softadastra/wal-indexeddb';
import { IndexeddbPersistence } from 'y-indexeddb';
import * as Y from 'yjs';
import type { Item, State } from '../compare/adapter.ts';
import { compareStates } from '../compare/same-state.ts';
import { itemStream } from '../compare/seeded-items.ts';

/** W1's parameters (the same seeded writes as the Node side-by-side benchmark's W1). */
export interface BulkParams {
  readonly ops: number;
  readonly keys: number;
  readonly batch: number;
  /** Unique per run: the databases and channel are named after it, so every run starts from nothing. */
  readonly tag: string;
}

export interface BulkResult {
  readonly writeMs: number;
  readonly syncMs: number;
  readonly totalMs: number;
}

export interface ReopenParams {
  /** Distinct keys the database holds (one set each). */
  readonly keys: number;
  readonly batch: number;
  readonly name: string;
}

export interface ReopenResult {
  readonly reopenMs: number;
  /** What the store held when it was reopened (records, rows). */
  readonly rows: number;
}

/**
 * Who holds the IndexedDB database of a tab writing with the SDK: `'own'`
 * gives every tab its own peer and database; `'shared'` makes every tab call
 * `createPeer({ storage: { indexeddb: SAME } })` — the shared-peer variant
 * (a leader tab holding the WAL, the others writing through it), which the
 * SDK does not do yet: today the second tab is refused (the WAL's Web Lock).
 */
export type TabStorage = 'own' | 'shared';

export interface WritesParams {
  readonly tab: number;
  /** `Date.now()` at which to start writing (the runner starts all tabs together). */
  readonly startAt: number;
  readonly durationMs: number;
  /** Keys the writes cycle through. */
  readonly keys: number;
  readonly tag: string;
}

export interface OurWritesParams extends WritesParams {
  readonly storage: TabStorage;
}

export interface YjsWritesParams extends WritesParams {
  /** The fence's durability: `'strict'` (flushed, as ours) or `'default'` (y-indexeddb as shipped: committed, not flushed). */
  readonly fence: 'strict' | 'default';
}

export interface WritesResult {
  readonly writes: number;
  /** From the first write's start to the last write's end. */
  readonly ms: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface BrowserBench {
  bulkOurs(params: BulkParams): Promise<BulkResult>;
  bulkYjs(params: BulkParams): Promise<BulkResult>;
  reopenSetupOurs(params: ReopenParams): Promise<{ writeMs: number }>;
  reopenSetupYjs(params: ReopenParams): Promise<{ writeMs: number }>;
  reopenOurs(params: ReopenParams): Promise<ReopenResult>;
  reopenYjs(params: ReopenParams): Promise<ReopenResult>;
  writesOurs(params: OurWritesParams): Promise<WritesResult>;
  writesYjs(params: YjsWritesParams): Promise<WritesResult>;
  environment(): { userAgent: string; crossOriginIsolated: boolean };
}

const SPACE = 'bench';
const COLLECTION = 'items';
const SYNC_TIMEOUT_MS = 10 * 60 * 1000;

/** The state `count` sets of `itemStream(seed, keys)` leave behind. */
function expectedState(seed: number, keys: number, count: number): State {
  const stream = itemStream(seed, keys);
  const state: State = {};
  for (let i = 0; i < count; i++) {
    const [key, value] = stream.next();
    state[key] = value;
  }
  return state;
}

/** The reopen scenario's contents: `keys` distinct keys, values from the seeded stream. */
function* distinctItems(keys: number): Generator<[string, Item]> {
  const stream = itemStream(7, 1);
  for (let i = 0; i < keys; i++) yield [`key-${i}`, stream.next()[1]];
}

function distinctState(keys: number): State {
  return Object.fromEntries(distinctItems(keys));
}

function check(what: string, actual: State, expected: State): void {
  const problem = compareStates(actual, expected);
  if (problem !== undefined) throw new Error(`${what}: ${problem}`);
}

const engineState = (engine: SyncEngine): State => Object.fromEntries(engine.entries(COLLECTION)) as State;

function openEngine(name: string, peerId: string): Promise<{ engine: SyncEngine; errors: string[] }> {
  const errors: string[] = [];
  return createSyncEngine({ wal: createIndexedDbWal({ name }), peerId, space: SPACE, onError: (error) => errors.push(`${error.code}: ${error.message}`) }).then((engine) => ({
    engine,
    errors,
  }));
}

function assertNoErrors(what: string, errors: readonly string[]): void {
  if (errors.length > 0) throw new Error(`${what} reported ${errors.length} error(s), first: ${errors[0]}`);
}

/** Resolves once `done()` holds: checked on the receiver's events and every millisecond (the browser may clamp it to 4 ms). */
function until(engine: SyncEngine, done: () => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (done()) {
      resolve();
      return;
    }
    const offs: Array<() => void> = [];
    const finish = (error?: Error): void => {
      for (const off of offs) off();
      clearInterval(poll);
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    const onEvent = (): void => {
      if (done()) finish();
    };
    offs.push(engine.on('status', onEvent), engine.on('ack', onEvent), engine.on('change', onEvent), engine.on('progress', onEvent));
    const poll = setInterval(onEvent, 1);
    const timer = setTimeout(() => finish(new Error(`timed out after ${SYNC_TIMEOUT_MS} ms waiting for ${what}`)), SYNC_TIMEOUT_MS);
  });
}

// ── y-indexeddb ────────────────────────────────────────────────────────────

/**
 * Waits until every update y-indexeddb has handed to IndexedDB so far is
 * committed, and (`'strict'`) flushed to disk.
 *
 * @remarks
 * y-indexeddb (9.0.12, `src/y-indexeddb.js`) writes each doc update in its
 * own `readwrite` transaction on its `updates` store, opened without a
 * durability hint — which Chromium treats as `'relaxed'` since version 121 —
 * and never tells anyone when it completes: `whenSynced` only means "the
 * stored updates are loaded". So the fence is a transaction of our own on
 * the same connection whose scope includes `updates` (IndexedDB runs
 * overlapping `readwrite` transactions in the order they were created, so
 * it cannot complete before any of them) and that writes one small value to
 * y-indexeddb's `custom` store (a transaction without a write may complete
 * without a flush). With `'strict'` its `complete` fires once the browser
 * flushed its log, which holds the earlier, relaxed transactions too.
 */
function yFence(persistence: IndexeddbPersistence, durability: 'strict' | 'default'): Promise<void> {
  const db = persistence.db;
  if (db === null) return Promise.reject(new Error(`y-indexeddb ${persistence.name} is not open yet (await whenSynced first)`));
  return new Promise((resolve, reject) => {
    const tx = db.transaction(['updates', 'custom'], 'readwrite', { durability });
    tx.objectStore('custom').put(performance.now(), 'softadastra-bench-fence');
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('the fence transaction aborted'));
  });
}

/** Rows in y-indexeddb's `updates` store (verification only). */
function yRows(persistence: IndexeddbPersistence): Promise<number> {
  const db = persistence.db;
  if (db === null) return Promise.reject(new Error(`y-indexeddb ${persistence.name} is not open`));
  return new Promise((resolve, reject) => {
    const request = db.transaction(['updates'], 'readonly').objectStore('updates').count();
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('count failed'));
  });
}

async function openYDoc(name: string, clientID: number): Promise<{ doc: Y.Doc; map: Y.Map<Item>; persistence: IndexeddbPersistence }> {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  const persistence = new IndexeddbPersistence(name, doc);
  // Updates made before the database is open are not stored one by one (y-indexeddb stores the whole state once it opens).
  await persistence.whenSynced;
  return { doc, map: doc.getMap<Item>(COLLECTION), persistence };
}

/** y-indexeddb's pending compaction timer (`_storeTimeoutId`: after 500 stored updates, 1 s after the last one). */
function yTrimPending(persistence: IndexeddbPersistence): boolean {
  return (persistence as unknown as { _storeTimeoutId: unknown })._storeTimeoutId !== null;
}

async function closeYDoc(persistence: IndexeddbPersistence, doc: Y.Doc): Promise<void> {
  await persistence.destroy();
  doc.destroy();
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function sleepUntil(at: number): Promise<void> {
  const wait = at - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/** Runs `write` back to back, each awaited, from `startAt` for `durationMs`. */
async function writeLoop(params: WritesParams, write: (key: string, value: Item) => Promise<void>): Promise<WritesResult & { last?: [string, Item] }> {
  const stream = itemStream(2000 + params.tab, params.keys);
  const latencies: number[] = [];
  await sleepUntil(params.startAt);
  const startedAt = Date.now();
  const started = performance.now();
  const end = started + params.durationMs;
  let last: [string, Item] | undefined;
  for (let now = started; now < end; ) {
    const [key, value] = stream.next();
    await write(key, value);
    const after = performance.now();
    latencies.push(after - now);
    now = after;
    last = [key, value];
  }
  const ms = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return { writes: latencies.length, ms, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), startedAt, endedAt: startedAt + ms, ...(last ? { last } : {}) };
}

const bench: BrowserBench = {
  /**
   * W1, ours: the engine on `wal-indexeddb` (one strict transaction per group
   * commit; `put()` resolves once it completed). A writes `ops` sets,
   * awaiting each group of `batch` puts; then a fresh B (its own, empty
   * database, created before the clock starts) syncs from A over
   * `transport-broadcast`, both hubs in this page on one `BroadcastChannel`
   * name (structured clone and an event-loop turn per message, as between
   * tabs). The sync ends when B's *durable* version vector covers A's.
   */
  async bulkOurs({ ops, keys, batch, tag }) {
    const a = await openEngine(`w1-ours-a-${tag}`, 'a');
    const b = await openEngine(`w1-ours-b-${tag}`, 'b');
    const stream = itemStream(1000, keys);
    const writeStarted = performance.now();
    for (let i = 0; i < ops; ) {
      const end = Math.min(ops, i + batch);
      const pending: Array<Promise<Operation>> = [];
      for (; i < end; i++) {
        const [key, value] = stream.next();
        pending.push(a.engine.put(COLLECTION, key, value));
      }
      await Promise.all(pending);
    }
    const writeMs = performance.now() - writeStarted;

    const channel = `w1-ours-${tag}`;
    const target = a.engine.versionVector();
    const syncStarted = performance.now();
    const hubA = createBroadcastHub({ channel, id: 'a' });
    const hubB = createBroadcastHub({ channel, id: 'b' });
    hubA.listen((connection) => a.engine.connect(connection));
    b.engine.connect(hubB.connect('a'));
    await until(b.engine, () => b.engine.versionVector().dominates(target), 'B to hold what A holds, durably');
    const syncMs = performance.now() - syncStarted;
    hubB.close();
    hubA.close();

    const expected = expectedState(1000, keys, ops);
    check('A does not hold what it wrote', engineState(a.engine), expected);
    check('B differs from A after the sync', engineState(b.engine), expected);
    assertNoErrors('A', a.errors);
    assertNoErrors('B', b.errors);
    await a.engine.close();
    await b.engine.close();
    return { writeMs, syncMs, totalMs: writeMs + syncMs };
  },

  /**
   * W1, Yjs + y-indexeddb: A's `Y.Map` gets the same sets, one `transact()`
   * per `batch` (so one y-indexeddb transaction each); the write phase ends
   * when a strict fence after the last one completes (see {@link yFence}).
   * Then a fresh B (a `Y.Doc` with its own y-indexeddb database, open before
   * the clock starts) syncs the way y-protocols does (B's state vector, A's
   * `encodeStateAsUpdate(doc, sv)`, B's `applyUpdate`), each message over a
   * `BroadcastChannel` in this page like ours; the sync ends when B's strict
   * fence after y-indexeddb stored the update completes.
   */
  async bulkYjs({ ops, keys, batch, tag }) {
    const a = await openYDoc(`w1-yjs-a-${tag}`, 1);
    const b = await openYDoc(`w1-yjs-b-${tag}`, 2);
    const stream = itemStream(1000, keys);
    const writeStarted = performance.now();
    for (let i = 0; i < ops; ) {
      const end = Math.min(ops, i + batch);
      a.doc.transact(() => {
        for (; i < end; i++) {
          const [key, value] = stream.next();
          a.map.set(key, value);
        }
      });
    }
    await yFence(a.persistence, 'strict');
    const writeMs = performance.now() - writeStarted;

    const channel = `w1-yjs-${tag}`;
    const atA = new BroadcastChannel(channel);
    const atB = new BroadcastChannel(channel);
    const syncStarted = performance.now();
    const received = new Promise<void>((resolve, reject) => {
      atA.onmessage = (event: MessageEvent<Uint8Array>) => atA.postMessage(Y.encodeStateAsUpdate(a.doc, event.data));
      atB.onmessage = (event: MessageEvent<Uint8Array>) => {
        Y.applyUpdate(b.doc, event.data);
        yFence(b.persistence, 'strict').then(resolve, reject);
      };
    });
    atB.postMessage(Y.encodeStateVector(b.doc));
    await received;
    const syncMs = performance.now() - syncStarted;
    atA.close();
    atB.close();

    const expected = expectedState(1000, keys, ops);
    check('A does not hold what it wrote', a.map.toJSON(), expected);
    check('B differs from A after the sync', b.map.toJSON(), expected);
    if (yTrimPending(a.persistence) || yTrimPending(b.persistence)) throw new Error('y-indexeddb still has a compaction pending: the fence did not cover all its writes');
    await closeYDoc(a.persistence, a.doc);
    await closeYDoc(b.persistence, b.doc);
    return { writeMs, syncMs, totalMs: writeMs + syncMs };
  },

  /** Fills the database the reopen scenario reopens: `keys` distinct keys, `batch` puts per group commit. */
  async reopenSetupOurs({ keys, batch, name }) {
    const { engine, errors } = await openEngine(name, 'r');
    const started = performance.now();
    let pending: Array<Promise<Operation>> = [];
    for (const [key, value] of distinctItems(keys)) {
      pending.push(engine.put(COLLECTION, key, value));
      if (pending.length === batch) {
        await Promise.all(pending);
        pending = [];
      }
    }
    await Promise.all(pending);
    const writeMs = performance.now() - started;
    assertNoErrors('the writer', errors);
    await engine.close();
    return { writeMs };
  },

  async reopenSetupYjs({ keys, batch, name }) {
    const { doc, map, persistence } = await openYDoc(name, 3);
    const started = performance.now();
    const items = [...distinctItems(keys)];
    for (let i = 0; i < items.length; i += batch) {
      doc.transact(() => {
        for (const [key, value] of items.slice(i, i + batch)) map.set(key, value);
      });
    }
    await yFence(persistence, 'strict');
    const writeMs = performance.now() - started;
    if (yTrimPending(persistence)) throw new Error('y-indexeddb has a compaction pending: use a larger batch');
    await closeYDoc(persistence, doc);
    return { writeMs };
  },

  /** Reopens the engine on the filled database, in a fresh page: open the WAL, replay snapshot and records, rebuild state, version vector and clock. */
  async reopenOurs({ keys, name }) {
    const started = performance.now();
    const { engine, errors } = await openEngine(name, 'r');
    const reopenMs = performance.now() - started;
    check('the reopened peer', engineState(engine), distinctState(keys));
    assertNoErrors('the reopened peer', errors);
    await engine.close();
    const rows = await idbRows(`${name}`, 'records');
    return { reopenMs, rows };
  },

  /** Reopens the same Y.Doc's database, in a fresh page: until `whenSynced` (every stored update applied). */
  async reopenYjs({ keys, name }) {
    const started = performance.now();
    const doc = new Y.Doc();
    const persistence = new IndexeddbPersistence(name, doc);
    await persistence.whenSynced;
    const reopenMs = performance.now() - started;
    check('the reopened doc', doc.getMap<Item>(COLLECTION).toJSON(), distinctState(keys));
    const rows = await yRows(persistence);
    await closeYDoc(persistence, doc);
    return { reopenMs, rows };
  },

  /**
   * Durable writes from this tab with the SDK: `await items.put(key, value)`
   * one after the other (the handle resolves once the write is in the WAL:
   * one strict IndexedDB transaction each, since nothing else is in flight
   * to share a group commit with). Afterwards the peer is closed and opened
   * again, and the last write must be there.
   */
  async writesOurs(params) {
    const name = params.storage === 'shared' ? `writes-${params.tag}` : `writes-${params.tag}-tab${params.tab}`;
    const peer = await createPeer({ storage: { indexeddb: name } });
    const items = (await peer.space(SPACE)).collection<Item>(COLLECTION);
    const result = await writeLoop(params, async (key, value) => {
      await items.put(key, value);
    });
    await peer.close();
    if (result.last !== undefined) {
      const again = await createPeer({ storage: { indexeddb: name } });
      const [key, value] = result.last;
      check('the reopened peer', { [key]: (await again.space(SPACE)).collection<Item>(COLLECTION).get(key)! }, { [key]: value });
      await again.close();
    }
    return result;
  },

  /**
   * Durable single-key writes with Yjs + y-indexeddb: `map.set(key, value)`
   * (one update, so one y-indexeddb transaction), then a fence after it
   * (see {@link yFence}), awaited before the next write. Afterwards the
   * `updates` store must hold one row per write (y-indexeddb's compaction
   * only runs 1 s after the last of 500+ updates, so not during the loop).
   */
  async writesYjs(params) {
    const { doc, map, persistence } = await openYDoc(`writes-yjs-${params.tag}-tab${params.tab}`, 10 + params.tab);
    const before = await yRows(persistence);
    const result = await writeLoop(params, async (key, value) => {
      map.set(key, value);
      await yFence(persistence, params.fence);
    });
    const rows = await yRows(persistence);
    if (rows !== before + result.writes) throw new Error(`y-indexeddb's store holds ${rows - before} new rows after ${result.writes} writes`);
    await closeYDoc(persistence, doc);
    return result;
  },

  environment: () => ({ userAgent: navigator.userAgent, crossOriginIsolated: globalThis.crossOriginIsolated }),
};

/** Rows in one object store of a database (verification and reporting only). */
function idbRows(name: string, store: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(name);
    open.onerror = () => reject(open.error ?? new Error(`could not open ${name}`));
    open.onsuccess = () => {
      const db = open.result;
      const request = db.transaction([store], 'readonly').objectStore(store).count();
      request.onsuccess = () => {
        db.close();
        resolve(request.result);
      };
      request.onerror = () => {
        db.close();
        reject(request.error ?? new Error('count failed'));
      };
    };
  });
}

(globalThis as unknown as { softadastraBench: BrowserBench }).softadastraBench = bench;
