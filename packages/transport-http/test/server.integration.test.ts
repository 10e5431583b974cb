import { afterEach, describe, expect, it } from 'vitest';
import type { HttpServerConnection, HttpTransportServerOptions } from '../src/index.js';
import { decodeFrames, encodeFrames } from '../src/message-framing.js';
import { BASE, nextConnection, nextConnectionWithInfo, record, sleep, startServer, until, type TestServer } from './helpers.js';

// The wire protocol as any HTTP client sees it: plain fetch against a real server.

const servers: TestServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(options: HttpTransportServerOptions = {}): Promise<TestServer> {
  const server = await startServer(options);
  servers.push(server);
  return server;
}

/** Creates a session; resolves with its id and its server-side connection. */
async function open(server: TestServer, headers: Record<string, string> = {}): Promise<{ id: string; connection: HttpServerConnection }> {
  const accepted = nextConnection(server.transport);
  const response = await fetch(`${server.url}/sessions`, { method: 'POST', headers });
  expect(response.status).toBe(201);
  const grant = (await response.json()) as { session: string };
  return { id: grant.session, connection: await accepted };
}

function post(server: TestServer, id: string, body: Uint8Array<ArrayBuffer>): Promise<Response> {
  return fetch(`${server.url}/sessions/${id}/messages`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body });
}

