import { afterEach, describe, expect, it } from 'vitest';
import { createWebSocketTransport, type WebSocketConnection, type WebSocketServer } from '../src/index.js';
import { nextConnection, record, sleep, startServer, until } from './helpers.js';

describe('reconnection over loopback', () => {
  const clients: WebSocketConnection[] = [];
  const servers: WebSocketServer[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  const client = (url: string, options: Partial<Parameters<typeof createWebSocketTransport>[0]> = {}): WebSocketConnection => {
    const connection = createWebSocketTransport({ url, reconnect: { baseMs: 20, maxMs: 200 }, ...options });
    clients.push(connection);
    return connection;
  };

  it('comes back by itself when the server restarts on the same port, and messages flow again', async () => {
    const first = await startServer();
    servers.push(first.server);
    const accepted = nextConnection(first.server);
    const connection = client(first.url);
    const events = record(connection);
    await accepted;
    await until(() => connection.state === 'open', 'the client opens');

    await first.server.close();
    await until(() => events.closes.length === 1, "the client sees the drop ('close')");
    expect(events.closes[0]).toEqual({ code: 1001, reason: 'server going away', final: false });
    expect(connection.state).toBe('connecting');

    const second = await startServer({ port: first.port });
    servers.push(second.server);
    const again = await nextConnection(second.server);
    await until(() => events.opens.length === 2, "the client emits 'open' again");
    expect(events.order.filter((e) => e !== 'message' && !e.startsWith('error'))).toEqual(['open', 'close:false', 'open']);

    const received: number[] = [];
    again.on('message', (bytes) => received.push(bytes[0]!));
    connection.send(new Uint8Array([42]));
    again.send(new Uint8Array([24]));
    await until(() => received.includes(42) && events.messages.some((m) => m[0] === 24), 'messages flow both ways after reconnecting');
  });

  it('keeps retrying while no server listens, reporting the outage once, then connects', async () => {
    const probe = await startServer();
    const { port, url } = probe;
    await probe.server.close();
    const connection = client(url, { reconnect: { baseMs: 10, maxMs: 40 } });
    const events = record(connection);
    await sleep(300); // many attempts at 10–40 ms
    expect(events.errors.map((e) => e.code)).toEqual(['E_TRANSPORT']);
    expect(events.errors[0]!.message).toMatch(/ECONNREFUSED/);
    expect(connection.state).toBe('connecting');
    const { server } = await startServer({ port });
    servers.push(server);
    await until(() => connection.state === 'open', 'the client connects once the server is up');
    expect(events.opens).toHaveLength(1);
    expect(events.closes).toEqual([]);
  });

  it('spreads the reconnections of many clients with full jitter instead of a synchronized storm', async () => {
    const count = 20;
    const first = await startServer();
    servers.push(first.server);
    const connections = Array.from({ length: count }, () => client(first.url, { reconnect: { baseMs: 400, maxMs: 2_000 } }));
    await until(() => connections.every((c) => c.state === 'open'), 'every client opens');

    const arrivals: number[] = [];
    await first.server.close(); // every client drops at the same instant
    const second = await startServer({ port: first.port });
    servers.push(second.server);
    second.server.on('connection', () => arrivals.push(performance.now()));
    await until(() => arrivals.length === count, `all ${count} clients come back`, 10_000);

    const distinctMs = new Set(arrivals.map((t) => Math.floor(t))).size;
    const spread = Math.max(...arrivals) - Math.min(...arrivals);
    // Uniform delays over [0, 400) ms: 20 clients land on 20 different milliseconds
    // but for a rare collision, over most of the window.
    expect(distinctMs, `arrival times (ms): ${arrivals.map((t) => t.toFixed(1)).join(' ')}`).toBeGreaterThanOrEqual(12);
    expect(spread).toBeGreaterThanOrEqual(100);
  });

  it('never reconnects after close()', async () => {
    const { server, url } = await startServer();
    servers.push(server);
    let accepted = 0;
    server.on('connection', () => accepted++);
    const connection = client(url);
    const events = record(connection);
    await until(() => connection.state === 'open', 'the client opens');
    connection.close(1000, 'bye');
    await sleep(200);
    expect(accepted).toBe(1);
    expect(events.closes).toEqual([{ code: 1000, reason: 'bye', final: true }]);
    expect(connection.state).toBe('closed');
  });

  it('makes a drop final with reconnect: false', async () => {
    const { server, url } = await startServer();
    servers.push(server);
    const accepted = nextConnection(server);
    const connection = client(url, { reconnect: false });
    const events = record(connection);
    (await accepted).terminate();
    await until(() => events.closes.length === 1, "the client emits 'close'");
    expect(events.closes[0]!.final).toBe(true);
    await sleep(100);
    expect(server.connections()).toHaveLength(0);
  });
});
