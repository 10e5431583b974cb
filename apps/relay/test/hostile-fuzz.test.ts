import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VersionVector, encodeMessage, type JsonValue, type SyncMessage } from '@softadastra/sync-core';
import type { SyncEngine } from '@softadastra/sync-engine';
import { eventually } from './helpers.js';
import { RawClient, type RelayProcess, SPACE, expectRelayServes, rawHttp, token, withHostileRelay } from './hostile/relay-process.js';

// A bounded fuzz run against a real relay process: generated frames, URLs and headers.
// The seed is printed; `FUZZ_SEED=… pnpm --filter @softadastra/relay test hostile-fuzz` replays a run.
const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);
const FRAMES = 15_000;
const REQUESTS = 5_000;

console.log(`hostile-fuzz seed=${SEED}`);
let relay: RelayProcess;
let pair: [SyncEngine, SyncEngine];
withHostileRelay((started, honest) => {
  relay = started;
  pair = honest;
});

const peerArb = fc.constantFrom('fuzzer', 'alice', 'bob', 'x', '');
const vvArb = fc.array(fc.tuple(peerArb, fc.integer({ min: 1, max: 2 ** 40 }), fc.nat({ max: 1000 })), { maxLength: 20 }).map((ranges) => {
  const vv = new VersionVector();
  for (const [origin, from, length] of ranges) if (origin !== '') vv.addRange(origin, from, from + length);
  return vv;
});
/** fast-check's JSON type is wider than ours (optional members); every value it makes is one of ours. */
const jsonArb = fc.jsonValue({ maxDepth: 3 }).map((value): JsonValue => JSON.parse(JSON.stringify(value)) as JsonValue);
const messageArb: fc.Arbitrary<SyncMessage> = fc.oneof(
  fc.record({ type: fc.constant('hello' as const), protocol: fc.nat({ max: 3 }), epoch: fc.nat(), peer: peerArb, space: fc.constantFrom(SPACE, 'other', ''), vv: vvArb }),
  fc.record({ type: fc.constant('covered' as const), epoch: fc.nat(), n: fc.nat({ max: 100 }), vv: vvArb }),
  fc.record({ type: fc.constant('ack' as const), vv: vvArb }),
  fc.record({ type: fc.constant('digest-request' as const), id: fc.nat(), leaves: fc.boolean() }),
  fc.record({ type: fc.constant('error' as const), code: fc.string({ maxLength: 20 }), message: fc.string({ maxLength: 50 }) }),
  fc.record({
    type: fc.constant('ops' as const),
    epoch: fc.nat(),
    n: fc.nat({ max: 100 }),
    ops: fc.array(
      fc.record({
        origin: peerArb.filter((p) => p !== ''),
        seq: fc.integer({ min: 1, max: 2 ** 40 }),
        hlc: fc.record({ wall: fc.oneof(fc.constant(Date.now()), fc.nat({ max: 2 ** 47 })), counter: fc.nat({ max: 0xffff }), peer: peerArb.filter((p) => p !== '') }),
        collection: fc.string({ minLength: 1, maxLength: 10 }),
        key: fc.string({ minLength: 1, maxLength: 10 }),
        kind: fc.constant('put' as const),
        value: jsonArb,
      }),
      { maxLength: 5 },
    ),
  }),
);
/** A valid message, a valid message with bytes flipped or cut, or random bytes. */
const frameArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  messageArb.map((m) => {
    try {
      return encodeMessage(m);
    } catch {
      return new Uint8Array([0x53]);
    }
  }),
  fc.tuple(messageArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat()).map(([m, flips, cut]) => {
    let bytes: Uint8Array;
    try {
      bytes = encodeMessage(m).slice();
    } catch {
      bytes = new Uint8Array(8);
    }
    for (const [at, mask] of flips) bytes[at % bytes.length] = bytes[at % bytes.length]! ^ mask;
    return cut % 3 === 0 ? bytes.subarray(0, cut % (bytes.length + 1)) : bytes;
  }),
  fc.uint8Array({ maxLength: 2048 }),
);

