import type { AddressInfo } from 'node:net';
import type { Connection, ConnectionCloseInfo, SyncError } from '@softadastra/sync-core';
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
export interface Recorded {
  readonly opens: number[];
  readonly messages: Uint8Array[];
  readonly closes: ConnectionCloseInfo[];
  readonly errors: SyncError[];
  readonly drains: number[];
  /** Event names in order, e.g. `['open', 'close:false', 'open']`. */
  readonly order: string[];
}

/** Records every event of `connection` from now on. */
export function record(connection: Connection): Recorded {
  const recorded: Recorded = { opens: [], messages: [], closes: [], errors: [], drains: [], order: [] };
  connection.on('open', () => {
    recorded.opens.push(Date.now());
    recorded.order.push('open');
  });
  connection.on('message', (bytes) => {
    recorded.messages.push(bytes);
    recorded.order.push('message');
  });
  connection.on('close', (info) => {
    recorded.closes.push(info);
    recorded.order.push(`close:${String(info.final)}`);
  });
  connection.on('error', (error) => {
    recorded.errors.push(error);
    recorded.order.push(`error:${error.code}`);
  });
  connection.on('drain', () => {
    recorded.drains.push(Date.now());
    recorded.order.push('drain');
  });
  return recorded;
}

/** Resolves after `ms` of real time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` until it holds, or fails after `timeoutMs` naming `what`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(2);
  }
}
