import { VersionVector, type Operation } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { PendingQueue } from './pending-queue.js';
import { SeqSet } from './seq-set.js';

function op(origin: string, seq: number): Operation {
  return { origin, seq, hlc: { wall: seq, counter: 0, peer: origin }, collection: 'c', key: `k${seq}`, kind: 'del' };
}

describe('PendingQueue', () => {
  it('keeps each message until an ack holds all its ops, then forgets it', () => {
    const queue = new PendingQueue();
    queue.addMessage(1, [op('a', 1), op('a', 2)]);
    queue.addMessage(2, [op('a', 3)]);
    expect(queue.size).toBe(3);
    expect(queue.ack(new VersionVector().addRange('a', 1, 1))).toBe(true);
    expect(queue.unacked()).toEqual([
      { n: 1, ops: [op('a', 2)] },
      { n: 2, ops: [op('a', 3)] },
    ]);
    expect(queue.ack(new VersionVector().addRange('a', 1, 1))).toBe(false);
    queue.ack(new VersionVector().addRange('a', 1, 3));
    expect(queue.size).toBe(0);
    expect(queue.isEmpty).toBe(true);
  });

  it('says which operations are in flight: sent and not acknowledged', () => {
    const queue = new PendingQueue();
    queue.addMessage(1, [op('a', 1), op('a', 2)]);
    queue.addMessage(2, [op('b', 7)]);
    queue.ack(new VersionVector().addRange('a', 1, 1));
    expect(queue.inFlight().toJSON()).toEqual(new VersionVector().addRange('a', 2, 2).addRange('b', 7, 7).toJSON());
    queue.ack(new VersionVector().addRange('a', 1, 2).addRange('b', 7, 7));
    expect(queue.inFlight().isEmpty()).toBe(true);
  });

  it('keeps the covered until an ack dominates it', () => {
    const queue = new PendingQueue();
    queue.setCovered(0, new VersionVector().addRange('b', 1, 5));
    expect(queue.isEmpty).toBe(false);
    queue.ack(new VersionVector().addRange('b', 1, 4));
    expect(queue.covered).toBeDefined();
    queue.ack(new VersionVector().addRange('b', 1, 9));
    expect(queue.isEmpty).toBe(true);
  });

  it('never drops ops because of retries, only on ack or rejection', () => {
    const queue = new PendingQueue();
    queue.addMessage(1, [op('a', 1), op('a', 2)]);
    for (let i = 0; i < 1000; i++) queue.attempt++;
    expect(queue.size).toBe(2);
    queue.reject([{ origin: 'a', seq: 2 }]);
    expect(queue.unacked()).toEqual([{ n: 1, ops: [op('a', 1)] }]);
    queue.ack(new VersionVector().addRange('a', 1, 1));
    expect(queue.isEmpty).toBe(true);
    expect(queue.attempt).toBe(0);
  });
});

describe('SeqSet', () => {
  it('tracks the contiguous prefix and gaps', () => {
    const set = new SeqSet();
    set.add(2);
    set.add(4);
    expect(set.hasAllUpTo(1)).toBe(false);
    expect(set.hasGap()).toBe(true);
    set.add(1);
    expect(set.hasAllUpTo(2)).toBe(true);
    expect(set.hasAllUpTo(3)).toBe(false);
    set.add(3);
    expect(set.hasAllUpTo(4)).toBe(true);
    expect(set.hasGap()).toBe(false);
    expect(set.has(4) && !set.has(5)).toBe(true);
  });
});
