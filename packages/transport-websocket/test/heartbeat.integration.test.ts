import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as RawWebSocket, WebSocketServer as RawServer } from 'ws';
import { createWebSocketTransport, type WebSocketConnection, type WebSocketServer } from '../src/index.js';
import { nextConnection, record, sleep, startServer, until } from './helpers.js';

describe('heartbeat over loopback', () => {
  const cleanups: Array<() => Promise<void> | void> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const ours = async (options: Parameters<typeof startServer>[0] = {}): Promise<{ server: WebSocketServer; url: string }> => {
    const started = await startServer(options);
    cleanups.push(() => started.server.close());
    return started;
  };

  const client = (url: string, heartbeatMs: number): WebSocketConnection => {
    const connection = createWebSocketTransport({ url, heartbeatMs, reconnect: { baseMs: 10, maxMs: 50 } });
    cleanups.push(() => connection.close());
    return connection;
  };

  /** A bare `ws` server that answers pings like ours, until its socket is paused. */
  const rawServer = async (): Promise<{ url: string; sockets: RawWebSocket[] }> => {
    const wss = new RawServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    const sockets: RawWebSocket[] = [];
    wss.on('connection', (socket) => {
      sockets.push(socket);
      socket.on('message', (data, isBinary) => {
        if (!isBinary && (data as Buffer).toString('utf8') === 'ping') socket.send('pong');
      });
    });
    cleanups.push(async () => {
      for (const socket of sockets) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    });
    return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, sockets };
  };

  it('keeps a quiet but healthy link open: pings and pongs count as life on both sides', async () => {
    // Short heartbeats, but with room for a loaded machine: the limit is 2 × 100 ms of silence.
    const { server, url } = await ours({ heartbeatMs: 100 });
    const accepted = nextConnection(server);
    const connection = client(url, 100);
    const events = record(connection);
    const serverEnd = await accepted;
    const serverEvents = record(serverEnd);
    await until(() => connection.state === 'open', 'the client opens');
    await sleep(700); // 7 heartbeats, without a single protocol message
    expect(events.closes).toEqual([]);
    expect(serverEvents.closes).toEqual([]);
    expect(connection.state).toBe('open');
    expect(serverEnd.state).toBe('open');
  });

  it('detects a server that stops answering (its socket frozen) and reconnects', async () => {
    const { url, sockets } = await rawServer();
    const heartbeatMs = 100;
    const connection = client(url, heartbeatMs);
    const events = record(connection);
    await until(() => sockets.length === 1 && connection.state === 'open', 'the client opens');
    await sleep(350); // healthy for a few heartbeats
    expect(events.closes).toEqual([]);

    const frozenAt = Date.now();
    sockets[0]!.pause(); // reads nothing more, answers nothing more; the TCP connection stays up
    await until(() => events.closes.length === 1, 'the client gives up on the frozen link', 2_000);
    const detectedAfter = Date.now() - frozenAt;
    expect(events.errors.map((e) => e.code)).toEqual(['E_TIMEOUT']);
    expect(events.closes[0]).toMatchObject({ code: 1006, final: false });
    // Silence is judged from the last frame heard: at most one heartbeat before the freeze.
    expect(detectedAfter).toBeGreaterThanOrEqual(heartbeatMs / 2);
    expect(detectedAfter).toBeLessThan(2_000);

    await until(() => sockets.length === 2 && events.opens.length === 2, 'the client reconnects on a new socket');
  });

  it('drops a client that went silent, on the server side (E_TIMEOUT, final close)', async () => {
    const { server, url } = await ours({ heartbeatMs: 40 });
    const accepted = nextConnection(server);
    const raw = new RawWebSocket(url);
    cleanups.push(() => raw.terminate());
    const serverEnd = await accepted;
    const serverEvents = record(serverEnd);
    const rawClosed = new Promise<number>((resolve) => raw.once('close', (code) => resolve(code)));
    await new Promise<void>((resolve) => raw.once('open', () => resolve()));
    raw.pause(); // never answers the server's pings
    await until(() => serverEvents.closes.length === 1, 'the server drops the silent client', 2_000);
    expect(serverEvents.errors.map((e) => e.code)).toEqual(['E_TIMEOUT']);
    expect(serverEvents.closes[0]).toMatchObject({ code: 1006, final: true });
    expect(serverEnd.state).toBe('closed');
    expect(server.connections()).toHaveLength(0);
    raw.resume();
    expect(await rawClosed).toBe(1006);
  });

  it('answers ping text frames with pong and never delivers text frames as messages', async () => {
    const { server, url } = await ours({ heartbeatMs: 60_000 });
    const accepted = nextConnection(server);
    const raw = new RawWebSocket(url);
    cleanups.push(() => raw.terminate());
    const serverEnd = await accepted;
    const serverEvents = record(serverEnd);
    await new Promise<void>((resolve) => raw.once('open', () => resolve()));
    const texts: string[] = [];
    raw.on('message', (data, isBinary) => {
      if (!isBinary) texts.push((data as Buffer).toString('utf8'));
    });
    raw.send('ping');
    raw.send('hello, is this a message?');
    raw.send(new Uint8Array([7, 7]));
    await until(() => serverEvents.messages.length === 1 && texts.length === 1, 'the binary message arrives and the pong comes back');
    expect(texts).toEqual(['pong']);
    expect([...serverEvents.messages[0]!]).toEqual([7, 7]);
    expect(serverEvents.messages[0]).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(serverEvents.messages[0])).toBe(false);
  });
});
