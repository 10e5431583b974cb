import type { Connection } from '@softadastra/sync-core';
import { runTransportConformance } from '@softadastra/sync-testing';
import { createWebSocketTransport, type WebSocketServer, type WebSocketServerConnection } from '../src/index.js';
import { nextConnection, startServer } from './helpers.js';

/** The server of each pair, found from its client end. */
const servers = new Map<Connection, WebSocketServer>();

// Real loopback sockets on a fresh port per pair: a = the client, b = the connection the server accepted.
runTransportConformance('websocket', {
  pair: async () => {
    const { server, url } = await startServer();
    const accepted = nextConnection(server);
    const a = createWebSocketTransport({ url, reconnect: { baseMs: 20, maxMs: 200 } });
    servers.set(a, server);
    return { a, b: await accepted };
  },
  interrupt: async ({ a, b }) => {
    // The server drops the client's socket without a closing handshake; the
    // client reconnects by itself and the server accepts a new connection.
    const server = servers.get(a)!;
    const replacement = nextConnection(server);
    (b as WebSocketServerConnection).terminate('conformance: link dropped');
    return { a, b: await replacement };
  },
  cleanup: async () => {
    const open = [...servers.values()];
    servers.clear();
    await Promise.all(open.map((server) => server.close()));
  },
  timeoutMs: 3_000,
});
