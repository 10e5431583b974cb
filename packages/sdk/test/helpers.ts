import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createMemoryWal, createPeer, createSyncEngine, createWebSocketServer, type Peer, type PeerOptions, type SyncEngine } from '../src/index.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh directory, removed after the test. */
export async function tempDir(prefix = 'sdk-'): Promise<string> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  cleanups.push(() => rm(path, { recursive: true, force: true }));
  return path;
}

/** A peer closed after the test; in memory unless told otherwise. */
export async function openPeer(options: PeerOptions = { storage: ':memory:' }): Promise<Peer> {
  const created = await createPeer(options);
  cleanups.push(() => created.close());
  return created;
}

/** Polls `predicate` until it holds, or fails after `timeoutMs` naming `what`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A relay on a real loopback port, stopped after the test: an engine behind the WebSocket server at the path the SDK dials for space `team`. */
export async function startRelay(): Promise<{ engine: SyncEngine; url: string }> {
  const engine = await createSyncEngine({ wal: createMemoryWal(), peerId: 'relay', space: 'team', compaction: false });
  const http = createServer((_, response) => response.writeHead(404).end());
  const ws = createWebSocketServer({ server: http, path: '/v1/spaces/team', heartbeatMs: 1_000 });
  ws.on('connection', (connection) => engine.connect(connection, { trustCovered: 'own-origin' }));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    await ws.close();
    const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
    http.closeAllConnections();
    await stopped;
    await engine.close();
  });
  return { engine, url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}` };
}
