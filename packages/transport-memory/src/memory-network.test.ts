import { describe, expect, it } from 'vitest';
import { type Connection, createManualClock, type ManualClock } from '@softadastra/sync-core';
import { inbox, numbered, numberOf, traceEvents } from '../test/helpers.js';
import { createMemoryNetwork, type MemoryNetwork, type MemoryNetworkOptions } from './index.js';

function setup(options: MemoryNetworkOptions = {}): { clock: ManualClock; net: MemoryNetwork } {
  const clock = createManualClock({ start: 0 });
  return { clock, net: createMemoryNetwork({ clock, ...options }) };
}

/** Whether a message sent each way over the link arrives. */
function passes(clock: ManualClock, [x, y]: readonly [Connection, Connection]): { forth: boolean; back: boolean } {
  clock.runUntilIdle();
  if (x.state !== 'open' || y.state !== 'open') return { forth: false, back: false };
  const atY = inbox(y);
  const atX = inbox(x);
  x.send(new Uint8Array([1]));
  y.send(new Uint8Array([2]));
  clock.runUntilIdle();
  return { forth: atY.length === 1, back: atX.length === 1 };
}

describe('createMemoryNetwork', () => {
  it('delivers in order, each message once and intact, without faults', () => {
    const { clock, net } = setup();
    const [a, b] = net.connect('a', 'b');
    const received = inbox(b);
    clock.runUntilIdle();
    for (let i = 0; i < 1000; i++) a.send(numbered(i));
    expect(net.inFlight()).toBe(1000);
    clock.runUntilIdle();
    expect(received.map(numberOf)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(net.inFlight()).toBe(0);
    expect(net.stats).toEqual({ sent: 1000, delivered: 1000, dropped: 0, duplicated: 0, corrupted: 0 });
  });

  it('delays by the fixed latency, in order', () => {
    const { clock, net } = setup({ latency: 7 });
    const [a, b] = net.connect('a', 'b');
    const trace: string[] = [];
    traceEvents(clock, 'b', b, trace);
    clock.runUntilIdle();
    expect(clock.now()).toBe(7); // opening the link takes a latency too
    a.send(new Uint8Array([1]));
    clock.advance(3);
    a.send(new Uint8Array([2]));
    clock.runUntilIdle();
    expect(trace).toEqual(['7 b open', '14 b message 1', '17 b message 2']);
  });

  it('keeps several links between the same nodes independent', () => {
    const { clock, net } = setup();
    const [a1, b1] = net.connect('a', 'b');
    const [a2, b2] = net.connect('a', 'b');
    const in1 = inbox(b1);
    const in2 = inbox(b2);
    clock.runUntilIdle();
    a1.send(new Uint8Array([1]));
    a2.send(new Uint8Array([2]));
    a1.close();
    clock.runUntilIdle();
    expect(in1).toEqual([]);
    expect(in2.map((m) => m[0])).toEqual([2]);
    expect([a2.state, b2.state]).toEqual(['open', 'open']);
  });

  describe('capabilities', () => {
    it('are ordered and reliable without faults', () => {
      const [a, b] = setup().net.connect('a', 'b');
      expect(a.capabilities).toEqual({ ordered: true, reliable: true, maxMessageBytes: 1048576, reconnects: true });
      expect(b.capabilities).toEqual(a.capabilities);
    });

    it('follow the faults at connect time, and setFaults does not change existing ones', () => {
      const { net } = setup({ latency: { min: 1, max: 5 } });
      const [ranged] = net.connect('a', 'b');
      expect(ranged.capabilities).toMatchObject({ ordered: false, reliable: true });
      net.setFaults({ reorder: 0.1, loss: 0.1 });
      expect(ranged.capabilities).toMatchObject({ ordered: false, reliable: true });
      expect(net.connect('a', 'c')[0].capabilities).toMatchObject({ ordered: false, reliable: false });
      net.setFaults({ corrupt: 0.01, duplicate: 0.5, latency: 3 });
      expect(net.connect('a', 'd')[0].capabilities).toMatchObject({ ordered: true, reliable: false });
      net.setFaults({ duplicate: 0.5 });
      expect(net.connect('a', 'e')[0].capabilities).toMatchObject({ ordered: true, reliable: true });
    });
  });

  describe('cut and heal', () => {
    it('cut: both ends emit close (not final) and go connecting; messages in flight are lost', () => {
      const { clock, net } = setup({ latency: 10 });
      const [a, b] = net.connect('a', 'b');
      clock.runUntilIdle();
      const trace: string[] = [];
      traceEvents(clock, 'a', a, trace);
      traceEvents(clock, 'b', b, trace);
      a.send(new Uint8Array([1]));
      clock.advance(2);
      expect(net.inFlight()).toBe(1);
      net.cut('b', 'a');
      expect(net.inFlight()).toBe(0);
      expect(net.stats.dropped).toBe(1);
      expect(trace).toEqual([]);
      clock.advance(0);
      expect(trace).toEqual(['12 a close 1006 link cut by the network final=false', '12 b close 1006 link cut by the network final=false']);
      expect([a.state, b.state]).toEqual(['connecting', 'connecting']);
      expect(() => a.send(new Uint8Array([2]))).toThrow(expect.objectContaining({ code: 'E_CLOSED' }) as Error);
      clock.runUntilIdle();
      expect(trace).toHaveLength(2);
    });

    it('heal: both ends emit open again and messages flow', () => {
      const { clock, net } = setup({ latency: 4 });
      const [a, b] = net.connect('a', 'b');
      clock.runUntilIdle();
      const trace: string[] = [];
      traceEvents(clock, 'a', a, trace);
      traceEvents(clock, 'b', b, trace);
      net.cut('a', 'b');
      net.heal('a', 'b');
      clock.runUntilIdle();
      expect(trace).toEqual([
        '4 a close 1006 link cut by the network final=false',
        '4 b close 1006 link cut by the network final=false',
        '8 a open',
        '8 b open',
      ]);
      a.send(new Uint8Array([7]));
      clock.runUntilIdle();
      expect(trace.at(-1)).toBe('12 b message 7');
    });

    it('loses a message sent after the cut but before the end noticed it', () => {
      const { clock, net } = setup();
      const [a, b] = net.connect('a', 'b');
      const received = inbox(b);
      clock.runUntilIdle();
      net.cut('a', 'b');
      a.send(new Uint8Array([1])); // still 'open' until its close event
      net.heal('a', 'b');
      clock.runUntilIdle();
      expect(received).toEqual([]);
      expect(net.stats).toMatchObject({ sent: 1, dropped: 1, delivered: 0 });
    });

    it('keeps a pair cut for links connected later, and a cut before open emits nothing', () => {
      const { clock, net } = setup();
      net.cut('a', 'b');
      const [a, b] = net.connect('a', 'b');
      const trace: string[] = [];
      traceEvents(clock, 'a', a, trace);
      traceEvents(clock, 'b', b, trace);
      clock.runUntilIdle();
      expect([a.state, b.state]).toEqual(['connecting', 'connecting']);
      const [c] = net.connect('a', 'c');
      net.cut('a', 'c');
      clock.runUntilIdle();
      expect(c.state).toBe('connecting');
      expect(trace).toEqual([]);
      net.heal('a', 'b');
      clock.runUntilIdle();
      expect(trace).toEqual(['0 a open', '0 b open']);
    });

    it('does nothing for a cut of a pair already cut', () => {
      const { clock, net } = setup();
      const [a] = net.connect('a', 'b');
      const trace: string[] = [];
      traceEvents(clock, 'a', a, trace);
      clock.runUntilIdle();
      net.cut('a', 'b');
      clock.runUntilIdle();
      net.cut('a', 'b');
      clock.runUntilIdle();
      expect(trace).toEqual(['0 a open', '0 a close 1006 link cut by the network final=false']);
    });
  });

  describe('partition', () => {
    it('cuts nodes in different groups, heals nodes in the same group, and puts unlisted nodes in one more group', () => {
      const { clock, net } = setup();
      const ab = net.connect('a', 'b');
      const ac = net.connect('a', 'c');
      const bc = net.connect('b', 'c');
      const cd = net.connect('c', 'd');
      const de = net.connect('d', 'e');
      clock.runUntilIdle();
      net.cut('a', 'b');
      net.partition([['a', 'b'], ['c']]); // d and e: the unlisted group
      const up = (link: readonly [Connection, Connection]): boolean => passes(clock, link).forth;
      expect([up(ab), up(ac), up(bc), up(cd), up(de)]).toEqual([true, false, false, false, true]);

      net.partition([['a', 'b', 'c']]);
      expect([up(ab), up(ac), up(bc), up(cd), up(de)]).toEqual([true, true, true, false, true]);

      // A node first seen now joins the unlisted group.
      const af = net.connect('a', 'f');
      const ef = net.connect('e', 'f');
      expect([up(af), up(ef)]).toEqual([false, true]);
      net.heal('a', 'f'); // heal overrides the partition for one pair
      expect(up(af)).toBe(true);

      net.healAll();
      expect([up(ab), up(ac), up(bc), up(cd), up(de), up(af), up(ef)]).toEqual([true, true, true, true, true, true, true]);
    });

    it('refuses a node listed twice', () => {
      expect(() => setup().net.partition([['a'], ['b', 'a']])).toThrow(/listed in two partition groups/);
    });
  });

  describe('block', () => {
    it('drops one direction silently while the link stays open both ways', () => {
      const { clock, net } = setup({ latency: 5 });
      const link = net.connect('a', 'b');
      const [a, b] = link;
      const trace: string[] = [];
      traceEvents(clock, 'a', a, trace);
      traceEvents(clock, 'b', b, trace);
      clock.runUntilIdle();
      a.send(new Uint8Array([1])); // in flight when the block starts: dropped on arrival
      net.block('a', 'b');
      expect(passes(clock, link)).toEqual({ forth: false, back: true });
      expect([a.state, b.state]).toEqual(['open', 'open']);
      expect(trace.filter((line) => line.includes('close'))).toEqual([]);
      expect(trace.filter((line) => line.includes('b message'))).toEqual([]);
      net.unblock('a', 'b');
      expect(passes(clock, link)).toEqual({ forth: true, back: true });
      net.block('b', 'a');
      net.healAll();
      expect(passes(clock, link)).toEqual({ forth: true, back: true });
    });
  });

  describe('determinism', () => {
    function run(seed: number | string): string[] {
      const clock = createManualClock({ start: 0 });
      const net = createMemoryNetwork({ clock, seed, loss: 0.1, duplicate: 0.1, reorder: 0.2, corrupt: 0.05, latency: { min: 1, max: 20 } });
      const trace: string[] = [];
      const [a, b] = net.connect('a', 'b');
      const [c, d] = net.connect('c', 'b');
      for (const [name, end] of [['a', a], ['b', b], ['c', c], ['d', d]] as const) traceEvents(clock, name, end, trace);
      clock.runUntilIdle();
      for (let i = 0; i < 200; i++) {
        if (a.state === 'open') a.send(numbered(i));
        if (i % 3 === 0) d.send(numbered(1000 + i));
        if (i === 80) net.cut('a', 'b');
        if (i === 120) net.heal('a', 'b');
        clock.advance(1);
      }
      clock.runUntilIdle();
      trace.push(JSON.stringify(net.stats));
      return trace;
    }

    it('replays the same deliveries at the same times from the same seed', () => {
      const first = run(42);
      expect(first.length).toBeGreaterThan(200);
      expect(run(42)).toEqual(first);
      expect(run('seed')).toEqual(run('seed'));
    });

    it('plays differently from a different seed', () => {
      expect(run(43)).not.toEqual(run(42));
      expect(run('other')).not.toEqual(run('seed'));
    });
  });

  describe('options', () => {
    it('refuses bad options with E_INVALID_ARGUMENT', () => {
      const clock = createManualClock({ start: 0 });
      expect(() => createMemoryNetwork({ clock, loss: 2 })).toThrow(/"loss" must be a probability/);
      expect(() => createMemoryNetwork({ clock, reorder: -0.1 })).toThrow(/"reorder"/);
      expect(() => createMemoryNetwork({ clock, duplicate: Number.NaN })).toThrow(/"duplicate"/);
      expect(() => createMemoryNetwork({ clock, latency: -1 })).toThrow(/latency/);
      expect(() => createMemoryNetwork({ clock, latency: { min: 5, max: 1 } })).toThrow(/min ≤ max/);
      expect(() => createMemoryNetwork({ clock, maxMessageBytes: 0 })).toThrow(/maxMessageBytes/);
      expect(() => createMemoryNetwork({ clock, seed: Number.NaN })).toThrow(/seed/);
      const net = createMemoryNetwork({ clock });
      expect(() => net.setFaults({ corrupt: 1.5 })).toThrow(/"corrupt"/);
      expect(() => net.connect('a', 'a')).toThrow(/to itself/);
      expect(() => net.connect('', 'a')).toThrow(/non-empty string/);
      expect(() => net.cut('a', 'a')).toThrow(/two different nodes/);
    });

    it('runs on the system clock by default', async () => {
      const [a, b] = createMemoryNetwork().connect('a', 'b');
      await new Promise<void>((resolve) => a.on('open', resolve));
      const message = new Promise<Uint8Array>((resolve) => b.on('message', resolve));
      a.send(new Uint8Array([42]));
      expect([...(await message)]).toEqual([42]);
      a.close();
    });
  });
});