async function poll(server: TestServer, id: string, wait?: number): Promise<{ status: number; messages: Uint8Array[]; ms: number; text: string }> {
  const started = Date.now();
  const response = await fetch(`${server.url}/sessions/${id}/messages${wait === undefined ? '' : `?wait=${wait}`}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const ok = response.status === 200;
  return { status: response.status, messages: ok ? decodeFrames(bytes) : [], ms: Date.now() - started, text: ok ? '' : new TextDecoder().decode(bytes) };
}

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

describe('HTTP transport server: the wire protocol', () => {
  it('creates a session: 201 with a 128-bit id, the poll timeout and the message limit, and an open connection', async () => {
    const server = await serve({ pollTimeoutMs: 1_234, maxMessageBytes: 5_000 });
    const accepted = nextConnectionWithInfo(server.transport);
    const response = await fetch(`${server.url}/sessions`, { method: 'POST' });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('application/json');
    const grant = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(grant).sort()).toEqual(['maxMessageBytes', 'pollTimeoutMs', 'session']);
    expect(grant.session).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(grant).toMatchObject({ pollTimeoutMs: 1_234, maxMessageBytes: 5_000 });
    const [connection, info] = await accepted;
    expect(connection.session).toBe(grant.session);
    expect(connection.state).toBe('open');
    expect(connection.remote).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(connection.capabilities).toEqual({ ordered: true, reliable: false, maxMessageBytes: 5_000, reconnects: false });
    expect(info.request.method).toBe('POST');
    expect(info.context).toBeUndefined();
    expect(server.transport.sessions()).toBe(1);
  });

  it('delivers the messages of a POST in order, then answers 204', async () => {
    const server = await serve();
    const { id, connection } = await open(server);
    const got = record(connection);
    const first = await post(server, id, encodeFrames([bytes(1), bytes(), bytes(2, 2)]));
    expect(first.status).toBe(204);
    const second = await post(server, id, encodeFrames([bytes(3)]));
    expect(second.status).toBe(204);
    expect(got.messages).toEqual([bytes(1), bytes(), bytes(2, 2), bytes(3)]);
  });

  it('answers a long poll as soon as a message is queued, with everything queued in the same tick', async () => {
    const server = await serve();
    const { id, connection } = await open(server);
    const polled = poll(server, id, 5_000);
    await sleep(100);
    connection.send(bytes(1));
    connection.send(bytes(2));
    connection.send(bytes(3));
    const answer = await polled;
    expect(answer.status).toBe(200);
    expect(answer.messages).toEqual([bytes(1), bytes(2), bytes(3)]);
    expect(answer.ms).toBeLessThan(2_000);
    expect(connection.bufferedAmount).toBe(0);
  });

  it('answers a poll at once with what is already queued, and a message handed out is gone from the queue', async () => {
    const server = await serve();
    const { id, connection } = await open(server);
    connection.send(bytes(7));
    expect(connection.bufferedAmount).toBe(1);
    const answer = await poll(server, id, 5_000);
    expect(answer.messages).toEqual([bytes(7)]);
    const again = await poll(server, id, 0);
    expect(again.status).toBe(204);
  });

  it('answers 204 when the wait runs out, and caps the wait at pollTimeoutMs', async () => {
    const server = await serve({ pollTimeoutMs: 300 });
    const { id } = await open(server);
    const short = await poll(server, id, 100);
    expect(short.status).toBe(204);
    expect(short.ms).toBeGreaterThanOrEqual(90);
    const capped = await poll(server, id, 60_000);
    expect(capped.status).toBe(204);
    expect(capped.ms).toBeGreaterThanOrEqual(290);
    expect(capped.ms).toBeLessThan(3_000);
    const defaulted = await poll(server, id);
    expect(defaulted.status).toBe(204);
    expect(defaulted.ms).toBeGreaterThanOrEqual(290);
  });

  it('answers a superseded poll with 204 at once, and hands messages to the newer one', async () => {
    const server = await serve();
    const { id, connection } = await open(server);
    const older = poll(server, id, 10_000);
    await sleep(50);
    const newer = poll(server, id, 10_000);
    const first = await older;
    expect(first.status).toBe(204);
    expect(first.ms).toBeLessThan(5_000);
    await sleep(20);
    connection.send(bytes(9));
    const second = await newer;
    expect(second.status).toBe(200);
    expect(second.messages).toEqual([bytes(9)]);
  });

  it('refuses a message over maxMessageBytes with 413 and a reason, delivers nothing of that request, and stays usable', async () => {
    const server = await serve({ maxMessageBytes: 1_000 });
    const { id, connection } = await open(server);
    const got = record(connection);
    const refused = await post(server, id, encodeFrames([bytes(1), new Uint8Array(1_001), bytes(2)]));
    expect(refused.status).toBe(413);
    expect(await refused.text()).toMatch(/message 2 of this body has 1001 bytes, over maxMessageBytes \(1000\).*nothing of this request was delivered/);
    expect(refused.headers.get('softadastra-reason')).toMatch(/over maxMessageBytes/);
    const accepted = await post(server, id, encodeFrames([new Uint8Array(1_000), bytes(3)]));
    expect(accepted.status).toBe(204);
    expect(got.messages.map((m) => m.length)).toEqual([1_000, 1]);
    expect(connection.state).toBe('open');
    expect(got.closes).toEqual([]);
  });

  it('refuses a body over its limit with 413 without reading it into memory, and a malformed body with 400', async () => {
    const server = await serve({ maxMessageBytes: 1_000 });
    const { id, connection } = await open(server);
    const got = record(connection);
    const many = encodeFrames(Array.from({ length: 1_100 }, () => new Uint8Array(1_000)));
    const tooBig = await post(server, id, many);
    expect(tooBig.status).toBe(413);
    expect(await tooBig.text()).toMatch(/request body over 1048576 bytes/);
    const truncated = await post(server, id, new Uint8Array([5, 0, 0, 0, 1]));
    expect(truncated.status).toBe(400);
    expect(got.messages).toEqual([]);
    expect((await post(server, id, encodeFrames([bytes(1)]))).status).toBe(204);
    expect(got.messages).toEqual([bytes(1)]);
  });

  it('refuses a streamed (chunked) body once it passes the limit, and the client still reads the 413', async () => {
    const { request } = await import('node:http');
    const server = await serve({ maxMessageBytes: 1_000 });
    const { id, connection } = await open(server);
    const got = record(connection);
    const status = await new Promise<number>((resolve, reject) => {
      const outgoing = request(`${server.url}/sessions/${id}/messages`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' } }, (incoming) => {
        incoming.resume();
        resolve(incoming.statusCode ?? 0);
      });
      outgoing.on('error', reject);
      const chunk = encodeFrames(Array.from({ length: 64 }, () => new Uint8Array(1_000)));
      // About 1.3 MB without a Content-Length: the server finds out while reading.
      for (let i = 0; i < 20; i++) outgoing.write(chunk);
      outgoing.end();
    });
    expect(status).toBe(413);
    expect(got.messages).toEqual([]);
    expect(connection.state).toBe('open');
  });

  it('answers 404 for an unknown session, and for a session under another base', async () => {
    const server = await serve();
    const { id } = await open(server);
    const unknown = 'AAAAAAAAAAAAAAAAAAAAAA';
    expect((await post(server, unknown, encodeFrames([bytes(1)]))).status).toBe(404);
    const polled = await poll(server, unknown, 0);
    expect(polled.status).toBe(404);
    expect(polled.text).toMatch(/unknown or expired session .*create a new one with POST \/v1\/spaces\/team\/http\/sessions/);
    expect((await fetch(`${server.url}/sessions/not-an-id`, { method: 'DELETE' })).status).toBe(404);
    // The same id under another base (as another space of a relay would be): not found there.
    const other = await fetch(`http://127.0.0.1:${server.port}/v1/spaces/other/http/sessions/${id}/messages?wait=0`);
    expect(other.status).toBe(404);
  });

  it('closes the server-side connection on DELETE: 204, a final close, and 404 afterwards', async () => {
    const server = await serve();
    const { id, connection } = await open(server);
    const got = record(connection);
    const deleted = await fetch(`${server.url}/sessions/${id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    await until(() => got.closes.length === 1, 'the connection closes');
    expect(got.closes[0]).toEqual({ code: 1000, reason: 'closed by the client', final: true });
    expect(connection.state).toBe('closed');
    expect(server.transport.sessions()).toBe(0);
    expect((await poll(server, id, 0)).status).toBe(404);
  });

  it('answers 405 with Allow for a wrong method, 400 for a bad wait, and leaves other routes to the next handler', async () => {
    const server = await serve();
    const { id } = await open(server);
    const getSessions = await fetch(`${server.url}/sessions`);
    expect(getSessions.status).toBe(405);
    expect(getSessions.headers.get('allow')).toBe('POST');
    const put = await fetch(`${server.url}/sessions/${id}/messages`, { method: 'PUT', body: 'x' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
    expect((await fetch(`${server.url}/sessions/${id}`)).status).toBe(405);
    expect((await fetch(`${server.url}/sessions/${id}/other`)).status).toBe(404);
    const badWait = await fetch(`${server.url}/sessions/${id}/messages?wait=soon`);
    expect(badWait.status).toBe(400);
    // Not the transport's: the host server's own routes answer.
    expect(await (await fetch(`http://127.0.0.1:${server.port}/healthz`)).text()).toBe('ok');
    expect((await fetch(`http://127.0.0.1:${server.port}${BASE}`)).status).toBe(404);
  });

  it('queues for the client: bufferedAmount counts the queued bytes, and drain fires when a poll empties a queue that went above the low-water mark', async () => {
    // maxQueuedBytes 8000: the low-water mark is a quarter, 2000 bytes.
    const server = await serve({ maxQueuedBytes: 8_000, maxMessageBytes: 4_000 });
    const { id, connection } = await open(server);
    const got = record(connection);
    connection.send(new Uint8Array(500));
    expect(connection.bufferedAmount).toBe(500);
    expect((await poll(server, id, 0)).messages).toHaveLength(1);
    await sleep(20);
    expect(got.drains, 'no drain below the low-water mark').toEqual([]);
    connection.send(new Uint8Array(3_000));
    connection.send(new Uint8Array(100));
    expect(connection.bufferedAmount).toBe(3_100);
    const answer = await poll(server, id, 0);
    expect(answer.messages.map((m) => m.length)).toEqual([3_000, 100]);
    await until(() => got.drains.length === 1, 'drain');
    expect(connection.bufferedAmount).toBe(0);
  });

  it('disconnects a client that polls too slowly instead of queueing past maxQueuedBytes', async () => {
    const server = await serve({ maxQueuedBytes: 4_000, maxMessageBytes: 2_000 });
    const { id, connection } = await open(server);
    const got = record(connection);
    connection.send(new Uint8Array(2_000));
    connection.send(new Uint8Array(2_000));
    let thrown: unknown;
    try {
      connection.send(new Uint8Array(1));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'E_CLOSED' });
    expect(connection.state).toBe('closed');
    await until(() => got.closes.length === 1, 'the connection closes');
    expect(got.errors.map((e) => e.code)).toEqual(['E_TRANSPORT']);
    expect(got.errors[0]!.message).toMatch(/maxQueuedBytes/);
    expect(got.closes[0]).toMatchObject({ code: 1006, final: true });
    expect(got.order).toEqual(['error:E_TRANSPORT', 'close:true']);
    expect((await poll(server, id, 0)).status).toBe(404);
  });

  it('expires a session nobody polls, and a pending poll holds the expiry off', async () => {
    const server = await serve({ sessionTtlMs: 200, pollTimeoutMs: 400 });
    const idle = await open(server);
    const polled = await open(server);
    const idleEvents = record(idle.connection);
    const polledEvents = record(polled.connection);
    // A 400 ms poll: longer than the TTL, but the session lives while it is pending.
    const answer = await poll(server, polled.id, 400);
    expect(answer.status).toBe(204);
    expect(polled.connection.state).toBe('open');
    await until(() => idleEvents.closes.length === 1, 'the idle session expires');
    expect(idleEvents.closes[0]).toMatchObject({ code: 1006, final: true });
    expect(idleEvents.closes[0]!.reason).toMatch(/did not poll for 200 ms/);
    expect(idleEvents.errors).toEqual([]);
    // Once the poll is over, the other one expires too.
    await until(() => polledEvents.closes.length === 1, 'the polled session expires after its last poll');
    expect(server.transport.sessions()).toBe(0);
  });

  it('answers the pending poll (and later ones) 404 when the server side closes, or 401/403 for the codes 4401/4403', async () => {
    const server = await serve();
    const plain = await open(server);
    const revoked = await open(server);
    const plainPoll = poll(server, plain.id, 10_000);
    const revokedPoll = poll(server, revoked.id, 10_000);
    await sleep(50);
    plain.connection.close(1000, 'bye');
    revoked.connection.close(4403, 'access revoked');
    const [a, b] = await Promise.all([plainPoll, revokedPoll]);
    expect(a.status).toBe(404);
    expect(a.text).toMatch(/bye/);
    expect(b.status).toBe(403);
    expect(b.text).toMatch(/access revoked/);
    // A client that was between two polls learns the same from its next one.
    const later = await Promise.all([poll(server, plain.id, 0), poll(server, revoked.id, 0)]);
    expect(later.map((answer) => answer.status)).toEqual([404, 403]);
    expect(later[1].text).toMatch(/session .* is closed: access revoked/);
  });

  it('authenticates session creation: 401 with a challenge, 403, the context to the listener, 500 and an error event when the hook throws', async () => {
    const errors: string[] = [];
    const server = await serve({
      authenticate: (request) => {
        const header = request.headers.authorization;
        if (header === 'Bearer boom') throw new Error('database down');
        if (header === undefined) return { ok: false, status: 401, reason: 'no token: sign in first' };
        if (header !== 'Bearer good') return Promise.resolve({ ok: false, status: 403, reason: 'this token cannot open space "team"' });
        return { ok: true, context: { user: 'ada' } };
      },
    });
    server.transport.on('error', (error) => errors.push(`${error.code} ${error.message}`));
    const anonymous = await fetch(`${server.url}/sessions`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toBe('no token: sign in first\n');
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer realm="softadastra-sync"/);
    const wrong = await fetch(`${server.url}/sessions`, { method: 'POST', headers: { Authorization: 'Bearer bad' } });
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).toMatch(/cannot open space "team"/);
    const broken = await fetch(`${server.url}/sessions`, { method: 'POST', headers: { Authorization: 'Bearer boom' } });
    expect(broken.status).toBe(500);
    await broken.arrayBuffer();
    expect(errors).toEqual([expect.stringMatching(/^E_INTERNAL .*database down/)]);
    expect(server.transport.sessions()).toBe(0);
    const accepted = nextConnectionWithInfo(server.transport);
    const good = await fetch(`${server.url}/sessions`, { method: 'POST', headers: { Authorization: 'Bearer good' } });
    expect(good.status).toBe(201);
    await good.arrayBuffer();
    const [, info] = await accepted;
    expect(info.context).toEqual({ user: 'ada' });
  });

  it('tells the client why when a connection listener closes the session at once', async () => {
    const server = await serve();
    server.transport.on('connection', (connection) => connection.close(4403, 'space is read-only for you'));
    const refused = await fetch(`${server.url}/sessions`, { method: 'POST' });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toMatch(/space is read-only for you/);
    expect(server.transport.sessions()).toBe(0);
  });

  it('closes every session on close(): pending polls get 503, connections close with 1001, later requests 503', async () => {
    const server = await serve();
    const { id, connection } = await open(server);
    const got = record(connection);
    const pending = poll(server, id, 10_000);
    await sleep(50);
    await server.transport.close();
    const answer = await pending;
    expect(answer.status).toBe(503);
    await until(() => got.closes.length === 1, 'the connection closes');
    expect(got.closes[0]).toEqual({ code: 1001, reason: 'server going away', final: true });
    expect(server.transport.sessions()).toBe(0);
    const late = await fetch(`${server.url}/sessions`, { method: 'POST' });
    expect(late.status).toBe(503);
  });

  it('serves the base given to handle(), or the basePath option by default', async () => {
    const { createHttpTransportServer } = await import('../src/index.js');
    const { createServer } = await import('node:http');
    const transport = createHttpTransportServer({ basePath: '/sync/' });
    const http = createServer((request, response) => {
      if (!transport.handle(request, response)) {
        response.writeHead(418);
        response.end();
      }
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as { port: number }).port;
    try {
      const created = await fetch(`http://127.0.0.1:${port}/sync/sessions`, { method: 'POST' });
      expect(created.status).toBe(201);
      await created.arrayBuffer();
      expect((await fetch(`http://127.0.0.1:${port}/sessions`, { method: 'POST' })).status).toBe(418);
      expect((await fetch(`http://127.0.0.1:${port}/sync/other`)).status).toBe(418);
      expect(() => transport.handle({ url: '/x' } as never, {} as never, 'relative')).toThrow(/must be a path starting with "\/"/);
    } finally {
      await transport.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });

  it('refuses bad options with E_INVALID_ARGUMENT', async () => {
    const { createHttpTransportServer } = await import('../src/index.js');
    expect(() => createHttpTransportServer({ maxMessageBytes: 0 })).toThrow(/maxMessageBytes/);
    expect(() => createHttpTransportServer({ pollTimeoutMs: -1 })).toThrow(/pollTimeoutMs/);
    expect(() => createHttpTransportServer({ sessionTtlMs: 0 })).toThrow(/sessionTtlMs/);
    expect(() => createHttpTransportServer({ maxMessageBytes: 2_000, maxQueuedBytes: 1_000 })).toThrow(/maxQueuedBytes/);
    expect(() => createHttpTransportServer({ basePath: 'sync' })).toThrow(/basePath/);
    expect(() => createHttpTransportServer({ authenticate: 'yes' as never })).toThrow(/authenticate/);
  });
});