const segmentArb = fc.oneof(
  fc.constant(SPACE),
  fc.stringMatching(/^[A-Za-z0-9._~-]{0,12}$/),
  fc.array(fc.oneof(fc.constantFrom('%', '%%', '%f', '%ff', '%C0%AE', '%2e', '%2F', '%00', '..', '/', '?', '#', ';', '\\', '%E2%82%AC', '%ED%A0%80'), fc.stringMatching(/^[a-z0-9]{0,3}$/)), { maxLength: 6 }).map((parts) => parts.join('')),
  fc.string({ unit: 'binary', maxLength: 12 }).map((s) => encodeURIComponent(s)),
);
const requestArb = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'HEAD', 'OPTIONS', 'PATCH', 'BREW'),
    prefix: fc.constantFrom('/v1/spaces/', '/v1/spaces', '/v1/', '/', '//v1/spaces/', 'http://relay/v1/spaces/', '/healthz', '/metrics'),
    segment: segmentArb,
    tail: fc.constantFrom('', '/http', '/http/sessions', '/http/sessions/abc', '/http/sessions/abc/messages', '/http/sessions/abc/messages?wait=%ff', '/other', '?access_token=%zz'),
    upgrade: fc.boolean(),
    auth: fc.constantFrom('valid', 'none', 'garbage', 'read', 'expired', 'empty'),
    extra: fc.array(fc.tuple(fc.constantFrom('Content-Length', 'Transfer-Encoding', 'Sec-WebSocket-Version', 'Sec-WebSocket-Key', 'Origin', 'Expect', 'X-Forwarded-For'), fc.stringMatching(/^[ -~]{0,20}$/)), { maxLength: 3 }),
    body: fc.string({ maxLength: 40 }),
  })
  .map(({ method, prefix, segment, tail, upgrade, auth, extra, body }) => {
    const bearer = { valid: token('fuzzer'), none: undefined, garbage: 'a.b.c', read: token('fuzzer', 'read'), expired: token('fuzzer', 'write', { expInS: -10 }), empty: '' }[auth];
    const lines = [`${method} ${prefix}${segment}${tail} HTTP/1.1`, 'Host: relay'];
    if (upgrade) lines.push('Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==');
    if (bearer !== undefined) lines.push(`Authorization: Bearer ${bearer}`);
    for (const [name, value] of extra) if (name !== 'Content-Length' && name !== 'Transfer-Encoding') lines.push(`${name}: ${value}`);
    lines.push(`Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close');
    return `${lines.join('\r\n')}\r\n\r\n${body}`;
  });

describe('fuzzing a running relay', () => {
  it(`survives ${FRAMES} generated frames and ${REQUESTS} generated requests with no crash and no handler error`, async () => {
    const frames = fc.sample(frameArb, { seed: SEED, numRuns: FRAMES });
    let sent = 0;
    for (let chunk = 0; chunk < frames.length; chunk += 1_000) {
      const fuzzer = await RawClient.hello(relay, 'fuzzer');
      for (const frame of frames.slice(chunk, chunk + 1_000)) {
        if (fuzzer.ws.readyState !== fuzzer.ws.OPEN) break;
        fuzzer.ws.send(frame);
        sent++;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      fuzzer.close();
    }
    const requests = fc.sample(requestArb, { seed: SEED + 1, numRuns: REQUESTS });
    let answered = 0;
    for (let at = 0; at < requests.length; at += 32) {
      const answers = await Promise.all(requests.slice(at, at + 32).map((request) => rawHttp(relay, request, 1_000)));
      answered += answers.filter((answer) => /^HTTP\/1\.1 \d{3}/.test(answer)).length;
    }
    console.log(`hostile-fuzz: ${sent} frames sent, ${requests.length} requests, ${answered} answered with a status`);
    expect(sent + requests.length).toBeGreaterThanOrEqual(10_000);
    await eventually(() => relay.alive, 'alive');
    expect(await relay.metric('relay_server_errors_total')).toBe(0);
    expect(relay.logs.join('').includes('"level":"error"')).toBe(false);
    await expectRelayServes(relay, pair);
  }, 240_000);
});
