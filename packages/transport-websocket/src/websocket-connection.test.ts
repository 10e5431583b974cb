import { createManualClock, isSyncError, type ConnectionCloseInfo, type ManualClock, type SyncError } from '@softadastra/sync-core';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeWebSocketClass, type FakeWebSocket } from '../test/fake-web-socket.js';
import { createWebSocketTransport } from './browser-transport.js';
import type { WebSocketConnection } from './websocket-connection.js';
import type { WebSocketTransportOptions } from './transport-options.js';

/** Lets microtasks and promise chains run (the manual clock does not move). */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('WebSocketConnection (client) on a fake platform WebSocket and a manual clock', () => {
  let clock: ManualClock;
  let sockets: FakeWebSocket[];
  let connection: WebSocketConnection;
  let log: string[];
  let errors: SyncError[];
  let closes: ConnectionCloseInfo[];
  let randoms: number[];

  const connect = async (options: Partial<WebSocketTransportOptions> = {}): Promise<void> => {
    const fake = fakeWebSocketClass();
    sockets = fake.sockets;
    connection = createWebSocketTransport({ url: 'ws://relay.test/sync', clock, WebSocket: fake.WebSocket, heartbeatMs: 1_000, ...options });
    connection.on('open', () => log.push(`open state=${connection.state}`));
    connection.on('message', (bytes) => log.push(`message ${bytes.join(',')}`));
    connection.on('close', (info) => {
      closes.push(info);
      log.push(`close ${info.code} final=${String(info.final)} state=${connection.state}`);
    });
    connection.on('error', (error) => {
      errors.push(error);
      log.push(`error ${error.code}`);
    });
    connection.on('drain', () => log.push('drain'));
    await flush();
  };

  /** The socket of the latest attempt. */
  const current = (): FakeWebSocket => sockets.at(-1)!;
  /** How long until the next timer (the reconnect delay, right after a failure). */
  const nextDelay = (): number => clock.nextAt()! - clock.now();

  beforeEach(() => {
    randoms = [];
    clock = createManualClock({ random: () => randoms.shift() ?? 0.5 });
    log = [];
    errors = [];
    closes = [];
  });

  it('dials right after the factory returns, never inside it', async () => {
    const fake = fakeWebSocketClass();
    connection = createWebSocketTransport({ url: 'ws://relay.test/sync', clock, WebSocket: fake.WebSocket });
    expect(fake.sockets).toHaveLength(0);
    expect(connection.state).toBe('connecting');
    await flush();
    expect(fake.sockets).toHaveLength(1);
    expect(fake.sockets[0]!.url).toBe('ws://relay.test/sync');
    connection.close();
  });

  it('declares ordered, reliable, reconnecting capabilities with its maxMessageBytes', async () => {
    await connect({ maxMessageBytes: 2048 });
    expect(connection.capabilities).toEqual({ ordered: true, reliable: true, maxMessageBytes: 2048, reconnects: true });
    expect(connection.url).toBe('ws://relay.test/sync');
  });

  it('sends the token as the access_token query parameter on a platform WebSocket, asking the provider at every attempt', async () => {
    let n = 0;
    await connect({ token: () => Promise.resolve(`tok ${++n}`) });
    expect(new URL(current().url).searchParams.get('access_token')).toBe('tok 1');
    current().fail();
    clock.runNext();
    await flush();
    expect(new URL(current().url).searchParams.get('access_token')).toBe('tok 2');
    expect(new URL(current().url).pathname).toBe('/sync');
  });

  it("throws E_CLOSED from send() while connecting, then opens: 'open' with state 'open', messages both ways", async () => {
    await connect();
    expect(() => connection.send(new Uint8Array([1]))).toThrow(expect.objectContaining({ code: 'E_CLOSED' }) as Error);
    current().open();
    expect(log).toEqual(['open state=open']);
    connection.send(new Uint8Array([1, 2]));
    expect([...current().binary()[0]!]).toEqual([1, 2]);
    current().receive(new Uint8Array([3]).buffer);
    expect(log).toContain('message 3');
  });

  it('throws E_TOO_LARGE synchronously over maxMessageBytes and stays open', async () => {
    await connect({ maxMessageBytes: 10 });
    current().open();
    expect(() => connection.send(new Uint8Array(11))).toThrow(expect.objectContaining({ code: 'E_TOO_LARGE' }) as Error);
    expect(connection.state).toBe('open');
  });

  it("after a drop: 'close' with final: false while 'connecting', then 'open' again on the next socket", async () => {
    await connect();
    current().open();
    current().receive('pong');
    current().drop(1001, 'server going away');
    expect(log.at(-1)).toBe('close 1001 final=false state=connecting');
    expect(() => connection.send(new Uint8Array([1]))).toThrow(expect.objectContaining({ code: 'E_CLOSED' }) as Error);
    clock.runNext();
    await flush();
    expect(sockets).toHaveLength(2);
    current().open();
    expect(log.at(-1)).toBe('open state=open');
    expect(errors).toEqual([]);
  });

  it('waits a full-jitter exponential backoff between failed attempts, capped at maxMs', async () => {
    randoms.push(0.5, 0.5, 0.5, 0.5, 0.5, 0.999, 0);
    await connect({ reconnect: { baseMs: 100, maxMs: 1_000 } });
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      current().fail();
      delays.push(nextDelay());
      clock.runNext();
      await flush();
    }
    // floor(random × min(maxMs, baseMs × 2^attempt))
    expect(delays).toEqual([50, 100, 200, 400, 500, 999, 0]);
  });

  it('starts the backoff over once a link worked (a frame arrived), not merely opened', async () => {
    await connect({ reconnect: { baseMs: 100, maxMs: 10_000 } });
    for (let i = 0; i < 3; i++) {
      current().fail();
      clock.runNext();
      await flush();
    }
    // Opens, hears nothing, drops: still backing off (attempt 3 → ceiling 800).
    current().open();
    current().drop();
    expect(nextDelay()).toBe(400);
    clock.runNext();
    await flush();
    // Opens and hears a frame: the next drop starts over (ceiling 100).
    current().open();
    current().receive('pong');
    current().drop();
    expect(nextDelay()).toBe(50);
  });

  it('reports one error per outage, not one per retry', async () => {
    await connect();
    for (let i = 0; i < 5; i++) {
      current().fail('connect ECONNREFUSED 127.0.0.1:1');
      clock.runNext();
      await flush();
    }
    expect(errors.map((e) => e.code)).toEqual(['E_TRANSPORT']);
    expect(errors[0]!.message).toMatch(/ECONNREFUSED.*retrying with backoff/);
    current().open();
    current().drop();
    current().fail();
    clock.runNext();
    await flush();
    current().fail();
    expect(errors).toHaveLength(2);
  });

  it('gives up an attempt that does not open within 2 × heartbeatMs (E_TIMEOUT) and retries', async () => {
    await connect({ heartbeatMs: 1_000 });
    clock.advance(1_999);
    expect(errors).toEqual([]);
    clock.advance(1);
    expect(errors.map((e) => e.code)).toEqual(['E_TIMEOUT']);
    expect(sockets[0]!.closedWith).toBeDefined();
    clock.runNext();
    await flush();
    expect(sockets).toHaveLength(2);
  });

  it("replaces a link that went silent: heartbeat timeout → 'error' E_TIMEOUT, 'close' final: false, reconnect", async () => {
    await connect({ heartbeatMs: 1_000 });
    current().open();
    clock.advance(2_000);
    expect(log.slice(1)).toEqual(['error E_TIMEOUT', 'close 1006 final=false state=connecting']);
    clock.runNext();
    await flush();
    expect(sockets).toHaveLength(2);
  });

  it("closes for good on close(): one final 'close' from a microtask, the socket closed with the code, no reconnection", async () => {
    await connect();
    current().open();
    connection.close(4000, 'done');
    expect(connection.state).toBe('closed');
    expect(closes).toEqual([]);
    await flush();
    expect(closes).toEqual([{ code: 4000, reason: 'done', final: true }]);
    expect(current().closedWith).toEqual({ code: 4000, reason: 'done' });
    current().drop(4000, 'done');
    connection.close();
    clock.runUntilIdle();
    await flush();
    expect(sockets).toHaveLength(1);
    expect(closes).toHaveLength(1);
    expect(() => connection.send(new Uint8Array([1]))).toThrow(expect.objectContaining({ code: 'E_CLOSED' }) as Error);
  });

  it('sends close codes a browser accepts: 1000 on the wire for a code it would refuse, the given code in the event', async () => {
    await connect();
    current().open();
    connection.close(1006, 'peer crashed');
    await flush();
    expect(current().closedWith?.code).toBe(1000);
    expect(closes[0]!.code).toBe(1006);
  });

  it('can be closed while connecting: the pending attempt is abandoned', async () => {
    await connect();
    current().fail();
    connection.close();
    clock.runUntilIdle();
    await flush();
    expect(sockets).toHaveLength(1);
    expect(closes).toEqual([{ code: 1000, reason: '', final: true }]);
  });

  for (const [code, error] of [
    [4401, 'E_UNAUTHORIZED'],
    [4403, 'E_FORBIDDEN'],
  ] as const) {
    it(`stops for good on close code ${code}: 'error' ${error} with the reason, final 'close', no reconnection`, async () => {
      await connect();
      current().open();
      current().drop(code, 'token expired: sign in again');
      expect(errors.map((e) => e.code)).toEqual([error]);
      expect(errors[0]!.message).toContain('token expired: sign in again');
      expect(closes).toEqual([{ code, reason: 'token expired: sign in again', final: true }]);
      expect(connection.state).toBe('closed');
      clock.runUntilIdle();
      await flush();
      expect(sockets).toHaveLength(1);
    });
  }

  it('makes every drop final with reconnect: false', async () => {
    await connect({ reconnect: false });
    expect(connection.capabilities.reconnects).toBe(false);
    current().open();
    current().drop(1006);
    expect(closes).toEqual([{ code: 1006, reason: 'the link was lost', final: true }]);
    expect(connection.state).toBe('closed');
    clock.runUntilIdle();
    await flush();
    expect(sockets).toHaveLength(1);
  });

  it('drops a link whose buffer would exceed maxBufferedBytes: send() throws E_CLOSED, the events follow from a microtask, then it reconnects', async () => {
    await connect({ maxMessageBytes: 100, maxBufferedBytes: 1_000 });
    current().open();
    current().bufferedAmount = 950;
    let thrown: unknown;
    try {
      connection.send(new Uint8Array(100));
    } catch (error) {
      thrown = error;
    }
    expect(isSyncError(thrown) && thrown.code).toBe('E_CLOSED');
    expect(connection.state).toBe('connecting');
    expect(log).toEqual(['open state=open']);
    await flush();
    expect(log.slice(1)).toEqual(['error E_TRANSPORT', 'close 1006 final=false state=connecting']);
    expect(errors[0]!.message).toMatch(/maxBufferedBytes/);
    clock.runNext();
    await flush();
    expect(sockets).toHaveLength(2);
  });

  it("forwards 'drain' from the link", async () => {
    await connect();
    current().open();
    current().bufferedAmount = 10;
    connection.send(new Uint8Array([1]));
    expect(connection.bufferedAmount).toBe(10);
    current().bufferedAmount = 0;
    clock.advance(100);
    expect(log).toContain('drain');
  });

  it("reports a listener that throws as E_INTERNAL on 'error', and still calls the other listeners", async () => {
    await connect();
    const seen: string[] = [];
    connection.on('open', () => {
      throw new Error('bug in a listener');
    });
    connection.on('open', () => seen.push('second listener'));
    current().open();
    expect(seen).toEqual(['second listener']);
    expect(errors.map((e) => e.code)).toEqual(['E_INTERNAL']);
    expect(errors[0]!.message).toMatch(/'open' listener .* threw: bug in a listener/);
  });

  it('refuses a URL that is not ws:// or wss://, and options that make no sense', () => {
    const { WebSocket } = fakeWebSocketClass();
    expect(() => createWebSocketTransport({ url: 'http://relay.test', WebSocket })).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }) as Error);
    expect(() => createWebSocketTransport({ url: 'not a url', WebSocket })).toThrow(/not a valid URL/);
    expect(() => createWebSocketTransport({ url: 'ws://x', WebSocket, maxMessageBytes: 100, maxBufferedBytes: 99 })).toThrow(/maxBufferedBytes/);
    expect(() => createWebSocketTransport({ url: 'ws://x', WebSocket, reconnect: { baseMs: 500, maxMs: 100 } })).toThrow(/reconnect.maxMs/);
    expect(() => createWebSocketTransport({ url: 'ws://x', WebSocket, heartbeatMs: 0 })).toThrow(/heartbeatMs/);
    // URLs every dial would fail on are refused at once instead of retried forever.
    expect(() => createWebSocketTransport({ url: 'ws://relay.test/sync#a', WebSocket })).toThrow(/fragment/);
    expect(() => createWebSocketTransport({ url: 'ws://user:pw@relay.test/sync', WebSocket })).toThrow(/credentials/);
    expect(() => createWebSocketTransport({ url: [], WebSocket })).toThrow(/at least one/);
    expect(() => createWebSocketTransport({ url: ['ws://a', 'http://b'], WebSocket })).toThrow(/url\[1\]/);
  });

  it('tries a list of URLs in turn, moving to the next after each failed attempt, and stays on one that worked', async () => {
    await connect({ url: ['ws://a.test/sync', 'ws://b.test/sync'] });
    expect(connection.urls).toEqual(['ws://a.test/sync', 'ws://b.test/sync']);
    expect(current().url).toBe('ws://a.test/sync');
    current().fail();
    expect(connection.url).toBe('ws://b.test/sync');
    clock.runNext();
    await flush();
    expect(current().url).toBe('ws://b.test/sync');
    current().open();
    current().receive(new Uint8Array([1]).buffer);
    current().drop(1006);
    await flush();
    clock.runNext();
    await flush();
    expect(current().url).toBe('ws://b.test/sync');
    expect(sockets.map((socket) => socket.url)).toEqual(['ws://a.test/sync', 'ws://b.test/sync', 'ws://b.test/sync']);
  });

  it("setUrl() closes an open link cleanly ('close' 1000, final: false) and dials the new URL at once", async () => {
    await connect();
    const old = current();
    old.open();
    await flush();
    connection.setUrl('ws://other.test/sync');
    expect(connection.state).toBe('connecting');
    expect(old.closedWith).toMatchObject({ code: 1000 });
    expect(() => connection.send(new Uint8Array([1]))).toThrow(expect.objectContaining({ code: 'E_CLOSED' }) as Error);
    await flush();
    expect(closes).toEqual([{ code: 1000, reason: 'moving to ws://other.test/sync', final: false }]);
    // No backoff: the new URL is dialled right away.
    expect(sockets).toHaveLength(2);
    expect(current().url).toBe('ws://other.test/sync');
    expect(connection.url).toBe('ws://other.test/sync');
    // The old socket's late close is ignored.
    old.drop(1000);
    current().open();
    await flush();
    expect(log.filter((line) => line.startsWith('open') || line.startsWith('close'))).toEqual([
      'open state=open',
      'close 1000 final=false state=connecting',
      'open state=open',
    ]);
    expect(errors).toEqual([]);
  });

  it('setUrl() while connecting abandons the attempt in flight; after close() it throws E_CLOSED', async () => {
    await connect();
    const dialling = current();
    connection.setUrl(['ws://b.test/x', 'ws://c.test/x']);
    await flush();
    expect(dialling.closedWith).toBeDefined();
    dialling.open();
    await flush();
    expect(connection.state).toBe('connecting');
    expect(current().url).toBe('ws://b.test/x');
    current().open();
    await flush();
    expect(connection.state).toBe('open');
    expect(() => connection.setUrl('nope')).toThrow(/not a valid URL/);
    connection.close();
    expect(() => connection.setUrl('ws://d.test/x')).toThrow(expect.objectContaining({ code: 'E_CLOSED' }) as Error);
  });

  it('refuses to start without any WebSocket class (the browser entry on a platform without one)', () => {
    vi.stubGlobal('WebSocket', undefined);
    try {
      expect(() => createWebSocketTransport({ url: 'ws://x' })).toThrow(/no WebSocket class/);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
