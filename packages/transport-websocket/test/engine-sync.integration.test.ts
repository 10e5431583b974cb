import { createSyncEngine, type SyncEngine } from '@softadastra/sync-engine';
import { createMemoryWal } from '@softadastra/wal-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebSocketTransport, type WebSocketServer } from '../src/index.js';
import { startServer, until } from './helpers.js';

const timing = { resendMs: 200, gapMs: 300, maxBackoffMs: 1_000, coveredDelayMs: 20 };

/** Errors the engines reported, as "peer: code message". */
const errors: string[] = [];

async function engine(peerId: string): Promise<SyncEngine> {
  const created = await createSyncEngine({ wal: createMemoryWal(), peerId, timing, compaction: false });
  created.on('error', (error) => errors.push(`${peerId}: ${error.code} ${error.message}`));
  return created;
}

/** Serves `relay` on a server: every connection accepted starts a session. */
async function serve(relay: SyncEngine, port = 0): Promise<{ server: WebSocketServer; port: number; url: string }> {
  const started = await startServer({ port, heartbeatMs: 1_000 });
  started.server.on('connection', (connection) => relay.connect(connection, { trustCovered: 'own-origin' }));
  return started;
}

function converged(a: SyncEngine, b: SyncEngine): boolean {
  return a.digest().root === b.digest().root && a.versionVector().equals(b.versionVector());
}

describe('two sync engines over WebSocket', () => {
  const cleanups: Array<() => Promise<void> | void> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    errors.length = 0;
  });

  it('converge through a server-side connection and a client, and again after the server restarts', async () => {
    const relay = await engine('relay');
    const client = await engine('client');
    cleanups.push(() => relay.close(), () => client.close());
    const first = await serve(relay);
    let server = first.server;
    cleanups.push(() => server.close());

    await relay.put('notes', 'from-relay', { text: 'written before connecting' });
    await client.put('notes', 'from-client', { text: 'offline write' });
    client.connect(createWebSocketTransport({ url: first.url, reconnect: { baseMs: 20, maxMs: 200 }, heartbeatMs: 1_000 }));
    await until(() => converged(relay, client) && client.has('notes', 'from-relay'), 'the peers converge');
    expect(relay.get('notes', 'from-client')).toEqual({ text: 'offline write' });

    // Live writes on both sides, concurrent writes to the same key.
    await Promise.all([
      ...Array.from({ length: 50 }, (_, i) => relay.put('items', `r${i}`, i)),
      ...Array.from({ length: 50 }, (_, i) => client.put('items', `c${i}`, i)),
      relay.put('items', 'shared', 'relay'),
      client.put('items', 'shared', 'client'),
    ]);
    await until(() => converged(relay, client) && relay.entries('items').length === 101, 'live writes converge');
    expect(client.get('items', 'shared')).toEqual(relay.get('items', 'shared'));

    // The server goes away; both keep writing; a new server on the same port brings them back together.
    await server.close();
    await until(() => client.status === 'connecting' && relay.sessions().length === 0, 'both peers see the link down');
    await relay.put('notes', 'while-down-relay', 1);
    await client.put('notes', 'while-down-client', 2);
    await client.delete('items', 'r0');
    const second = await serve(relay, first.port);
    server = second.server;
    await until(() => converged(relay, client) && relay.has('notes', 'while-down-client') && client.has('notes', 'while-down-relay'), 'the peers converge again', 10_000);
    expect(relay.has('items', 'r0')).toBe(false);
    expect(relay.entries('items')).toHaveLength(100);
    expect(relay.sessions()).toHaveLength(1);
    await until(() => client.status === 'synced' && relay.status === 'synced', 'both report synced');
    // The only errors: the client failing to reach the server while it was down.
    expect(errors.filter((line) => !/^client: E_TRANSPORT cannot connect to /.test(line))).toEqual([]);
  });
});
