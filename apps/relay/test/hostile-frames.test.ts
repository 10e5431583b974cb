import { describe, expect, it } from 'vitest';
import { VersionVector, encodeMessage, type Operation } from '@softadastra/sync-core';
import type { SyncEngine } from '@softadastra/sync-engine';
import { eventually } from './helpers.js';
import { RawClient, type RelayProcess, SPACE, expectRelayServes, token, withHostileRelay } from './hostile/relay-process.js';

// Garbage, oversize and flooding frames, and clients that send little and read nothing.
let relay: RelayProcess;
let pair: [SyncEngine, SyncEngine];
withHostileRelay(async (started, honest) => {
  relay = started;
  pair = honest;
  // A space worth asking digests of: 5,000 keys.
  for (let i = 0; i < 5_000; i += 500) await Promise.all(Array.from({ length: 500 }, (_, j) => pair[0].put('data', `key-${i + j}-${'x'.repeat(20)}`, { i: i + j })));
  await eventually(() => pair[1].entries('data').length === 5_000, 'the honest pair holds the data', 30_000);
}, 90_000);

function put(origin: string, seq: number, key: string): Operation {
  return { origin, seq, hlc: { wall: Date.now(), counter: 0, peer: origin }, collection: 'm', key, kind: 'put', value: seq };
}

