import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { VersionVector, decodeMessage, encodeMessage, type Operation, type SyncMessage } from '@softadastra/sync-core';
import { createRelay, signToken, type Relay } from '../src/index.js';
import { client, eventually, tempDir } from './helpers.js';

const SECRET = 'test-secret';
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close().catch(() => undefined);
});

async function startRelay(options: Partial<Parameters<typeof createRelay>[0]> = {}): Promise<Relay> {
  const { dir, cleanup } = await tempDir();
  const relay = await createRelay({ dataDir: dir, port: 0, logger: false, secret: SECRET, ...options });
  open.push({ close: async () => { await relay.close(); await cleanup(); } });
  return relay;
}

function token(sub: string, rights: 'read' | 'write' = 'write', spaces = ['team'], expInS = 3600): string {
  return signToken({ sub, spaces, rights, exp: Math.floor(Date.now() / 1000) + expInS }, SECRET);
}

/** A raw WebSocket client that records what the relay sends. */
async function raw(relay: Relay, bearer: string | undefined, space = 'team'): Promise<{ ws: WebSocket; messages: SyncMessage[]; closed: Promise<number>; send: (m: SyncMessage) => void }> {
  const ws = new WebSocket(`${relay.url}/v1/spaces/${space}`, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  const messages: SyncMessage[] = [];
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) messages.push(decodeMessage(new Uint8Array(data)));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, messages, closed, send: (m) => ws.send(encodeMessage(m)) };
}

function put(origin: string, seq: number, key: string): Operation {
  return { origin, seq, hlc: { wall: Date.now(), counter: seq, peer: origin }, collection: 'c', key, kind: 'put', value: seq };
}

async function helloed(relay: Relay, sub: string, rights: 'read' | 'write' = 'write') {
  const peer = await raw(relay, token(sub, rights));
  peer.send({ type: 'hello', protocol: 1, epoch: 7, peer: sub, space: 'team', vv: new VersionVector() });
  await eventually(() => peer.messages.some((m) => m.type === 'hello'), 'the relay says hello');
  const hello = peer.messages.find((m) => m.type === 'hello');
  return { ...peer, epoch: hello?.type === 'hello' ? hello.epoch : 0 };
}

const errorsOf = (messages: SyncMessage[]) => messages.flatMap((m) => (m.type === 'error' ? [m] : []));

describe('relay against hostile clients', () => {
  it('refuses a missing, forged or expired token before the upgrade (401), and a token for another space (403)', async () => {
    const relay = await startRelay();
    const status = async (bearer: string | undefined, space = 'team'): Promise<number> => {
      const response = await fetch(`http://127.0.0.1:${relay.port}/v1/spaces/${space}`, {
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      }).catch(() => undefined);
      return response?.status ?? -1;
    };
    const refused = async (bearer: string | undefined, space = 'team'): Promise<{ code: number | undefined; reason: string }> =>
      new Promise((resolve) => {
        const ws = new WebSocket(`${relay.url}/v1/spaces/${space}`, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
        ws.on('unexpected-response', (_request, response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ code: response.statusCode, reason: body }));
        });
        ws.on('open', () => resolve({ code: 101, reason: '' }));
      });
    void status;
    expect(await refused(undefined)).toMatchObject({ code: 401 });
    expect((await refused(signToken({ sub: 'x', spaces: ['team'], rights: 'write', exp: 9e9 }, 'wrong-secret'))).code).toBe(401);
    const expired = await refused(token('x', 'write', ['team'], -180));
    expect(expired.code).toBe(401);
    expect(expired.reason).toMatch(/expired 3 min ago/);
    const other = await refused(token('x', 'write', ['elsewhere']));
    expect(other.code).toBe(403);
    expect(other.reason).toMatch(/does not grant space "team"/);
  });

  it('answers garbage and truncated frames with E_DECODE and keeps serving everyone', async () => {
    const relay = await startRelay();
    const good = await client(relay.url, 'team', { peerId: 'good', token: token('good') });
    open.push(good);
    const mallory = await helloed(relay, 'mallory');
    mallory.ws.send(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const valid = encodeMessage({ type: 'ops', epoch: mallory.epoch, n: 1, ops: [put('mallory', 1, 'x')] });
    mallory.ws.send(valid.subarray(0, valid.length - 3));
    await eventually(() => errorsOf(mallory.messages).filter((e) => e.code === 'E_DECODE').length === 2, 'two E_DECODE errors');
    await good.put('c', 'still-fine', 1);
    await eventually(() => relay.metrics.value('relay_ops_in_total') >= 1, 'the good client is still served');
  });

  it('refuses a 2 MiB message with close code 1009 and survives', async () => {
    const relay = await startRelay();
    const mallory = await raw(relay, token('mallory'));
    mallory.ws.send(new Uint8Array(2 * 1024 * 1024));
    expect(await mallory.closed).toBe(1009);
    const after = await raw(relay, token('someone'));
    expect(after.ws.readyState).toBe(WebSocket.OPEN);
    after.ws.close();
  });

  it('refuses writes with a read-only token (E_FORBIDDEN), applying nothing', async () => {
    const relay = await startRelay();
    const reader = await helloed(relay, 'reader', 'read');
    reader.send({ type: 'ops', epoch: reader.epoch, n: 1, ops: [put('reader', 1, 'nope')] });
    await eventually(() => errorsOf(reader.messages).some((e) => e.code === 'E_FORBIDDEN'), 'E_FORBIDDEN');
    const observer = await client(relay.url, 'team', { peerId: 'observer', token: token('observer') });
    open.push(observer);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(observer.has('c', 'nope')).toBe(false);
  });

  it("refuses a client writing under another peer's origin with future seqs (E_FORBIDDEN)", async () => {
    const relay = await startRelay();
    const mallory = await helloed(relay, 'mallory');
    mallory.send({ type: 'ops', epoch: mallory.epoch, n: 1, ops: [put('alice', 1_000_000, 'forged')] });
    await eventually(() => errorsOf(mallory.messages).some((e) => e.code === 'E_FORBIDDEN' && e.opIds?.[0]?.origin === 'alice'), 'E_FORBIDDEN for the forged op');
    // A hello claiming another identity than the token's is refused too.
    const liar = await raw(relay, token('liar'));
    liar.send({ type: 'hello', protocol: 1, epoch: 1, peer: 'alice', space: 'team', vv: new VersionVector() });
    await eventually(() => errorsOf(liar.messages).some((e) => e.code === 'E_FORBIDDEN'), 'hello refused');
  });

  it('rate-limits a flood (E_RATE_LIMIT) without losing the flooder’s writes for good', async () => {
    const relay = await startRelay({ limits: { opsPerSecond: 50, opsBurst: 50 } });
    const flooder = await client(relay.url, 'team', { peerId: 'flooder', token: token('flooder') });
    open.push(flooder);
    await eventually(() => flooder.status === 'synced', 'connected');
    // One write after the other, live: many small messages, far more than 50 operations a second.
    for (let i = 0; i < 300; i++) await flooder.put('c', `k${i}`, i);
    await eventually(() => relay.metrics.value('relay_rejected_total', { reason: 'E_RATE_LIMIT' }) > 0, 'rate limit hit');
    const observer = await client(relay.url, 'team', { peerId: 'observer', token: token('observer') });
    open.push(observer);
    await eventually(() => observer.entries('c').length === 300, 'all writes arrive in the end', 30_000);
  }, 40_000);

  it('closes the connection when the token expires', async () => {
    const relay = await startRelay();
    const shortLived = await raw(relay, token('brief', 'write', ['team'], 1));
    expect(await shortLived.closed).toBe(4001);
  });
});
