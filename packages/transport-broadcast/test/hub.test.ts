import { createManualClock, isTransportError, type ConnectionCloseInfo, type ManualClock, type SyncError } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { createBroadcastHub, type BroadcastConnection, type BroadcastHub } from '../src/index.js';
import { FakeBus, type FakeChannel } from './fake-channel.js';

const CHANNEL = 'tabs';
const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setTimeout(resolve, 0));
};

/** Advances the manual clock in steps, letting the channel's deliveries run between them. */
async function advance(clock: ManualClock, ms: number, step = 100): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    clock.advance(Math.min(step, ms - done));
    await flush();
  }
}

interface Recorded {
  readonly errors: SyncError[];
  readonly closes: ConnectionCloseInfo[];
  readonly messages: Uint8Array[];
  opens: number;
}

function record(connection: BroadcastConnection): Recorded {
  const r: Recorded = { errors: [], closes: [], messages: [], opens: 0 };
  connection.on('open', () => r.opens++);
  connection.on('error', (error) => r.errors.push(error));
  connection.on('close', (info) => r.closes.push(info));
  connection.on('message', (bytes) => r.messages.push(bytes));
  return r;
}

function world() {
  const bus = new FakeBus();
  const clock = createManualClock({ start: 1_000_000 });
  const channels: FakeChannel[] = [];
  const Channel = class extends bus.BroadcastChannel {
    constructor(name: string) {
      super(name);
      channels.push(this);
    }
  };
  // Time as the hubs read it: `jump()` moves it without firing timers, as a throttled tab's late tick sees it.
  let offset = 0;
  const seen = { now: () => clock.now() + offset, setTimeout: clock.setTimeout.bind(clock), clearTimeout: clock.clearTimeout.bind(clock), random: () => 0.5 };
  const jump = (ms: number): void => {
    offset += ms;
  };
  const hub = (id: string, options: { heartbeatMs?: number; timeoutMs?: number; connectTimeoutMs?: number; maxMessageBytes?: number } = {}): BroadcastHub =>
    createBroadcastHub({ channel: CHANNEL, id, BroadcastChannel: Channel, clock: seen, heartbeatMs: 100, timeoutMs: 300, connectTimeoutMs: 500, ...options });
  return { bus, clock, hub, channels, jump };
}

async function openPair() {
  const w = world();
  const leader = w.hub('leader');
  const follower = w.hub('follower');
  let accepted: BroadcastConnection | undefined;
  leader.listen((connection) => (accepted = connection));
  const a = follower.connect('leader');
  const ra = record(a);
  await flush();
  expect(accepted, 'the leader accepted').toBeDefined();
  const b = accepted!;
  const rb = record(b);
  await flush();
  expect([a.state, b.state]).toEqual(['open', 'open']);
  return { ...w, leader, follower, a, b, ra, rb };
}

