import { describe, expect, it } from 'vitest';
import type { SyncEngine } from '@softadastra/sync-engine';
import { signToken } from '../src/index.js';
import { eventually } from './helpers.js';
import { RawClient, type RelayProcess, SECRET, SPACE, expectRelayServes, rawHttp, statusOf, token, withHostileRelay } from './hostile/relay-process.js';

// Malformed URLs and headers, and every kind of token, against a real relay process.
let relay: RelayProcess;
let pair: [SyncEngine, SyncEngine];
withHostileRelay((started, honest) => {
  relay = started;
  pair = honest;
});

const upgrade = (path: string, extra = ''): string =>
  `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer ${token('mallory')}\r\n${extra}\r\n`;
const post = (path: string, extra = ''): string => `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token('mallory')}\r\nContent-Length: 0\r\n${extra}\r\n`;

describe('hostile requests: malformed URLs and headers', () => {
  const malformed = ['%ff', 'a%', 'a%zz', '%C0%AE%C0%AE', '%', '%%', '%e0%a4%a', '%ED%A0%80', '..', '%2e%2e', 'a%2Fb', '-lead', 'x'.repeat(200)];

  it('answers a malformed space name with 400 on the WebSocket upgrade path, and stays up', async () => {
    for (const name of malformed) {
      const answer = await rawHttp(relay, upgrade(`/v1/spaces/${name}`));
      expect(statusOf(answer), `upgrade /v1/spaces/${name}`).toBe(400);
    }
    await expectRelayServes(relay, pair);
  });

  it('answers a malformed space name with 400 on the HTTP transport (POST …/http/sessions), and stays up', async () => {
    for (const name of malformed) {
      const answer = await rawHttp(relay, post(`/v1/spaces/${name}/http/sessions`));
      expect(statusOf(answer), `POST /v1/spaces/${name}/http/sessions`).toBe(400);
    }
    await expectRelayServes(relay, pair);
  });

  it('answers other malformed requests and headers without falling over', async () => {
    const shapes: Array<[string, number[]]> = [
      ['GARBAGE\r\n\r\n', [400]],
      ['\x00\x01\x02\x03\r\n\r\n', [400]],
      [`GET /v1/spaces/${'a'.repeat(5000)} HTTP/1.1\r\nHost: x\r\n\r\n`, [400, 414]],
      [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(20_000)}\r\n\r\n`, [431]],
      ['OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n', [400, 404]],
      ['CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', [405]],
      [`GET http://evil/v1/spaces/%ff HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`, [400]],
      [upgrade(`/v1/spaces/${SPACE}?access_token=%zz%`), [101]],
      [upgrade(`/v1/spaces/${SPACE}`).replace('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 99'), [400, 426]],
      [upgrade(`/v1/spaces/${SPACE}`).replace(/Sec-WebSocket-Key: [^\r]*\r\n/, ''), [400]],
      [`GET /v1/spaces/${SPACE} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer ${'\u00ff'.repeat(100)}\r\n\r\n`, [401]],
      [`GET /v1/spaces/${SPACE} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer a.b.c.d.e\r\n\r\n`, [401]],
      [post('/v1/spaces/team/http/sessions/%ff/messages'), [404]],
      [`GET /v1/spaces/team/http/sessions/x/messages?wait=%ff HTTP/1.1\r\nHost: x\r\n\r\n`, [400, 404]],
      [`POST /v1/spaces/team/http/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n`, [400]],
    ];
    for (const [request, statuses] of shapes) {
      const answer = await rawHttp(relay, request, 1_000);
      expect(statuses, `${JSON.stringify(request.slice(0, 60))} → ${answer.slice(0, 40)}`).toContain(statusOf(answer));
    }
    await expectRelayServes(relay, pair);
  });
});

describe('hostile requests: tokens', () => {
  it('refuses missing, forged, alg=none, expired and wrong-space tokens before the upgrade', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: 'mallory', spaces: ['*'], rights: 'write', exp: 9e9 })).toString('base64url');
    const cases: Array<[string | undefined, string]> = [
      [undefined, '401'],
      [signToken({ sub: 'mallory', spaces: [SPACE], rights: 'write', exp: 9e9 }, 'not-the-secret'), '401'],
      [`${header}.${payload}.`, '401'],
      [token('mallory', 'write', { expInS: -60 }), '401'],
      [token('mallory', 'write', { spaces: ['elsewhere'] }), '403'],
      [signToken({ sub: '../../etc', spaces: [SPACE], rights: 'write', exp: 9e9 }, SECRET), '401'],
    ];
    for (const [bearer, status] of cases) await expect(RawClient.connect(relay, bearer)).rejects.toThrow(`refused with ${status}`);
    await expectRelayServes(relay, pair);
  });

  it('keeps a client with a 30-day token connected and syncing (no timer over 2^31−1 ms fires at once)', async () => {
    const longLived = await RawClient.connect(relay, token('marathon', 'write', { expInS: 30 * 86_400 }));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(longLived.closeCode).toBeUndefined();
    longLived.close();
    // A year, too, through the real client: it connects once and syncs.
    const yearLong = signToken({ sub: 'yearling', spaces: [SPACE], rights: 'write', exp: Math.floor(Date.now() / 1000) + 365 * 86_400 }, SECRET);
    const { createSyncEngine } = await import('@softadastra/sync-engine');
    const { createMemoryWal } = await import('@softadastra/wal-memory');
    const { createWebSocketTransport } = await import('@softadastra/transport-websocket');
    const engine = await createSyncEngine({ wal: createMemoryWal(), space: SPACE, peerId: 'yearling' });
    engine.connect(createWebSocketTransport({ url: `${relay.url}/v1/spaces/${SPACE}`, token: yearLong, reconnect: { baseMs: 50, maxMs: 200 } }));
    const opens: number[] = [];
    engine.on('status', (status) => status === 'connecting' && opens.push(Date.now()));
    await engine.put('c', 'year', 1);
    await eventually(() => pair[0].get('c', 'year') === 1, 'the year-long client syncs');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(opens.length).toBeLessThanOrEqual(1);
    await engine.close();
    await expectRelayServes(relay, pair);
  });

  it('closes the connection when a short token expires (4001)', async () => {
    const brief = await RawClient.connect(relay, token('brief', 'write', { expInS: 1 }));
    expect(await brief.closed).toBe(4001);
  });
});
