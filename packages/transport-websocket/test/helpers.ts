import type { AddressInfo } from 'node:net';
import { recordConnection, type RecordedConnection } from '@softadastra/sync-testing';
import {
  createWebSocketServer,
  type WebSocketConnectionInfo,
  type WebSocketServer,
  type WebSocketServerConnection,
  type WebSocketServerOptions,
} from '../src/index.js';

/** Starts a server on a free loopback port (or `port`) and waits until it listens. */
export async function startServer(options: Partial<WebSocketServerOptions> = {}): Promise<{ server: WebSocketServer; port: number; url: string }> {
  const server = createWebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await server.ready();
  const port = (server.address() as AddressInfo).port;
  return { server, port, url: `ws://127.0.0.1:${port}/` };
}

/** Resolves with the next connection `server` accepts. */
export function nextConnection(server: WebSocketServer): Promise<WebSocketServerConnection> {
  return nextConnectionWithInfo(server).then(([connection]) => connection);
}

/** Resolves with the next connection `server` accepts and what came with it. */
export function nextConnectionWithInfo(server: WebSocketServer): Promise<[WebSocketServerConnection, WebSocketConnectionInfo]> {
  return new Promise((resolve) => {
    const off = server.on('connection', (connection, info) => {
      off();
      resolve([connection, info]);
    });
  });
}

/** Everything a connection emitted, in order. */
export type Recorded = RecordedConnection;

/** Records every event of `connection` from now on. */
export const record = recordConnection;

export { sleep, until } from '@softadastra/sync-testing';
