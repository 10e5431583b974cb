import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { backoffDelay, systemClock, type Clock, type Connection } from '@softadastra/sync-core';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpTransport, type HttpConnection, type HttpFetch, type HttpTransportOptions, type HttpTransportServerOptions } from '../src/index.js';
import { instrumentedFetch } from './instrumented-fetch.js';
import { nextConnection, numberOf, numbered, record, sleep, startServer, until, type TestServer } from './helpers.js';

const servers: TestServer[] = [];
const clients: Connection[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) if (client.state !== 'closed') client.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(options: HttpTransportServerOptions = {}, port = 0): Promise<TestServer> {
  const server = await startServer(options, port);
  servers.push(server);
  return server;
}

function dial(url: string | readonly string[], options: Partial<HttpTransportOptions> = {}): HttpConnection {
  const client = createHttpTransport({ url, reconnect: { baseMs: 20, maxMs: 200 }, ...options });
  clients.push(client);
  return client;
}

/** A free loopback port (nothing listens on it once this resolves). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('HTTP transport client', () => {
  it('creates a session and opens, declaring ordered, unreliable and reconnecting', async () => {
    const server = await serve();
    const accepted = nextConnection(server.transport);
    const client = dial(server.url);
    const got = record(client);
    expect(client.state).toBe('connecting');
    expect(client.session).toBeUndefined();
    expect(client.url).toBe(server.url);
    expect(client.capabilities).toEqual({ ordered: true, reliable: false, maxMessageBytes: 1024 * 1024, reconnects: true });
    await until(() => got.opens.length === 1, 'the client opens');
    const connection = await accepted;
    expect(client.state).toBe('open');
    expect(client.session).toBe(connection.session);
    expect(dial(server.url, { reconnect: false }).capabilities.reconnects).toBe(false);
  });

  it('delivers every message both ways, in order, on a healthy link', async () => {
    const server = await serve();
    const accepted = nextConnection(server.transport);
    const client = dial(server.url);
    const toServer = record(await accepted);
    const toClient = record(client);
    await until(() => client.state === 'open', 'the client opens');
    const server_ = (await Promise.resolve(server.transport.connections()[0]))!;
    for (let i = 0; i < 300; i++) {
      client.send(numbered(i, 4 + (i % 40)));
      server_.send(numbered(1_000 + i, 4 + (i % 40)));
      if (i % 50 === 0) await sleep(1);
    }
    await until(() => toServer.messages.length === 300 && toClient.messages.length === 300, 'all messages arrive');
    expect(toServer.messages.map(numberOf)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(toClient.messages.map(numberOf)).toEqual(Array.from({ length: 300 }, (_, i) => 1_000 + i));
  });

  it('sends the messages of one tick in one POST, and splits a burst over the body limit into ordered POSTs', async () => {
    const server = await serve();
    const instrumented = instrumentedFetch();
    const accepted = nextConnection(server.transport);
    const client = dial(server.url, { fetch: instrumented.fetch });
    const got = record(await accepted);
    await until(() => client.state === 'open', 'the client opens');
    for (let i = 0; i < 100; i++) client.send(numbered(i));
    await until(() => got.messages.length === 100, '100 messages arrive');
    expect(instrumented.count('POST messages'), 'POSTs for 100 sends in one tick').toBe(1);
    // Three 600 KiB messages do not fit in one 1 MiB body: several POSTs, one at a time, in order.
    for (let i = 0; i < 3; i++) client.send(numbered(200 + i, 600 * 1024));
    await until(() => got.messages.length === 103, 'the large messages arrive');
    expect(got.messages.slice(100).map(numberOf)).toEqual([200, 201, 202]);
    expect(instrumented.count('POST messages')).toBe(4);
  });

  it('counts queued and in-flight bytes in bufferedAmount, and emits drain once they are all accepted', async () => {
    const server = await serve();
    const accepted = nextConnection(server.transport);
    const client = dial(server.url);
    const got = record(client);
    const received = record(await accepted);
    await until(() => client.state === 'open', 'the client opens');
    const atDrain: number[] = [];
    client.on('drain', () => atDrain.push(client.bufferedAmount));
    client.send(new Uint8Array(1_000));
    client.send(new Uint8Array(2_000));
    expect(client.bufferedAmount).toBe(3_000);
    await until(() => got.drains.length === 1, 'drain');
    expect(atDrain).toEqual([0]);
    expect(received.messages.map((m) => m.length)).toEqual([1_000, 2_000]);
    await sleep(30);
    expect(got.drains, 'one drain per emptied queue').toHaveLength(1);
  });

  it('reconnects with a new session when the server expires one it did not poll in time', async () => {
    // Short polls: the poll already pending ends soon, and the next ones are held back.
    const server = await serve({ sessionTtlMs: 150, pollTimeoutMs: 50 });
    const instrumented = instrumentedFetch();
    const first = nextConnection(server.transport);
    const client = dial(server.url, { fetch: instrumented.fetch });
    const got = record(client);
    const old = await first;
    const oldEvents = record(old);
    await until(() => client.state === 'open', 'the client opens');
    const oldSession = client.session;
    // The client's polls stop reaching the server (a stalled proxy, a frozen tab): the session expires.
    instrumented.holdPolls();
    await sleep(20);
    await until(() => oldEvents.closes.length === 1, 'the server side expires', 3_000);
    expect(oldEvents.closes[0]).toMatchObject({ code: 1006, final: true });
    const second = nextConnection(server.transport);
    instrumented.releasePolls();
    await until(() => got.opens.length === 2, 'the client opens again');
    expect(got.order).toEqual(['open', 'close:false', 'open']);
    expect(got.closes[0]!.reason).toMatch(/lost session/);
    expect(client.session).not.toBe(oldSession);
    const replacement = record(await second);
    client.send(numbered(5));
    await until(() => replacement.messages.length === 1, 'a message over the new session');
  });

  it('drops a message the server would refuse (E_TOO_LARGE) and sends the others', async () => {
    const server = await serve({ maxMessageBytes: 1_000 });
    const accepted = nextConnection(server.transport);
    const client = dial(server.url, { maxMessageBytes: 64 * 1024 });
    const got = record(client);
    const received = record(await accepted);
    await until(() => client.state === 'open', 'the client opens');
    client.send(numbered(1));
    client.send(numbered(2, 5_000));
    client.send(numbered(3));
    await until(() => received.messages.length === 2, 'the two small messages arrive');
    expect(received.messages.map(numberOf)).toEqual([1, 3]);
    expect(got.errors.map((e) => e.code)).toEqual(['E_TOO_LARGE']);
    expect(got.errors[0]!.message).toMatch(/5000 bytes.*at most 1000 bytes/);
    expect(client.state).toBe('open');
  });

  it('reports a 413 as E_TOO_LARGE and stays usable', async () => {
    const server = await serve({ maxMessageBytes: 1_000 });
    const instrumented = instrumentedFetch();
    // The server announces more than it enforces: the client cannot know, the server answers 413.
    instrumented.rewriteGrant((grant) => ({ ...grant, maxMessageBytes: 64 * 1024 }));
    const accepted = nextConnection(server.transport);
    const client = dial(server.url, { fetch: instrumented.fetch, maxMessageBytes: 64 * 1024 });
    const got = record(client);
    const received = record(await accepted);
    await until(() => client.state === 'open', 'the client opens');
    client.send(numbered(1, 5_000));
    await until(() => got.errors.length === 1, 'an error');
    expect(got.errors[0]!.code).toBe('E_TOO_LARGE');
    expect(got.errors[0]!.message).toMatch(/HTTP 413.*over maxMessageBytes \(1000\)/);
    client.send(numbered(2));
    await until(() => received.messages.length === 1, 'the next message arrives');
    expect(received.messages.map(numberOf)).toEqual([2]);
    expect(got.closes).toEqual([]);
    expect(client.state).toBe('open');
  });

  it('stops for good on 401 or 403: E_UNAUTHORIZED / E_FORBIDDEN with the reason, a final close, no reconnection', async () => {
    const server = await serve({
      authenticate: (request) =>
        request.headers.authorization === 'Bearer expired'
          ? { ok: false, status: 401, reason: 'token expired 3 min ago — refresh it' }
          : { ok: false, status: 403, reason: 'no access to space "team"' },
    });
    const instrumented = instrumentedFetch();
    const expired = dial(server.url, { token: 'expired', fetch: instrumented.fetch });
    const forbidden = dial(server.url, { token: 'other' });
    const a = record(expired);
    const b = record(forbidden);
    await until(() => a.closes.length === 1 && b.closes.length === 1, 'both close');
    expect(a.order).toEqual(['error:E_UNAUTHORIZED', 'close:true']);
    expect(a.errors[0]!.message).toMatch(/token expired 3 min ago — refresh it.*does not reconnect/);
    expect(a.closes[0]).toEqual({ code: 4401, reason: 'token expired 3 min ago — refresh it', final: true });
    expect(b.order).toEqual(['error:E_FORBIDDEN', 'close:true']);
    expect(b.closes[0]).toMatchObject({ code: 4403, final: true });
    expect(expired.state).toBe('closed');
    await sleep(300);
    expect(instrumented.count('POST sessions'), 'no new attempt after a refusal').toBe(1);
  });

  it('asks the token provider before each session and sends the token on every request of the session', async () => {
    const server = await serve({ authenticate: (request) => ({ ok: true, context: request.headers.authorization }) });
    const seen: string[] = [];
    server.http.prependListener('request', (request) => seen.push(`${request.method} ${request.headers.authorization}`));
    let issued = 0;
    const first = nextConnection(server.transport);
    const client = dial(server.url, { token: () => Promise.resolve(`t${++issued}`) });
    const got = record(client);
    await until(() => client.state === 'open', 'the client opens');
    client.send(numbered(1));
    await until(() => got.drains.length === 1, 'the message is accepted');
    const second = nextConnection(server.transport);
    (await first).close(1000, 'dropped by the server');
    await until(() => got.opens.length === 2, 'the client comes back');
    await second;
    expect(issued).toBe(2);
    expect(seen).toContain('POST Bearer t1');
    expect(seen).toContain('GET Bearer t1');
    expect(seen).toContain('POST Bearer t2');
    expect(seen.every((line) => /Bearer t[12]$/.test(line))).toBe(true);
  });

  it('reports one E_TRANSPORT per outage while it cannot reach the server, then opens when the server comes up', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/v1/spaces/team/http`;
    const instrumented = instrumentedFetch();
    const client = dial(url, { fetch: instrumented.fetch, reconnect: { baseMs: 10, maxMs: 40 } });
    const got = record(client);
    await until(() => instrumented.count('POST sessions') >= 4, 'several attempts');
    expect(client.state).toBe('connecting');
    expect(got.errors.map((e) => e.code)).toEqual(['E_TRANSPORT']);
    expect(got.errors[0]!.message).toMatch(/cannot create a session at .*retrying with backoff/);
    expect(() => client.send(numbered(1))).toThrow(/connecting/);
    await serve({}, port);
    await until(() => client.state === 'open', 'the client opens once the server is up');
    expect(got.order).toEqual(['error:E_TRANSPORT', 'open']);
  });

  it('waits backoffDelay(attempt, clock.random(), baseMs, maxMs) between attempts: exponential, full jitter', async () => {
    const port = await freePort();
    const delays: number[] = [];
    const clock: Clock = {
      ...systemClock,
      random: () => 0.5,
      setTimeout(callback, ms) {
        if (ms !== 9_999) delays.push(ms);
        return systemClock.setTimeout(callback, ms);
      },
    };
    const client = dial(`http://127.0.0.1:${port}/x`, { clock, reconnect: { baseMs: 40, maxMs: 200 }, requestTimeoutMs: 9_999 });
    client.on('error', () => undefined);
    await until(() => delays.length >= 6, 'six attempts', 5_000);
    client.close();
    expect(delays.slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, 0.5, 40, 200)));
    expect(delays.slice(0, 6)).toEqual([20, 40, 80, 100, 100, 100]);
  });

  it('backs off, rather than spinning, when every new session is lost at its first request', async () => {
    // A fetch double: sessions are created, but every poll and POST answers 404 (as behind a
    // load balancer that does not route a session's requests to the server that holds it).
    const requests: string[] = [];
    let created = 0;
    const fetch: HttpFetch = (url, init) => {
      requests.push(`${init.method} ${new URL(url).pathname}`);
      const session = `session${String(created).padStart(15, '0')}`;
      if (init.method === 'POST' && url.endsWith('/sessions')) {
        created++;
        return Promise.resolve(new Response(JSON.stringify({ session, pollTimeoutMs: 1_000, maxMessageBytes: 1_024 }), { status: 201 }));
      }
      return Promise.resolve(new Response('unknown session', { status: 404 }));
    };
    const delays: number[] = [];
    const clock: Clock = {
      ...systemClock,
      random: () => 0.5,
      setTimeout(callback, ms) {
        if (ms < 9_999) delays.push(ms);
        return systemClock.setTimeout(callback, ms);
      },
    };
    const client = dial('http://proxy.invalid/x', { fetch, clock, reconnect: { baseMs: 40, maxMs: 200 }, requestTimeoutMs: 9_999 });
    const got = record(client);
    // Each new session sends at once (as the engine's hello does): its POST is answered 404 too.
    client.on('open', () => client.send(numbered(1)));
    await until(() => delays.length >= 5, 'five reconnections', 5_000);
    client.close();
    expect(delays.slice(0, 5)).toEqual([20, 40, 80, 100, 100]);
    expect(got.order.slice(0, 4)).toEqual(['open', 'close:false', 'open', 'close:false']);
    expect(got.errors).toEqual([]);
  });

  it('deletes a session created after close() was called', async () => {
    const server = await serve();
    const instrumented = instrumentedFetch();
    const dialled: { client?: HttpConnection } = {};
    const closing: HttpFetch = async (url, init) => {
      const response = await instrumented.fetch(url, init);
      // close() lands while the answer to the creation is on its way.
      if (init.method === 'POST' && url.endsWith('/sessions')) dialled.client?.close();
      return response;
    };
    const client = dial(server.url, { fetch: closing });
    dialled.client = client;
    const got = record(client);
    await until(() => got.closes.length === 1 && instrumented.count('DELETE session') === 1, 'the client closes and deletes the orphan');
    await until(() => server.transport.sessions() === 0, 'no session left on the server');
    expect(got.order).toEqual(['close:true']);
  });

  it('closes for good when the session is lost and reconnect is false', async () => {
    const server = await serve();
    const accepted = nextConnection(server.transport);
    const client = dial(server.url, { reconnect: false });
    const got = record(client);
    await until(() => client.state === 'open', 'the client opens');
    (await accepted).close(1000, 'go away');
    await until(() => got.closes.length === 1, 'the client closes');
    expect(got.closes[0]).toMatchObject({ code: 1006, final: true });
    expect(got.closes[0]!.reason).toMatch(/go away/);
    expect(client.state).toBe('closed');
    await sleep(100);
    expect(server.transport.sessions()).toBe(0);
  });

  it('deletes its session on close(): final close on both ends, E_CLOSED afterwards', async () => {
    const server = await serve();
    const instrumented = instrumentedFetch();
    const accepted = nextConnection(server.transport);
    const client = dial(server.url, { fetch: instrumented.fetch });
    const got = record(client);
    const serverSide = record(await accepted);
    await until(() => client.state === 'open', 'the client opens');
    client.close(1000, 'done');
    expect(client.state).toBe('closed');
    expect(got.closes, 'no event inside close()').toEqual([]);
    expect(() => client.send(numbered(1))).toThrow(/closed/);
    await until(() => got.closes.length === 1 && serverSide.closes.length === 1, 'both ends close');
    expect(got.closes[0]).toEqual({ code: 1000, reason: 'done', final: true });
    expect(serverSide.closes[0]).toMatchObject({ final: true });
    expect(instrumented.count('DELETE session')).toBe(1);
    expect(server.transport.sessions()).toBe(0);
    client.close();
    await sleep(30);
    expect(got.closes).toHaveLength(1);
  });

  it('setUrl() moves a running connection: the old session is deleted (close 1000, final: false), a session opens on the new server at once', async () => {
    const a = await serve();
    const b = await serve();
    const onA = nextConnection(a.transport);
    const client = dial(a.url, { reconnect: { baseMs: 5_000, maxMs: 5_000 } });
    const got = record(client);
    const serverA = record(await onA);
    await until(() => client.state === 'open', 'the client opens on A');
    const onB = nextConnection(b.transport);
    client.setUrl(b.url);
    expect(client.state).toBe('connecting');
    expect(() => client.send(numbered(1))).toThrow(/connecting/);
    const serverB = record(await onB);
    await until(() => got.opens.length === 2, 'the client opens on B');
    // No backoff (5 s here) between the two: the new URL was dialled at once.
    expect(got.order).toEqual(['open', 'close:false', 'open']);
    expect(got.closes[0]).toEqual({ code: 1000, reason: `moving to ${b.url}`, final: false });
    expect(client.url).toBe(b.url);
    await until(() => serverA.closes.length === 1 && a.transport.sessions() === 0, 'the session on A is deleted');
    client.send(numbered(7));
    await until(() => serverB.messages.length === 1, 'B receives');
    expect(numberOf(serverB.messages[0]!)).toBe(7);
    expect(serverA.messages).toEqual([]);
    expect(got.errors).toEqual([]);
  });

  it('tries a list of base URLs in turn when a session cannot be created, and refuses URLs every request would fail on', async () => {
    const down = `http://127.0.0.1:${await freePort()}/v1/spaces/team/http`;
    const server = await serve();
    const client = dial([down, server.url]);
    const got = record(client);
    await until(() => client.state === 'open', 'the client opens on the second URL');
    expect(client.url).toBe(server.url);
    expect(client.urls).toEqual([down, server.url]);
    expect(got.errors.map((error) => error.code)).toEqual(['E_TRANSPORT']);
    expect(() => dial(`${server.url}?`)).toThrow(/query or a fragment/);
    expect(() => dial(`${server.url}#`)).toThrow(/fragment/);
    expect(() => dial(server.url.replace('http://', 'http://user:pw@'))).toThrow(/credentials/);
    client.close();
    expect(() => client.setUrl(server.url)).toThrow(expect.objectContaining({ code: 'E_CLOSED' }) as Error);
  });

  it('is disconnected by the server when it polls too slowly, then reconnects and receives again', async () => {
    const server = await serve({ maxQueuedBytes: 4_000, maxMessageBytes: 2_000 });
    const instrumented = instrumentedFetch();
    const first = nextConnection(server.transport);
    const client = dial(server.url, { fetch: instrumented.fetch, maxMessageBytes: 2_000 });
    const got = record(client);
    const slow = await first;
    const slowEvents = record(slow);
    await until(() => client.state === 'open', 'the client opens');
    instrumented.holdPolls();
    // A message ends the poll already pending; the next ones are held back.
    slow.send(new Uint8Array(10));
    await until(() => got.messages.length === 1, 'the pending poll takes it');
    await sleep(20);
    const sent = (): boolean => {
      try {
        slow.send(new Uint8Array(2_000));
        return true;
      } catch {
        return false;
      }
    };
    let accepted = 0;
    while (sent()) accepted++;
    expect(accepted).toBeLessThanOrEqual(2);
    await until(() => slowEvents.closes.length === 1, 'the slow session closes');
    expect(slowEvents.errors.map((e) => e.code)).toEqual(['E_TRANSPORT']);
    const second = nextConnection(server.transport);
    instrumented.releasePolls();
    await until(() => got.opens.length === 2, 'the client comes back');
    const fresh = await second;
    fresh.send(numbered(77));
    await until(() => got.messages.some((m) => m.length === 4 && numberOf(m) === 77), 'a message over the new session');
  });

  it('reports a listener that throws as E_INTERNAL on error, and keeps going', async () => {
    const server = await serve();
    const accepted = nextConnection(server.transport);
    const client = dial(server.url);
    const got = record(client);
    client.on('message', () => {
      throw new Error('bug in the app');
    });
    const serverSide = await accepted;
    await until(() => client.state === 'open', 'the client opens');
    serverSide.send(numbered(1));
    serverSide.send(numbered(2));
    await until(() => got.messages.length === 2, 'both messages reach the other listener');
    expect(got.errors.map((e) => e.code)).toEqual(['E_INTERNAL', 'E_INTERNAL']);
    expect(got.errors[0]!.message).toMatch(/'message' listener .*bug in the app/);
  });
});
