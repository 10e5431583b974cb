import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createHttpTransportServer,
  createMemoryWal,
  createPeer,
  createSyncEngine,
  createWebSocketServer,
  type Peer,
  type PeerOptions,
  type SyncEngine,
} from '../src/index.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const timing = { resendMs: 200, gapMs: 300, maxBackoffMs: 1_000, coveredDelayMs: 20 };

/** A relay on a real loopback port: a sync engine behind the WebSocket and HTTP transports, at the paths the SDK dials. */
interface TestRelay {
  readonly engine: SyncEngine;
  /** What a peer's `relay` option names, e.g. `ws://127.0.0.1:1234`. */
  readonly url: string;
  readonly http: Server;
}

async function startRelay(peerId: string): Promise<TestRelay> {
  const engine = await createSyncEngine({ wal: createMemoryWal(), peerId, space: 'team', timing, compaction: false });
  const httpTransport = createHttpTransportServer({ pollTimeoutMs: 1_000 });
  const http = createServer((request, response) => {
    if (httpTransport.handle(request, response, '/v1/spaces/team/http')) return;
    response.writeHead(404);
    response.end();
  });
  const ws = createWebSocketServer({ server: http, path: '/v1/spaces/team', heartbeatMs: 1_000 });
  const serve = (connection: Parameters<SyncEngine['connect']>[0]) => engine.connect(connection, { trustCovered: 'own-origin' });
  ws.on('connection', serve);
  httpTransport.on('connection', serve);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  cleanups.push(async () => {
    await ws.close();
    await httpTransport.close();
    const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
    http.closeAllConnections();
    await stopped;
    await engine.close();
  });
  return { engine, url: `ws://127.0.0.1:${port}`, http };
}

async function peer(options: Omit<PeerOptions, 'storage'>): Promise<Peer> {
  const created = await createPeer({ storage: ':memory:', ...options });
  cleanups.push(() => created.close());
  return created;
}

async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Whether `engine` holds seqs 1..n of `origin`. */
const holds = (engine: SyncEngine, origin: string, n: number): boolean => Array.from({ length: n }, (_, i) => i + 1).every((seq) => engine.versionVector().has({ origin, seq }));

describe.each(['websocket', 'http', 'auto'] as const)('peer.setRelay() over %s, with real sockets', (transport) => {
  it('moves a running peer to another relay: the old session closes, every write is acked by the new relay and reaches its peers', async () => {
    const a = await startRelay('relay-a');
    const b = await startRelay('relay-b');
    const writer = await peer({ relay: a.url, transport, peerId: 'writer' });
    const notes = (await writer.space('team')).collection<number>('notes');
    await notes.put('before-1', 1);
    await notes.put('before-2', 2);
    await writer.synced();
    expect(holds(a.engine, 'writer', 2)).toBe(true);
    expect(a.engine.sessions()).toHaveLength(1);

    const reader = await peer({ relay: b.url, transport, peerId: 'reader' });
    const readerNotes = (await reader.space('team')).collection<number>('notes');
    await reader.synced();

    writer.setRelay(b.url);
    // Written while the peer moves: not yet acked by anyone.
    const during = notes.put('during', 3);
    await during;
    await until(() => a.engine.sessions().length === 0, 'the session on relay A closes');
    await notes.put('after', 4);
    await writer.synced();

    // Every write, including those relay A had acked, is held and acked by relay B.
    expect(holds(b.engine, 'writer', 4)).toBe(true);
    expect(writer.pending()).toBe(0);
    expect(b.engine.sessions().map((session) => session.remotePeer).sort()).toEqual(['reader', 'writer']);
    // Relay A got nothing after the move.
    expect(a.engine.versionVector().has({ origin: 'writer', seq: 3 })).toBe(false);
    // And a second peer on relay B sees them all.
    await until(() => readerNotes.size === 4, 'the reader on relay B sees all four writes');
    expect(Object.fromEntries(readerNotes.entries())).toEqual({ 'before-1': 1, 'before-2': 2, during: 3, after: 4 });
  });
});

describe('peer relay lists', () => {
  it('tries the relays of a list in turn, and setRelay() refuses what is not a URL', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const down = `ws://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const b = await startRelay('relay-b');
    const writer = await peer({ relay: [down, b.url], transport: 'websocket', peerId: 'writer' });
    await (await writer.space('team')).collection('notes').put('k', 1);
    await writer.synced();
    expect(holds(b.engine, 'writer', 1)).toBe(true);
    expect(() => writer.setRelay('not a url')).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }) as Error);
    expect(() => writer.setRelay([])).toThrow(/at least one relay/);
    const offline = await peer({});
    expect(() => offline.setRelay(b.url)).toThrow(/created without a relay/);
  });
});
