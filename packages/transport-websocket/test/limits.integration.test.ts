import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as RawWebSocket } from 'ws';
import { createWebSocketTransport, type WebSocketConnection, type WebSocketServer } from '../src/index.js';
import { nextConnection, record, startServer, until } from './helpers.js';

const MiB = 1024 * 1024;

describe('size limits and backpressure over loopback', () => {
  const cleanups: Array<() => Promise<void> | void> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const ours = async (options: Parameters<typeof startServer>[0] = {}): Promise<{ server: WebSocketServer; url: string }> => {
    const started = await startServer(options);
    cleanups.push(() => started.server.close());
    return started;
  };

  const raw = async (url: string): Promise<RawWebSocket> => {
    const socket = new RawWebSocket(url);
    cleanups.push(() => socket.terminate());
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return socket;
  };

  const client = (url: string, options: Partial<Parameters<typeof createWebSocketTransport>[0]> = {}): WebSocketConnection => {
    const connection = createWebSocketTransport({ url, reconnect: { baseMs: 10, maxMs: 50 }, ...options });
    cleanups.push(() => connection.close());
    return connection;
  };

  it('refuses a 2 MiB frame from a raw ws client with close code 1009 and E_TOO_LARGE, and keeps serving', async () => {
    const { server, url } = await ours(); // maxPayload: 1 MiB by default
    const accepted = nextConnection(server);
    const attacker = await raw(url);
    const serverEnd = await accepted;
    expect(serverEnd.capabilities.maxMessageBytes).toBe(MiB);
    const serverEvents = record(serverEnd);
    const closed = new Promise<number>((resolve) => attacker.once('close', (code) => resolve(code)));
    attacker.send(new Uint8Array(2 * MiB));
    expect(await closed).toBe(1009);
    await until(() => serverEvents.closes.length === 1, "the server-side connection emits 'close'");
    expect(serverEvents.errors.map((e) => e.code)).toEqual(['E_TOO_LARGE']);
    expect(serverEvents.closes[0]).toMatchObject({ code: 1009, final: true });
    expect(serverEvents.messages).toEqual([]);

    // The server survives: a well-behaved client connects and talks.
    const next = nextConnection(server);
    const connection = client(url);
    const fresh = await next;
    const received: Uint8Array[] = [];
    fresh.on('message', (bytes) => received.push(bytes));
    await until(() => connection.state === 'open', 'a new client opens');
    connection.send(new Uint8Array(MiB).fill(1));
    await until(() => received.length === 1, 'a message of exactly 1 MiB arrives');
    expect(received[0]!.length).toBe(MiB);
  });

  it('disconnects a slow consumer (a client that stopped reading) instead of growing server memory', async () => {
    const maxBufferedBytes = 512 * 1024;
    const { server, url } = await ours({ maxBufferedBytes, maxPayload: 128 * 1024, heartbeatMs: 60_000 });
    const accepted = nextConnection(server);
    const slow = await raw(url);
    const serverEnd = await accepted;
    const serverEvents = record(serverEnd);
    slow.pause(); // reads nothing more: the kernel buffers fill, then the server's

    const chunk = new Uint8Array(64 * 1024);
    let sent = 0;
    let refusal: unknown;
    let peak = 0;
    // Bounded: 4096 × 64 KiB = 256 MiB would mean the limit never worked.
    for (let i = 0; i < 4096 && refusal === undefined; i++) {
      try {
        serverEnd.send(chunk);
        sent += chunk.length;
        peak = Math.max(peak, serverEnd.bufferedAmount);
      } catch (error) {
        refusal = error;
      }
    }
    expect(refusal, `sent ${sent} bytes without being refused`).toMatchObject({ code: 'E_CLOSED' });
    expect(peak).toBeLessThanOrEqual(maxBufferedBytes);
    expect(serverEnd.state).toBe('closed');
    expect(serverEnd.bufferedAmount).toBe(0);
    await until(() => serverEvents.closes.length === 1, "the server-side connection emits 'close'");
    expect(serverEvents.errors.map((e) => e.code)).toEqual(['E_TRANSPORT']);
    expect(serverEvents.errors[0]!.message).toMatch(/maxBufferedBytes/);
    expect(serverEvents.closes[0]!.final).toBe(true);
    expect(server.connections()).toHaveLength(0);
  });

  it("reflects the socket's bufferedAmount and emits 'drain' once it falls back", async () => {
    const { server, url } = await ours({ maxPayload: MiB });
    const accepted = nextConnection(server);
    const connection = client(url, { maxBufferedBytes: 64 * MiB });
    const events = record(connection);
    const serverEnd = await accepted;
    let received = 0;
    serverEnd.on('message', () => received++);
    await until(() => connection.state === 'open', 'the client opens');

    // A synchronous burst: the server cannot read meanwhile, so bytes pile up in the client's socket.
    const message = new Uint8Array(MiB);
    let sent = 0;
    while (connection.bufferedAmount <= 256 * 1024 && sent < 48) {
      connection.send(message);
      sent++;
    }
    expect(connection.bufferedAmount).toBeGreaterThan(256 * 1024);
    expect(events.drains).toEqual([]);
    await until(() => events.drains.length >= 1, "the client emits 'drain'");
    await until(() => received === sent, `the server receives all ${sent} messages`);
    await until(() => connection.bufferedAmount === 0, 'the buffer empties');
  });

  it('drops a link on which the server sends more than the client accepts (E_TOO_LARGE, 1009), then reconnects', async () => {
    const { server, url } = await ours({ maxPayload: 2 * MiB });
    const accepted = nextConnection(server);
    const connection = client(url, { maxMessageBytes: MiB });
    const events = record(connection);
    const serverEnd = await accepted;
    await until(() => connection.state === 'open', 'the client opens');
    const again = nextConnection(server);
    serverEnd.send(new Uint8Array(MiB + 1));
    await until(() => events.closes.length === 1, 'the client drops the link');
    expect(events.errors.map((e) => e.code)).toEqual(['E_TOO_LARGE']);
    expect(events.closes[0]).toMatchObject({ code: 1009, final: false });
    await again;
    await until(() => events.opens.length === 2, 'the client reconnects');
  });
});