describe('hostile frames', () => {
  it('answers garbage, truncated and bad-checksum frames with E_DECODE, closes oversize ones with 1009', async () => {
    const mallory = await RawClient.hello(relay, 'mallory');
    const valid = encodeMessage({ type: 'ops', epoch: mallory.epoch, n: 1, ops: [put('mallory', 1, 'x')] });
    const flipped = valid.slice();
    flipped[10] = flipped[10]! ^ 0xff;
    for (const bytes of [new Uint8Array([1, 2, 3]), valid.subarray(0, valid.length - 3), flipped, new Uint8Array(1000).fill(0xab), new Uint8Array(0)]) mallory.ws.send(bytes);
    await eventually(() => mallory.errors('E_DECODE').length === 5, 'five E_DECODE');
    mallory.ws.send(new Uint8Array(2 * 1024 * 1024));
    expect(await mallory.closed).toBe(1009);
    await expectRelayServes(relay, pair);
  });

  it('does not amplify garbage into logs: 8 MB of garbage frames are counted in metrics, logged at a bounded rate', async () => {
    const logsBefore = relay.logBytes;
    const errorsBefore = await relay.metric('relay_engine_errors_total', 'code="E_DECODE"');
    const junk = await RawClient.hello(relay, 'junk');
    const frame = new Uint8Array(1000).fill(0x5a);
    for (let i = 0; i < 8_000; i++) junk.ws.send(frame);
    await eventually(() => junk.errors('E_DECODE').length >= 8_000 || junk.closeCode !== undefined, 'every frame answered', 30_000);
    const counted = (await relay.metric('relay_engine_errors_total', 'code="E_DECODE"')) - errorsBefore;
    expect(counted).toBeGreaterThanOrEqual(junk.errors('E_DECODE').length);
    const logged = relay.logBytes - logsBefore;
    expect(logged, `${logged} bytes of logs for 8 MB of garbage`).toBeLessThan(200_000);
    junk.close();
    await expectRelayServes(relay, pair);
  }, 60_000);

  it('survives a flood of every message kind from one client, which is throttled, refused or disconnected', async () => {
    const kinds = [
      (c: RawClient, i: number) => c.send({ type: 'hello', protocol: 1, epoch: 100 + i, peer: 'flood', space: SPACE, vv: new VersionVector() }),
      (c: RawClient, i: number) => c.send({ type: 'ops', epoch: c.epoch, n: i + 1, ops: [put('flood', i + 1, `k${i % 50}`)] }),
      (c: RawClient, i: number) => c.send({ type: 'covered', epoch: c.epoch, n: i, vv: new VersionVector().addRange('flood', 1, i + 1) }),
      (c: RawClient, i: number) => c.send({ type: 'ack', vv: new VersionVector().addRange('alice', 1, i + 1) }),
      (c: RawClient, i: number) => c.send({ type: 'error', code: 'E_PROTOCOL', message: `noise ${i}` }),
      (c: RawClient, i: number) => c.send({ type: 'digest-request', id: i + 1, leaves: true }),
      (c: RawClient) => c.ws.send('ping'),
    ];
    for (const [index, kind] of kinds.entries()) {
      const flood = await RawClient.hello(relay, 'flood');
      for (let i = 0; i < 5_000 && flood.ws.readyState === flood.ws.OPEN; i++) kind(flood, i);
      await new Promise((resolve) => setTimeout(resolve, 300));
      flood.close();
      const health = await relay.healthz();
      expect(health.ms, `/healthz during flood kind ${index}`).toBeLessThan(1_000);
    }
    await expectRelayServes(relay, pair);
  }, 60_000);

  it('bounds what a client that asks for digests and never reads costs: refused past the budget, disconnected past the replies limit', async () => {
    const before = await relay.rss();
    const sink = await RawClient.hello(relay, 'sink');
    sink.stopReading();
    // 20,000 requests of 16 bytes (~316 KiB in all), each asking for every key.
    const request = (id: number) => encodeMessage({ type: 'digest-request', id, leaves: true });
    for (let id = 1; id <= 20_000; id++) sink.ws.send(request(id));
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const grew = (await relay.rss()) - before;
    expect(grew, `RSS grew ${Math.round(grew / 2 ** 20)} MiB`).toBeLessThan(120 * 2 ** 20);
    expect(await relay.metric('relay_rejected_total', 'reason="E_RATE_LIMIT"')).toBeGreaterThan(0);
    sink.close();
    await expectRelayServes(relay, pair);
  }, 60_000);

  it('does not amplify: 500 digest requests get at most the request budget of digests', async () => {
    const asker = await RawClient.hello(relay, 'asker');
    for (let id = 1; id <= 500; id++) asker.send({ type: 'digest-request', id, leaves: true });
    await eventually(() => asker.messages.filter((m) => m.type === 'digest' || m.type === 'error').length >= 500 || asker.closeCode !== undefined, 'every request answered or the client dropped', 20_000);
    const digests = asker.messages.filter((m) => m.type === 'digest').length;
    expect(digests).toBeLessThanOrEqual(25);
    expect(asker.bytesReceived, 'bytes sent back for 500 requests of 16 bytes').toBeLessThan(25 * 400_000);
    asker.close();
    await expectRelayServes(relay, pair);
  }, 60_000);

  it('cuts off a client that floods ping frames and never reads', async () => {
    const before = await relay.rss();
    const pinger = await RawClient.connect(relay, token('pinger'));
    pinger.stopReading();
    for (let i = 0; i < 300_000 && pinger.ws.readyState === pinger.ws.OPEN; i++) pinger.ws.send('ping');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const grew = (await relay.rss()) - before;
    expect(grew, `RSS grew ${Math.round(grew / 2 ** 20)} MiB`).toBeLessThan(100 * 2 ** 20);
    expect(await relay.metric('relay_disconnected_total')).toBeGreaterThan(0);
    pinger.close();
    await expectRelayServes(relay, pair);
  }, 60_000);

  it('refuses acks and hellos carrying fragmented vectors (E_TOO_LARGE) and keeps nothing of them', async () => {
    const before = await relay.rss();
    const liar = await RawClient.hello(relay, 'liar');
    const fragmented = new VersionVector();
    for (let seq = 1; seq <= 2 * 200_000; seq += 2) fragmented.add({ origin: 'alice', seq });
    const ack = encodeMessage({ type: 'ack', vv: fragmented });
    const hello = encodeMessage({ type: 'hello', protocol: 1, epoch: 99, peer: 'liar', space: SPACE, vv: fragmented });
    expect(ack.length).toBeLessThan(1024 * 1024);
    for (let i = 0; i < 16; i++) liar.ws.send(i % 2 === 0 ? ack : hello);
    await eventually(() => liar.errors('E_TOO_LARGE').length === 16, 'each refused with E_TOO_LARGE', 20_000);
    liar.close();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const grew = (await relay.rss()) - before;
    expect(grew, `RSS grew ${Math.round(grew / 2 ** 20)} MiB`).toBeLessThan(150 * 2 ** 20);
    await expectRelayServes(relay, pair);
  }, 60_000);
});
