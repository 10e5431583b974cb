import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, type Authenticate, type Relay, type RelayOptions } from '../src/index.js';
import { client, eventually, sameState, tempDir } from './helpers.js';

// Tokens from an identity provider (a JWKS of RS256/ES256/EdDSA keys, made here) and a relay's own
// auth hook, over the real WebSocket and HTTP transports: both paths go through one admission.

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close().catch(() => undefined);
});

async function startRelay(options: Partial<RelayOptions>): Promise<Relay> {
  const { dir, cleanup } = await tempDir();
  const relay = await createRelay({ dataDir: dir, port: 0, logger: false, ...options });
  open.push({ close: async () => { await relay.close(); await cleanup(); } });
  return relay;
}

/** The HTTP status of a WebSocket upgrade and of an HTTP-transport session request, with these headers. */
async function statuses(relay: Relay, headers: Record<string, string>, space = 'team'): Promise<{ ws: number; http: number; reason: string }> {
  const ws = await new Promise<{ code: number; reason: string }>((resolve) => {
    const socket = new WebSocket(`${relay.url}/v1/spaces/${space}`, { headers });
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ code: response.statusCode ?? 0, reason: body }));
    });
    socket.on('open', () => {
      socket.close();
      resolve({ code: 101, reason: '' });
    });
    socket.on('error', () => undefined);
  });
  const http = await fetch(`http://127.0.0.1:${relay.port}/v1/spaces/${space}/http/sessions`, { method: 'POST', headers });
  await http.body?.cancel();
  return { ws: ws.code, http: http.status, reason: ws.reason };
}

describe('relay auth with an identity provider (JWKS)', () => {
  it('admits RS256, ES256 and EdDSA tokens of its JWKS for its audience and issuer, and syncs their peers', async () => {
    const algs = ['RS256', 'ES256', 'EdDSA'] as const;
    const keys = await Promise.all(algs.map(async (alg) => ({ alg, ...(await generateKeyPair(alg, { extractable: true })) })));
    const jwks = { keys: await Promise.all(keys.map(async (k) => ({ ...(await exportJWK(k.publicKey)), kid: k.alg, alg: k.alg }))) };
    const relay = await startRelay({ jwks, audience: 'softadastra-relay', issuer: 'https://idp.test' });
    const issue = (alg: (typeof algs)[number], sub: string, audience = 'softadastra-relay'): Promise<string> =>
      new SignJWT({ spaces: ['team'], rights: 'write' })
        .setProtectedHeader({ alg, kid: alg })
        .setSubject(sub)
        .setAudience(audience)
        .setIssuer('https://idp.test')
        .setExpirationTime('10 min')
        .sign(keys.find((k) => k.alg === alg)!.privateKey);

    const peers = await Promise.all(algs.map(async (alg) => client(relay.url, 'team', { peerId: `peer-${alg}`, token: await issue(alg, `peer-${alg}`) })));
    open.push(...peers);
    for (const [i, peer] of peers.entries()) await peer.put('c', `k${i}`, i);
    await eventually(() => sameState(peers) && peers[0]!.get('c', 'k2') === 2, 'the three peers converge through the relay');

    const wrongAudience = await statuses(relay, { authorization: `Bearer ${await issue('ES256', 'mallory', 'another-service')}` });
    expect(wrongAudience).toMatchObject({ ws: 401, http: 401 });
    expect(wrongAudience.reason).toMatch(/not meant for this relay/);
    expect((await statuses(relay, {})).ws).toBe(401);
    expect(relay.metrics.value('relay_rejected_total', { reason: 'E_UNAUTHORIZED' })).toBe(4);
  });
});

describe('relay auth with an authenticate hook', () => {
  const apiKeys: Record<string, { peer: string; rights: 'read' | 'write' }> = { 'key-alice': { peer: 'alice', rights: 'write' }, 'key-bob': { peer: 'bob', rights: 'read' } };
  const authenticate: Authenticate = (request, { space }) => {
    const key = request.headers['x-api-key'];
    if (key === 'boom') throw new Error('the user store is down');
    if (key === 'nonsense') return { peer: '../etc', spaces: ['team'], rights: 'write' };
    const user = typeof key === 'string' ? apiKeys[key] : undefined;
    if (user === undefined) return { status: 401, reason: 'send a valid X-Api-Key' };
    if (space === 'secret') return { status: 403, reason: 'nobody opens "secret"' };
    return { peer: user.peer, spaces: ['team', 'secret'], rights: user.rights };
  };

  it('lets the hook decide who connects, on both transports, with the rights it grants', async () => {
    const relay = await startRelay({ authenticate, secret: 'ignored-when-a-hook-is-given' });
    expect(await statuses(relay, { 'x-api-key': 'key-alice' })).toMatchObject({ ws: 101, http: 201 });
    expect(await statuses(relay, {})).toMatchObject({ ws: 401, http: 401, reason: expect.stringMatching(/valid X-Api-Key/) as unknown });
    expect(await statuses(relay, { 'x-api-key': 'key-alice' }, 'secret')).toMatchObject({ ws: 403, http: 403 });
    // A grant is checked against the space too: "elsewhere" is not among the hook's spaces.
    expect(await statuses(relay, { 'x-api-key': 'key-alice' }, 'elsewhere')).toMatchObject({ ws: 403, http: 403 });
    expect(relay.metrics.value('relay_server_errors_total')).toBe(0);
  });

  it('turns a hook that throws or grants nonsense into a 401 and a server error, never a crash', async () => {
    const relay = await startRelay({ authenticate });
    expect(await statuses(relay, { 'x-api-key': 'boom' })).toMatchObject({ ws: 401, http: 401, reason: expect.stringMatching(/retry later/) as unknown });
    expect(await statuses(relay, { 'x-api-key': 'nonsense' })).toMatchObject({ ws: 401, http: 401 });
    expect(relay.metrics.value('relay_server_errors_total', { server: 'authenticate' })).toBe(4);
    expect(await statuses(relay, { 'x-api-key': 'key-alice' })).toMatchObject({ ws: 101 });
  });

  it('holds a read-only grant to reading: its writes never reach the others', async () => {
    // The engine's clients send bearer tokens, not headers: this hook reads the token (an opaque API key).
    const byToken: Authenticate = (_request, { token }) => (token !== undefined && token in apiKeys ? { ...apiKeys[token]!, spaces: ['*'] } : { status: 401, reason: 'unknown token' });
    const relay = await startRelay({ authenticate: byToken });
    const alice = await client(relay.url, 'team', { peerId: 'alice', token: 'key-alice' });
    const bob = await client(relay.url, 'team', { peerId: 'bob', token: 'key-bob' });
    open.push(alice, bob);
    await alice.put('c', 'from-alice', 1);
    await eventually(() => bob.get('c', 'from-alice') === 1, 'bob reads alice');
    await bob.put('c', 'from-bob', 2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(alice.get('c', 'from-bob')).toBeUndefined();
  });
});
