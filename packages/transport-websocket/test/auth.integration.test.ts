import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { SyncError } from '@softadastra/sync-core';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebSocketTransport as createBrowserTransport } from '../src/browser.js';
import { createWebSocketTransport, readBearerToken, type AuthenticationResult, type WebSocketConnection, type WebSocketServer } from '../src/index.js';
import { nextConnection, nextConnectionWithInfo, record, sleep, startServer, until } from './helpers.js';
import { StandardWebSocket } from './standard-web-socket.js';

describe('authentication before the upgrade', () => {
  const cleanups: Array<() => Promise<void> | void> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const ours = async (authenticate: (request: IncomingMessage) => Promise<AuthenticationResult>): Promise<{ server: WebSocketServer; url: string; port: number }> => {
    const started = await startServer({ authenticate });
    cleanups.push(() => started.server.close());
    return started;
  };

  const track = <T extends WebSocketConnection>(connection: T): T => {
    cleanups.push(() => connection.close());
    return connection;
  };

  it('sends the token as an Authorization: Bearer header, asking the provider before every attempt', async () => {
    const seen: Array<string | undefined> = [];
    const { server, url } = await ours((request) => {
      seen.push(request.headers.authorization);
      return Promise.resolve({ ok: true, context: { user: readBearerToken(request) } });
    });
    let n = 0;
    const accepted = nextConnectionWithInfo(server);
    const connection = track(createWebSocketTransport({ url, token: () => Promise.resolve(`token-${++n}`), reconnect: { baseMs: 10, maxMs: 20 } }));
    const [first, info] = await accepted;
    expect(info.context).toEqual({ user: 'token-1' });
    expect(info.request.url).toBe('/');
    await until(() => connection.state === 'open', 'the client opens');
    const again = nextConnectionWithInfo(server);
    first.terminate();
    const [, secondInfo] = await again;
    expect(seen).toEqual(['Bearer token-1', 'Bearer token-2']);
    expect(secondInfo.context).toEqual({ user: 'token-2' });
  });

  for (const [status, code] of [
    [401, 'E_UNAUTHORIZED'],
    [403, 'E_FORBIDDEN'],
  ] as const) {
    it(`reports an HTTP ${status} refusal as ${code} with the server's reason, closes for good and never retries`, async () => {
      let calls = 0;
      const reason = status === 401 ? 'token expired 3 min ago — refresh it' : 'no access to space "team": ask its owner';
      const { url } = await ours(() => {
        calls++;
        return Promise.resolve({ ok: false, status, reason });
      });
      const connection = track(createWebSocketTransport({ url, token: 'stale', reconnect: { baseMs: 5, maxMs: 10 } }));
      const events = record(connection);
      await until(() => events.closes.length === 1, "the client emits 'close'");
      expect(events.errors.map((e: SyncError) => e.code)).toEqual([code]);
      expect(events.errors[0]!.message).toContain(reason);
      expect(events.closes[0]).toEqual({ code: status === 401 ? 4401 : 4403, reason, final: true });
      expect(connection.state).toBe('closed');
      expect(events.opens).toEqual([]);
      await sleep(150); // 10+ backoff periods
      expect(calls).toBe(1);
    });
  }

  it('answers a refused upgrade with a plain HTTP 401: reason in the body, WWW-Authenticate and a reason header, no upgrade', async () => {
    const { port } = await ours(() => Promise.resolve({ ok: false, status: 401, reason: 'token expired — sign in again' }));
    const response = await new Promise<{ status: number; headers: IncomingMessage['headers']; body: string; upgraded: boolean }>((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        path: '/',
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      });
      req.on('upgrade', (_res, socket) => {
        socket.destroy();
        resolve({ status: 101, headers: {}, body: '', upgraded: true });
      });
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, upgraded: false }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(response.upgraded).toBe(false);
    expect(response.status).toBe(401);
    expect(response.body.trim()).toBe('token expired — sign in again');
    expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="softadastra-sync", error="invalid_token", error_description="token expired \? sign in again"$/);
    expect(response.headers['softadastra-reason']).toBe('token expired ? sign in again');
  });

  it("answers 500 when authenticate() throws, reports it on the server's 'error', and the client keeps retrying", async () => {
    let calls = 0;
    const { server, url } = await ours(() => {
      calls++;
      return Promise.reject(new Error('database unreachable'));
    });
    const serverErrors: SyncError[] = [];
    server.on('error', (error) => serverErrors.push(error));
    const connection = track(createWebSocketTransport({ url, reconnect: { baseMs: 10, maxMs: 20 } }));
    const events = record(connection);
    await until(() => calls >= 3, 'the client retries');
    expect(serverErrors[0]!.code).toBe('E_INTERNAL');
    expect(serverErrors[0]!.message).toMatch(/database unreachable/);
    expect(events.errors.map((e) => e.code)).toEqual(['E_TRANSPORT']);
    expect(events.errors[0]!.message).toMatch(/HTTP 500/);
    expect(connection.state).toBe('connecting');
  });

  describe('a browser client (the platform WebSocket API only)', () => {
    it('sends the token as the access_token query parameter, which readBearerToken reads', async () => {
      const tokens: Array<string | undefined> = [];
      const { server, url } = await ours((request) => {
        tokens.push(readBearerToken(request));
        expect(request.headers.authorization).toBeUndefined();
        return Promise.resolve({ ok: true });
      });
      const accepted = nextConnection(server);
      const connection = track(createBrowserTransport({ url, token: 'browser token', WebSocket: StandardWebSocket }));
      const events = record(connection);
      const serverEnd = await accepted;
      await until(() => connection.state === 'open', 'the browser client opens');
      expect(tokens).toEqual(['browser token']);
      const received: number[] = [];
      serverEnd.on('message', (bytes) => received.push(bytes[0]!));
      connection.send(new Uint8Array([1]));
      serverEnd.send(new Uint8Array([2]));
      await until(() => received.length === 1 && events.messages.length === 1, 'messages flow both ways');
      expect(received).toEqual([1]);
      expect([...events.messages[0]!]).toEqual([2]);
    });

    it('stops for good when the server closes with 4401 after the upgrade (what a browser can see)', async () => {
      const { server, url } = await ours(() => Promise.resolve({ ok: true }));
      server.on('connection', (connection) => connection.close(4401, 'session expired: sign in again'));
      let accepted = 0;
      server.on('connection', () => accepted++);
      const connection = track(createBrowserTransport({ url, WebSocket: StandardWebSocket, reconnect: { baseMs: 5, maxMs: 10 } }));
      const events = record(connection);
      await until(() => events.closes.length === 1, "the client emits 'close'");
      expect(events.errors.map((e) => e.code)).toEqual(['E_UNAUTHORIZED']);
      expect(events.errors[0]!.message).toContain('session expired: sign in again');
      expect(events.closes[0]).toEqual({ code: 4401, reason: 'session expired: sign in again', final: true });
      await sleep(100);
      expect(accepted).toBe(1);
    });

    it('cannot see an HTTP 401, so it keeps retrying with backoff (documented caveat)', async () => {
      let calls = 0;
      const { url } = await ours(() => {
        calls++;
        return Promise.resolve({ ok: false, status: 401, reason: 'no token' });
      });
      const connection = track(createBrowserTransport({ url, WebSocket: StandardWebSocket, reconnect: { baseMs: 10, maxMs: 20 } }));
      const events = record(connection);
      await until(() => calls >= 3, 'the browser client retries');
      expect(events.errors.map((e) => e.code)).toEqual(['E_TRANSPORT']);
      expect(connection.state).toBe('connecting');
    });
  });
});
