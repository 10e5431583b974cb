/**
 * The page script of the cross-tab test (test/browser.integration.test.ts): one tab with a sync
 * engine on an in-memory WAL and a broadcast hub. The leader tab listens; a follower tab connects
 * its engine to the leader's. Driven through `globalThis.softadastraTab` with `page.evaluate`.
 */
import type { JsonValue, VersionVectorJson } from '@softadastra/sync-core';
import { createSyncEngine, type SyncEngine } from '@softadastra/sync-engine';
import { createBroadcastHub, type BroadcastConnection, type BroadcastHub } from '@softadastra/transport-broadcast';
import { createMemoryWal } from '@softadastra/wal-memory';

export interface TabReport {
  readonly status: string;
  readonly root: string;
  readonly vv: VersionVectorJson;
  readonly entries: Record<string, Array<[string, JsonValue]>>;
  /** The state of every connection this tab made or accepted. */
  readonly connections: string[];
  readonly opens: number;
  /** Every close, with the time (performance.now()) it was seen. */
  readonly closes: Array<{ code: number; reason: string; final: boolean; at: number }>;
  readonly errors: string[];
}

export interface BrowserTab {
  open(peerId: string, channel: string, liveness: { heartbeatMs: number; timeoutMs: number }): Promise<void>;
  lead(): void;
  follow(leaderId: string): void;
  put(collection: string, key: string, value: JsonValue): Promise<void>;
  report(): TabReport;
  now(): number;
}

const timing = { resendMs: 200, gapMs: 300, maxBackoffMs: 1_000, coveredDelayMs: 20 };
let engine: SyncEngine | undefined;
let hub: BroadcastHub | undefined;
const connections: BroadcastConnection[] = [];
let opens = 0;
const closes: TabReport['closes'] = [];
const errors: string[] = [];

function ready(): { engine: SyncEngine; hub: BroadcastHub } {
  if (engine === undefined || hub === undefined) throw new Error('softadastraTab.open() first');
  return { engine, hub };
}

function track(connection: BroadcastConnection): void {
  connections.push(connection);
  connection.on('open', () => opens++);
  connection.on('close', (info) => closes.push({ code: info.code, reason: info.reason, final: info.final, at: performance.now() }));
  connection.on('error', (error) => errors.push(`connection: ${error.code} ${error.message}`));
}

const tab: BrowserTab = {
  async open(peerId, channel, liveness) {
    engine = await createSyncEngine({ wal: createMemoryWal(), peerId, timing, compaction: false });
    engine.on('error', (error) => errors.push(`engine: ${error.code} ${error.message}`));
    hub = createBroadcastHub({ channel, id: peerId, ...liveness });
    hub.on('error', (error) => errors.push(`hub: ${error.code} ${error.message}`));
  },
  lead() {
    const { engine: e, hub: h } = ready();
    h.listen((connection) => {
      track(connection);
      e.connect(connection);
    });
  },
  follow(leaderId) {
    const { engine: e, hub: h } = ready();
    const connection = h.connect(leaderId);
    track(connection);
    e.connect(connection);
  },
  async put(collection, key, value) {
    await ready().engine.put(collection, key, value);
  },
  report() {
    const e = ready().engine;
    const entries: Record<string, Array<[string, JsonValue]>> = {};
    for (const name of e.collections().sort()) entries[name] = e.entries(name).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      status: e.status,
      root: e.digest().root,
      vv: e.versionVector().toJSON(),
      entries,
      connections: connections.map((c) => c.state),
      opens,
      closes: [...closes],
      errors: [...errors],
    };
  },
  now: () => performance.now(),
};

(globalThis as unknown as { softadastraTab: BrowserTab }).softadastraTab = tab;
