import { describe, expect, it } from 'vitest';
import { createManualClock } from '@softadastra/sync-core';
import { numbered, numberOf } from '../test/helpers.js';
import { createMemoryNetwork, type NetworkFaults } from './index.js';

const COUNT = 10_000;

/** Sends COUNT numbered messages at time 0 over a fresh link and records what arrives, and when. */
function blast(faults: NetworkFaults, seed = 7): { received: { n: number; at: number; bytes: Uint8Array }[]; stats: unknown } {
  const clock = createManualClock({ start: 0 });
  const net = createMemoryNetwork({ clock, seed, ...faults });
  const [a, b] = net.connect('a', 'b');
  clock.runUntilIdle();
  const start = clock.now();
  const received: { n: number; at: number; bytes: Uint8Array }[] = [];
  b.on('message', (bytes) => received.push({ n: numberOf(bytes), at: clock.now() - start, bytes }));
  for (let i = 0; i < COUNT; i++) a.send(numbered(i));
  clock.runUntilIdle();
  expect(net.inFlight()).toBe(0);
  return { received, stats: net.stats };
}

/** Expects `actual` within 4.5 standard deviations of a binomial count. */
function expectAbout(actual: number, p: number, n = COUNT): void {
  const sigma = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(actual - n * p)).toBeLessThan(4.5 * sigma);
}

describe('network faults over 10,000 messages', () => {
  it('drops about `loss` of them', () => {
    const { received, stats } = blast({ loss: 0.1 });
    expectAbout(COUNT - received.length, 0.1);
    expect(stats).toMatchObject({ sent: COUNT, delivered: received.length, dropped: COUNT - received.length });
    // What is not lost arrives once, in order (no other fault).
    const ns = received.map((r) => r.n);
    expect(ns).toEqual([...ns].sort((x, y) => x - y));
  });

  it('duplicates about `duplicate` of them', () => {
    const { received, stats } = blast({ duplicate: 0.2 });
    expectAbout(received.length - COUNT, 0.2);
    expect(new Set(received.map((r) => r.n)).size).toBe(COUNT);
    expect(stats).toMatchObject({ duplicated: received.length - COUNT, delivered: received.length, dropped: 0 });
  });

  it('corrupts one byte of about `corrupt` of them', () => {
    const { received, stats } = blast({ corrupt: 0.1 });
    expect(received).toHaveLength(COUNT);
    // Messages were sent in order and nothing reorders them: compare with the position.
    const changedBytes = received.map((r, i) => [...r.bytes].filter((byte, j) => byte !== numbered(i)[j]).length);
    const corrupted = changedBytes.filter((c) => c > 0).length;
    expectAbout(corrupted, 0.1);
    expect(Math.max(...changedBytes)).toBe(1);
    expect(stats).toMatchObject({ corrupted });
  });

  it('reorders about `reorder` of them (each overtaken by later messages)', () => {
    const { received } = blast({ reorder: 0.1 });
    expect(received).toHaveLength(COUNT);
    let highest = -1;
    let overtaken = 0;
    for (const { n } of received) {
      if (n < highest) overtaken++;
      highest = Math.max(highest, n);
    }
    expectAbout(overtaken, 0.1);
  });

  it('draws latencies uniformly from a range', () => {
    const { received } = blast({ latency: { min: 5, max: 15 } });
    const times = received.map((r) => r.at);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...times)).toBeLessThanOrEqual(15);
    const mean = times.reduce((x, y) => x + y, 0) / times.length;
    expect(Math.abs(mean - 10)).toBeLessThan(0.2);
    const firstHalf = times.filter((t) => t < 10).length;
    expectAbout(firstHalf, 0.5);
  });

  it('applies new rates from setFaults on the next message', () => {
    const clock = createManualClock({ start: 0 });
    const net = createMemoryNetwork({ clock, loss: 1 });
    const [a, b] = net.connect('a', 'b');
    let count = 0;
    b.on('message', () => count++);
    clock.runUntilIdle();
    a.send(new Uint8Array([1]));
    net.setFaults({});
    a.send(new Uint8Array([2]));
    clock.runUntilIdle();
    expect(count).toBe(1);
    expect(net.stats).toMatchObject({ sent: 2, dropped: 1, delivered: 1 });
  });
});
