import { describe, expect, it } from 'vitest';
import { VersionVector, type Operation } from '@softadastra/sync-core';
import type { SyncEngine } from '@softadastra/sync-engine';
import { eventually } from './helpers.js';
import { RawClient, type RelayProcess, SPACE, expectRelayServes, honestPeer, withHostileRelay } from './hostile/relay-process.js';

// Lying vectors, spoofed origins, equivocation and clocks far off, against a real relay process.
let relay: RelayProcess;
let pair: [SyncEngine, SyncEngine];
withHostileRelay((started, honest) => {
  relay = started;
  pair = honest;
});

function put(origin: string, seq: number, key: string, value: unknown = seq, wall = Date.now()): Operation {
  return { origin, seq, hlc: { wall, counter: 0, peer: origin }, collection: 'claims', key, kind: 'put', value } as Operation;
}

/** The vector the relay announces to a new client (its durable vector, as every client gets it). */
async function relayVector(): Promise<VersionVector> {
  const observer = await RawClient.hello(relay, `observer${Math.floor(Math.random() * 1e9)}`, 'read');
  const hello = observer.messages.find((m) => m.type === 'hello');
  observer.close();
  if (hello?.type !== 'hello') throw new Error('no hello');
  return hello.vv;
}

describe('hostile claims', () => {
  it("a read-only client's covered changes nothing — not even after a restart — and the peer's later writes are stored, not acked and dropped", async () => {
    const reader = await RawClient.hello(relay, 'carol', 'read');
    reader.send({ type: 'covered', epoch: reader.epoch, n: 0, vv: new VersionVector().addRange('carol', 1, 1000) });
    await new Promise((resolve) => setTimeout(resolve, 500));
    reader.close();
    expect((await relayVector()).max('carol')).toBe(0);
    await relay.restart();
    expect((await relayVector()).max('carol')).toBe(0);
    // carol, now with write rights, writes: her write must reach everyone.
    const carol = await honestPeer(relay, 'carol');
    const op = await carol.put('claims', 'by-carol', 'kept');
    await eventually(() => pair[0].get('claims', 'by-carol') === 'kept', 'carol’s write reaches alice', 20_000);
    expect(carol.isAcked(op, carol.sessions()[0]!.remotePeer!)).toBe(true);
    await carol.close();
    await expectRelayServes(relay, pair);
  }, 60_000);

  it('a writer’s fragmented claim about its own seqs is believed only as the prefix 1..m, and never reaches honest clients', async () => {
    const mallory = await RawClient.hello(relay, 'mallory');
    const fragmented = new VersionVector().addRange('mallory', 1, 5);
    for (let seq = 10; seq < 10 + 2 * 100_000; seq += 2) fragmented.add({ origin: 'mallory', seq });
    mallory.send({ type: 'covered', epoch: mallory.epoch, n: 0, vv: fragmented });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const vv = await relayVector();
    expect(vv.rangeCount('mallory')).toBeLessThanOrEqual(1);
    expect(pair[0].versionVector().rangeCount()).toBeLessThan(10);
    // A new client still gets its hello at once.
    const started = Date.now();
    await relayVector();
    expect(Date.now() - started).toBeLessThan(2_000);
    mallory.close();
    await expectRelayServes(relay, pair);
  }, 60_000);

  it('a claim about other peers is not believed: their own writes still reach the relay', async () => {
    const mallory = await RawClient.hello(relay, 'mallory2');
    mallory.send({ type: 'covered', epoch: mallory.epoch, n: 0, vv: new VersionVector().addRange('dave', 1, 100) });
    await new Promise((resolve) => setTimeout(resolve, 300));
    mallory.close();
    const dave = await honestPeer(relay, 'dave');
    await dave.put('claims', 'by-dave', 'arrives');
    await eventually(() => pair[1].get('claims', 'by-dave') === 'arrives', 'dave’s write reaches bob');
    await dave.close();
    await expectRelayServes(relay, pair);
  });

  it('refuses spoofed origins and an identity switch, keeps the first version of an equivocated op', async () => {
    const mallory = await RawClient.hello(relay, 'mallory3');
    mallory.send({ type: 'ops', epoch: mallory.epoch, n: 1, ops: [put('alice', 10_000, 'forged')] });
    await eventually(() => mallory.errors('E_FORBIDDEN').length > 0, 'E_FORBIDDEN for the forged origin');
    mallory.send({ type: 'ops', epoch: mallory.epoch, n: 2, ops: [put('mallory3', 1, 'eq', 'first')] });
    await eventually(() => pair[0].get('claims', 'eq') === 'first', 'the first version arrives');
    mallory.send({ type: 'ops', epoch: mallory.epoch, n: 3, ops: [put('mallory3', 1, 'eq', 'second')] });
    await eventually(() => mallory.errors('E_EQUIVOCATION').length > 0, 'E_EQUIVOCATION');
    mallory.send({ type: 'hello', protocol: 1, epoch: 8, peer: 'alice', space: SPACE, vv: new VersionVector() });
    await eventually(() => mallory.errors('E_FORBIDDEN').length > 1, 'identity switch refused');
    expect(pair[1].get('claims', 'eq')).toBe('first');
    expect(pair[1].has('claims', 'forged')).toBe(false);
    mallory.close();
    await expectRelayServes(relay, pair);
  });

  it('refuses an op stamped ten years ahead (E_CLOCK_SKEW) so honest writes keep winning; a far-past op is harmless', async () => {
    const skewed = await RawClient.hello(relay, 'skewed');
    const tenYears = 10 * 365 * 86_400_000;
    skewed.send({ type: 'ops', epoch: skewed.epoch, n: 1, ops: [put('skewed', 1, 'contested', 'from the future', Date.now() + tenYears)] });
    await eventually(() => skewed.errors('E_CLOCK_SKEW').length > 0, 'E_CLOCK_SKEW');
    skewed.send({ type: 'ops', epoch: skewed.epoch, n: 2, ops: [put('skewed', 2, 'old', 'from 1970', 1)] });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await pair[0].put('claims', 'contested', 'honest');
    await pair[0].put('claims', 'old', 'honest');
    await eventually(() => pair[1].get('claims', 'contested') === 'honest' && pair[1].get('claims', 'old') === 'honest', 'honest writes win');
    skewed.close();
    await expectRelayServes(relay, pair);
  });

  it('sends what it has to a client whose hello claims to hold every op of thousands of ghosts', async () => {
    const liar = await RawClient.connect(relay, (await import('./hostile/relay-process.js')).token('ghostly'));
    const ghosts = new VersionVector();
    for (let i = 0; i < 20_000; i++) ghosts.addRange(`ghost${i}`, 1, 1_000_000);
    liar.send({ type: 'hello', protocol: 1, epoch: 1, peer: 'ghostly', space: SPACE, vv: ghosts });
    await eventually(() => liar.messages.some((m) => m.type === 'ops' && m.ops.some((op) => op.key === 'eq')), 'the relay still sends its data');
    liar.close();
    await expectRelayServes(relay, pair);
  });
});