describe('broadcast hub', () => {
  it('connects two tabs by id and names both ends', async () => {
    const { a, b, ra } = await openPair();
    expect([a.localId, a.remoteId, b.localId, b.remoteId]).toEqual(['follower', 'leader', 'leader', 'follower']);
    expect(a.connectionId).toBe(b.connectionId);
    expect(ra.opens).toBe(1);
    expect(a.capabilities).toEqual({ ordered: true, reliable: true, maxMessageBytes: 1024 * 1024, reconnects: false });
  });

  it('keeps connections apart: a third tab ignores frames not addressed to it, and two dials are two connections', async () => {
    const w = world();
    const leader = w.hub('leader');
    const other = w.hub('other');
    const follower = w.hub('follower');
    const accepted: BroadcastConnection[] = [];
    leader.listen((connection) => accepted.push(connection));
    let otherAccepted = 0;
    other.listen(() => otherAccepted++);
    const first = follower.connect('leader');
    const second = follower.connect('leader');
    await flush();
    expect(accepted).toHaveLength(2);
    expect(otherAccepted).toBe(0);
    const inbox = accepted.map(record);
    first.send(new Uint8Array([1]));
    second.send(new Uint8Array([2]));
    await flush();
    const byConnection = new Map(accepted.map((c, i) => [c.connectionId, inbox[i]!.messages.map((m) => m[0])]));
    expect(byConnection.get(first.connectionId)).toEqual([1]);
    expect(byConnection.get(second.connectionId)).toEqual([2]);
  });

  it('refuses a dial when the target tab is not listening: E_TRANSPORT at once', async () => {
    const w = world();
    w.hub('leader');
    const a = w.hub('follower').connect('leader');
    const r = record(a);
    await flush();
    expect(a.state).toBe('closed');
    expect(r.closes).toEqual([{ code: 4403, reason: 'refused', final: true }]);
    expect(r.errors.map((e) => e.code)).toEqual(['E_TRANSPORT']);
    expect(r.errors[0]!.message).toMatch(/not accepting/);
  });

  it('gives up dialling a tab that never answers after connectTimeoutMs, resending hello meanwhile', async () => {
    const w = world();
    const a = w.hub('follower').connect('nobody');
    const r = record(a);
    await advance(w.clock, 400);
    expect(a.state).toBe('connecting');
    const hellos = w.bus.posted.filter((f) => (f as { kind?: string }).kind === 'hello').length;
    expect(hellos).toBeGreaterThanOrEqual(4);
    await advance(w.clock, 200);
    expect(a.state).toBe('closed');
    expect(r.errors.map((e) => e.code)).toEqual(['E_TRANSPORT']);
    expect(r.errors[0]!.message).toMatch(/no tab nobody .* accepted within 500 ms/);
    expect(r.closes).toHaveLength(1);
  });

  it('a tab that listens after the first hello still gets the connection (hello is resent)', async () => {
    const w = world();
    const a = w.hub('follower').connect('late');
    await advance(w.clock, 100);
    const late = w.hub('late');
    let accepted: BroadcastConnection | undefined;
    late.listen((c) => (accepted = c));
    await advance(w.clock, 200);
    expect(a.state).toBe('open');
    expect(accepted?.state).toBe('open');
  });

  it('stays open while heartbeats flow, and closes with E_TRANSPORT when the other tab vanishes', async () => {
    const { a, b, ra, clock, channels } = await openPair();
    await advance(clock, 2_000);
    expect([a.state, b.state]).toEqual(['open', 'open']);
    expect(ra.errors).toEqual([]);
    // The leader's tab crashes: its channel goes silent.
    channels[0]!.mute();
    await advance(clock, 250);
    expect(a.state, 'not yet: within timeoutMs').toBe('open');
    await advance(clock, 350);
    expect(a.state).toBe('closed');
    expect(ra.closes).toEqual([{ code: 1006, reason: expect.stringMatching(/nothing from tab leader/) as string, final: true }]);
    expect(ra.errors.map((e) => e.code)).toEqual(['E_TRANSPORT']);
    expect(isTransportError(ra.errors[0])).toBe(true);
  });

  it('judges liveness after a probe: a late timer tick (throttled tab) does not close a live connection', async () => {
    const { a, b, ra, rb, clock, jump } = await openPair();
    // 10 s pass and the next tick comes only then, as in a throttled background tab.
    jump(10_000);
    await advance(clock, 100);
    expect(a.state).toBe('open');
    jump(10_000);
    await advance(clock, 300);
    expect(b.state).toBe('open');
    expect(rb.errors).toEqual([]);
    expect(a.state).toBe('open');
    expect(ra.errors).toEqual([]);
  });

  it('closes both ends on close(): the code and reason reach the other tab', async () => {
    const { a, ra, rb } = await openPair();
    a.close(4000, 'bye');
    expect(a.state).toBe('closed');
    expect(ra.closes).toEqual([]);
    await flush();
    expect(ra.closes).toEqual([{ code: 4000, reason: 'bye', final: true }]);
    expect(rb.closes).toEqual([{ code: 4000, reason: 'bye', final: true }]);
  });

  it('hub.close() closes every connection with 1001 and refuses later use', async () => {
    const { follower, leader, ra, rb } = await openPair();
    leader.close();
    await flush();
    expect(rb.closes).toEqual([{ code: 1001, reason: 'the tab is going away', final: true }]);
    expect(ra.closes).toEqual([{ code: 1001, reason: 'the tab is going away', final: true }]);
    expect(() => leader.connect('follower')).toThrow(expect.objectContaining({ code: 'E_CLOSED' }) as Error);
    expect(follower.connections()).toEqual([]);
  });

  it('answers a frame for a connection it does not know with a close (the other tab reloaded)', async () => {
    const { a, ra, bus, leader } = await openPair();
    const [frame] = bus.posted.filter((f) => (f as { kind?: string }).kind === 'accept') as Array<Record<string, unknown>>;
    // A ping claiming a connection id the leader never had.
    bus.inject(CHANNEL, { ...frame, kind: 'ping', from: 'follower', inst: (bus.posted[0] as { inst: string }).inst, to: 'leader', toInst: frame!.inst, cid: 'no-such-connection' });
    await flush();
    const closes = bus.posted.filter((f) => (f as { kind?: string; cid?: string }).kind === 'close' && (f as { cid?: string }).cid === 'no-such-connection');
    expect(closes).toHaveLength(1);
    expect(a.state).toBe('open');
    expect(ra.errors).toEqual([]);
    expect(leader.connections()).toHaveLength(1);
  });

  describe('never trusts the other tab', () => {
    /** The routing of a's frames to b, to forge frames on their connection. */
    function routingOf(bus: FakeBus, a: BroadcastConnection): Record<string, unknown> {
      const sent = bus.posted.find((f) => (f as { kind?: string; from?: string; cid?: string }).kind === 'ping' || ((f as { from?: string }).from === a.localId && (f as { kind?: string }).kind !== 'hello'));
      const hello = bus.posted.find((f) => (f as { kind?: string }).kind === 'hello') as Record<string, unknown>;
      const accept = bus.posted.find((f) => (f as { kind?: string }).kind === 'accept') as Record<string, unknown>;
      void sent;
      return { mark: 'softadastra-broadcast', v: 1, from: a.localId, inst: hello.inst, to: a.remoteId, toInst: accept.inst, cid: a.connectionId };
    }

    const cases: Array<[string, Record<string, unknown>, string, number]> = [
      ['a payload that is not a Uint8Array', { kind: 'data', seq: 1, bytes: [1, 2, 3] }, 'E_DECODE', 1002],
      ['a payload of another typed array', { kind: 'data', seq: 1, bytes: new Uint16Array(4) }, 'E_DECODE', 1002],
      ['a bad seq', { kind: 'data', seq: -1, bytes: new Uint8Array(1) }, 'E_DECODE', 1002],
      ['a gap in seqs', { kind: 'data', seq: 2, bytes: new Uint8Array(1) }, 'E_DECODE', 1002],
      ['a payload over maxMessageBytes', { kind: 'data', seq: 1, bytes: new Uint8Array(1024 * 1024 + 1) }, 'E_TOO_LARGE', 1009],
      ['an unknown kind', { kind: 'launch-missiles' }, 'E_DECODE', 1002],
      ['a close code out of range', { kind: 'close', code: 99, reason: 'x' }, 'E_DECODE', 1002],
    ];
    for (const [what, fields, code, closeCode] of cases) {
      it(`closes the connection on ${what}, with ${code}, and tells the sender`, async () => {
        const { a, b, rb, bus } = await openPair();
        bus.inject(CHANNEL, { ...routingOf(bus, a), ...fields });
        await flush();
        expect(b.state).toBe('closed');
        expect(rb.errors.map((e) => e.code)).toEqual([code]);
        expect(isTransportError(rb.errors[0])).toBe(true);
        expect(rb.closes.map((c) => c.code)).toEqual([closeCode]);
        expect(rb.messages).toEqual([]);
        expect(a.state, 'the sender learns from the close frame').toBe('closed');
      });
    }

    it('reports frames it cannot route on the hub and ignores foreign messages', async () => {
      const { a, b, rb, bus, leader } = await openPair();
      const errors: SyncError[] = [];
      leader.on('error', (error) => errors.push(error));
      for (const junk of [null, 42, 'text', [1, 2], { hello: 'world' }, new Uint8Array(3)]) bus.inject(CHANNEL, junk);
      bus.inject(CHANNEL, { mark: 'softadastra-broadcast', v: 2, from: 'x', to: 'leader' });
      bus.inject(CHANNEL, { mark: 'softadastra-broadcast', v: 1, from: '__proto__', to: 'leader', inst: 'i', cid: 'c', kind: 'hello' });
      bus.inject(CHANNEL, { mark: 'softadastra-broadcast', v: 1, from: 'x', to: 'leader', inst: 'i'.repeat(65), cid: 'c', kind: 'hello' });
      await flush();
      expect(errors.map((e) => e.code)).toEqual(['E_DECODE', 'E_DECODE', 'E_DECODE']);
      expect(errors[0]!.message).toMatch(/version 2/);
      expect([a.state, b.state]).toEqual(['open', 'open']);
      expect(rb.errors).toEqual([]);
    });

    it('ignores a forged frame from another instance claiming the same tab id', async () => {
      const { a, b, rb, bus } = await openPair();
      bus.inject(CHANNEL, { ...routingOf(bus, a), inst: 'impostor', kind: 'data', seq: 1, bytes: new Uint8Array([6]) });
      await flush();
      expect(rb.messages).toEqual([]);
      expect(b.state).toBe('open');
      a.send(new Uint8Array([7]));
      await flush();
      expect(rb.messages.map((m) => [...m])).toEqual([[7]]);
    });
  });

  it('checks its options', () => {
    const bus = new FakeBus();
    expect(() => createBroadcastHub({ channel: '', id: 'a', BroadcastChannel: bus.BroadcastChannel })).toThrow(/channel/);
    expect(() => createBroadcastHub({ channel: 'c', id: 'bad id', BroadcastChannel: bus.BroadcastChannel })).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }) as Error);
    expect(() => createBroadcastHub({ channel: 'c', id: 'a', BroadcastChannel: bus.BroadcastChannel, heartbeatMs: 0 })).toThrow(/heartbeatMs/);
    const hub = createBroadcastHub({ channel: 'c', id: 'a', BroadcastChannel: bus.BroadcastChannel });
    expect(() => hub.connect('a')).toThrow(/itself/);
    hub.listen(() => undefined);
    expect(() => hub.listen(() => undefined)).toThrow(/already listening/);
    hub.close();
  });
});
