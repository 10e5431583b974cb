import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryWal, createPeer, createSyncEngine, createWebSocketServer, type SyncEngine } from '../src/index.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startRelay(): Promise<{ engine: SyncEngine; url: string }> {
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

async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('causal spaces', () => {
  it('stamp every write with what its writer had seen, and a newcomer never sees a reply before its message', async () => {
    const relay = await startRelay();
    const open = async (peerId: string, causal: boolean | string[]) => {
      const peer = await createPeer({ storage: ':memory:', relay: relay.url, transport: 'websocket', peerId, causal });
      cleanups.push(() => peer.close());
      return (await peer.space('team')).collection<string>('chat');
    };
    const alice = await open('zz-alice', true);
    const bob = await open('aa-bob', ['team']);
    await alice.put('question', 'lunch?');
    await until(() => bob.get('question') === 'lunch?', 'bob sees the question');
    const reply = await bob.put('answer', 'yes');
    expect(reply.deps).toEqual({ 'zz-alice': 1 });
    await until(() => relay.engine.get('chat', 'answer') === 'yes', 'the relay holds the answer');
    // Someone who opens the space later: at every change it shows, the answer comes with its question.
    const carol = await createPeer({ storage: ':memory:', relay: relay.url, transport: 'websocket', peerId: 'mm-carol' });
    cleanups.push(() => carol.close());
    const chat = (await carol.space('team')).collection<string>('chat');
    const broken: string[] = [];
    carol.on('change', () => {
      if (chat.get('answer') !== undefined && chat.get('question') === undefined) broken.push('answer without question');
    });
    await until(() => chat.get('answer') === 'yes', 'carol sees the answer');
    expect(chat.get('question')).toBe('lunch?');
    expect(broken).toEqual([]);
  });
});
