/**
 * The page script of the browser test (test/browser.integration.test.ts):
 * bundled by esbuild for the browser and run in Chromium. A real sync engine
 * with an in-memory WAL, syncing over the real client of this package on the
 * platform `WebSocket`. The test drives it through `globalThis.softadastraPeer`
 * with `page.evaluate`.
 */
import type { JsonValue, VersionVectorJson } from '@softadastra/sync-core';
import { createSyncEngine, type SyncEngine } from '@softadastra/sync-engine';
import { createWebSocketTransport, type WebSocketConnection } from '@softadastra/transport-websocket';
import { createMemoryWal } from '@softadastra/wal-memory';

/** What the page reports back to the test (plain JSON). */
export interface PeerReport {
  readonly peerId: string;
  /** The engine's aggregate status. */
  readonly status: string;
  /** The client connection's state; `'none'` before `connect()`. */
  readonly connection: string;
  readonly root: string;
  readonly count: number;
  readonly vv: VersionVectorJson;
  /** Every collection's entries, collections and keys sorted. */
  readonly entries: Record<string, Array<[string, JsonValue]>>;
  /** How many times the client connection emitted `open`. */
  readonly opens: number;
  /** Every `close` the client connection emitted. */
  readonly closes: Array<{ code: number; reason: string; final: boolean }>;
  /** Errors from the engine and the connection, as "source: code message". */
  readonly errors: string[];
}

/** What the page exposes as `globalThis.softadastraPeer`. */
export interface BrowserPeer {
  /** Opens the engine (no connection yet). */
  open(peerId: string): Promise<void>;
  /** Connects the engine to `url` with the package's client, presenting `token`. */
  connect(url: string, token: string): void;
  put(collection: string, key: string, value: JsonValue): Promise<void>;
  /** Writes every entry at once (concurrent puts). */
  putAll(collection: string, entries: Array<[string, JsonValue]>): Promise<void>;
  remove(collection: string, key: string): Promise<void>;
  report(): PeerReport;
  close(): Promise<void>;
}

const timing = { resendMs: 200, gapMs: 300, maxBackoffMs: 1_000, coveredDelayMs: 20 };

let engine: SyncEngine | undefined;
let connection: WebSocketConnection | undefined;
let opens = 0;
const closes: Array<{ code: number; reason: string; final: boolean }> = [];
const errors: string[] = [];

function opened(): SyncEngine {
  if (engine === undefined) throw new Error('softadastraPeer.open() first');
  return engine;
}

const peer: BrowserPeer = {
  async open(peerId) {
    engine = await createSyncEngine({ wal: createMemoryWal(), peerId, timing, compaction: false });
    engine.on('error', (error) => errors.push(`engine: ${error.code} ${error.message}`));
  },
  connect(url, token) {
    const client = createWebSocketTransport({ url, token, reconnect: { baseMs: 50, maxMs: 500 }, heartbeatMs: 2_000 });
    client.on('open', () => opens++);
    client.on('close', (info) => closes.push({ code: info.code, reason: info.reason, final: info.final }));
    client.on('error', (error) => errors.push(`connection: ${error.code} ${error.message}`));
    connection = client;
    opened().connect(client);
  },
  async put(collection, key, value) {
    await opened().put(collection, key, value);
  },
  async putAll(collection, entries) {
    const current = opened();
    await Promise.all(entries.map(([key, value]) => current.put(collection, key, value)));
  },
  async remove(collection, key) {
    await opened().delete(collection, key);
  },
  report() {
    const current = opened();
    const digest = current.digest();
    const entries: Record<string, Array<[string, JsonValue]>> = {};
    for (const name of current.collections().sort()) {
      entries[name] = current.entries(name).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    }
    return {
      peerId: current.peerId,
      status: current.status,
      connection: connection?.state ?? 'none',
      root: digest.root,
      count: digest.count,
      vv: current.versionVector().toJSON(),
      entries,
      opens,
      closes: [...closes],
      errors: [...errors],
    };
  },
  async close() {
    await engine?.close();
  },
};

(globalThis as unknown as { softadastraPeer: BrowserPeer }).softadastraPeer = peer;
