import type { Connection } from '@softadastra/sync-core';
import { runTransportConformance } from '@softadastra/sync-testing';
import { createHttpTransport } from '../src/index.js';
import { nextConnection, startServer, type TestServer } from './helpers.js';

/** The server of each pair, found from its client end. */
const servers = new Map<Connection, TestServer>();

// Real loopback sockets on a fresh port per pair: a = the client, b = the
// server-side connection of its session.
runTransportConformance('http', {
  pair: async () => {
    const server = await startServer();
    const accepted = nextConnection(server.transport);
    const a = createHttpTransport({ url: server.url, reconnect: { baseMs: 20, maxMs: 200 } });
    servers.set(a, server);
    return { a, b: await accepted };
  },
  interrupt: async ({ a }) => {
    // The server drops every session; the client learns it from its pending
    // poll (404), creates a new session, and the server hands out a new connection.
    const server = servers.get(a)!;
    const replacement = nextConnection(server.transport);
    for (const connection of server.transport.connections()) connection.close(1006, 'conformance: session dropped');
    return { a, b: await replacement };
  },
  cleanup: async () => {
    const open = [...servers.values()];
    servers.clear();
    await Promise.all(open.map((server) => server.close()));
  },
  timeoutMs: 3_000,
});
