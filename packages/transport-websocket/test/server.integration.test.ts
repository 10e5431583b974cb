import { createServer, get as httpGet, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as RawWebSocket } from 'ws';
import { createWebSocketServer, createWebSocketTransport, type WebSocketConnection } from '../src/index.js';
import { nextConnection, record, startServer, until } from './helpers.js';

/** Opens a raw ws client and resolves with how its upgrade ended: 'open' or the HTTP status. */
function tryUpgrade(url: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = new RawWebSocket(url);
    socket.on('open', () => {
      socket.terminate();
      resolve('open');
    });
    socket.on('unexpected-response', (_request, response) => {
      resolve(String(response.statusCode));
      response.destroy();
      socket.terminate();
    });
    socket.on('error', () => undefined);
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpGet(url, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    }).on('error', reject);
  });
}

describe('the WebSocket server', () => {
  const cleanups: Array<() => Promise<void> | void> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const client = (url: string): WebSocketConnection => {
    const connection = createWebSocketTransport({ url, reconnect: { baseMs: 10, maxMs: 50 } });
    cleanups.push(() => connection.close());
    return connection;
  };

  it('shares the port of an existing http.Server: HTTP keeps working, WebSocket on its path, 404 elsewhere', async () => {
    const http: Server = createServer((_request, response) => response.end('hello over HTTP'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const server = createWebSocketServer({ server: http, path: '/sync' });
    cleanups.push(() => server.close());
    await server.ready();
    const { port } = http.address() as AddressInfo;
    expect(server.address()).toEqual(http.address());

    expect(await httpStatus(`http://127.0.0.1:${port}/`)).toBe(200);
    expect(await tryUpgrade(`ws://127.0.0.1:${port}/other`)).toBe('404');
    const accepted = nextConnection(server);
    const connection = client(`ws://127.0.0.1:${port}/sync?space=team`);
    const serverEnd = await accepted;
    expect(serverEnd.state).toBe('open');
    expect(serverEnd.capabilities.reconnects).toBe(false);
    expect(serverEnd.remote).toMatch(/^127\.0\.0\.1:\d+$/);
    await until(() => connection.state === 'open', 'the client opens');

    // Closing the WebSocket server leaves the HTTP server running.
    await server.close();
    expect(await httpStatus(`http://127.0.0.1:${port}/`)).toBe(200);
  });

  it('leaves unmatched upgrades to the other upgrade listeners of a shared server', async () => {
    const http: Server = createServer();
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const a = createWebSocketServer({ server: http, match: (request) => request.url?.startsWith('/a') === true });
    const b = createWebSocketServer({ server: http, path: '/b' });
    cleanups.push(() => a.close(), () => b.close());
    const { port } = http.address() as AddressInfo;
    const atA = nextConnection(a);
    const atB = nextConnection(b);
    expect(await tryUpgrade(`ws://127.0.0.1:${port}/a/1`)).toBe('open');
    expect(await tryUpgrade(`ws://127.0.0.1:${port}/b`)).toBe('open');
    await Promise.all([atA, atB]);
  });

  it("answers 426 to plain HTTP requests when it listens itself", async () => {
    const { server, port } = await startServer();
    cleanups.push(() => server.close());
    expect(await httpStatus(`http://127.0.0.1:${port}/`)).toBe(426);
  });

  it('closes every connection with 1001 on close(), stops listening, and the clients try to come back', async () => {
    const { server, port, url } = await startServer();
    const accepted = nextConnection(server);
    const connection = client(url);
    const events = record(connection);
    const serverEnd = await accepted;
    const serverEvents = record(serverEnd);
    await until(() => connection.state === 'open', 'the client opens');
    expect(server.connections()).toEqual([serverEnd]);

    await server.close();
    expect(server.connections()).toEqual([]);
    await until(() => serverEvents.closes.length === 1 && events.closes.length === 1, "both ends emit 'close'");
    expect(serverEvents.closes[0]).toEqual({ code: 1001, reason: 'server going away', final: true });
    expect(events.closes[0]).toEqual({ code: 1001, reason: 'server going away', final: false });
    expect(connection.state).toBe('connecting');
    await expect(httpStatus(`http://127.0.0.1:${port}/`)).rejects.toThrow(/ECONNREFUSED/);
    expect(await server.close()).toBeUndefined(); // idempotent
  });

  it("reports a 'connection' listener that throws on the server's 'error' and keeps serving", async () => {
    const { server, url } = await startServer();
    cleanups.push(() => server.close());
    const errors: string[] = [];
    server.on('error', (error) => errors.push(`${error.code} ${error.message}`));
    server.on('connection', () => {
      throw new Error('bug in the relay');
    });
    const accepted = nextConnection(server);
    const connection = client(url);
    await accepted;
    await until(() => connection.state === 'open', 'the client opens all the same');
    expect(errors).toEqual(["E_INTERNAL a 'connection' listener of the WebSocket server threw: bug in the relay"]);
  });

  it('rejects ready() when the port is taken', async () => {
    const { server, port } = await startServer();
    cleanups.push(() => server.close());
    const clash = createWebSocketServer({ port, host: '127.0.0.1' });
    cleanups.push(() => clash.close());
    await expect(clash.ready()).rejects.toMatchObject({ code: 'E_TRANSPORT', message: expect.stringMatching(/EADDRINUSE/) as string });
  });

  it('refuses inconsistent options', () => {
    expect(() => createWebSocketServer({})).toThrow(/either `server`/);
    expect(() => createWebSocketServer({ port: 0, path: 'sync' })).toThrow(/path must start with/);
    expect(() => createWebSocketServer({ port: 0, path: '/a', match: () => true })).toThrow(/not both/);
    expect(() => createWebSocketServer({ port: 0, maxPayload: 1024, maxBufferedBytes: 100 })).toThrow(/maxBufferedBytes/);
  });
});
