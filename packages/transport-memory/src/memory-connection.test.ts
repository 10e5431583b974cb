import { describe, expect, it } from 'vitest';
import { TransportError, isSyncError, type Connection, createManualClock, type ManualClock } from '@softadastra/sync-core';
import { inbox, traceEvents } from '../test/helpers.js';
import { createMemoryNetwork } from './index.js';

function openPair(options: { maxMessageBytes?: number } = {}): { clock: ManualClock; a: Connection; b: Connection } {
  const clock = createManualClock({ start: 0 });
  const [a, b] = createMemoryNetwork({ clock, ...options }).connect('a', 'b');
  clock.runUntilIdle();
  return { clock, a, b };
}

function thrown(action: () => unknown): TransportError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(TransportError);
    expect(isSyncError(error)).toBe(true);
    return error as TransportError;
  }
  throw new Error('expected a TransportError');
}

describe('memory connection', () => {
  it('starts connecting, then both ends emit open asynchronously', () => {
    const clock = createManualClock({ start: 0 });
    const [a, b] = createMemoryNetwork({ clock }).connect('a', 'b');
    const trace: string[] = [];
    traceEvents(clock, 'a', a, trace);
    traceEvents(clock, 'b', b, trace);
    expect([a.state, b.state]).toEqual(['connecting', 'connecting']);
    expect(trace).toEqual([]);
    clock.runUntilIdle();
    expect(trace).toEqual(['0 a open', '0 b open']);
    expect([a.state, b.state]).toEqual(['open', 'open']);
    expect(a.bufferedAmount).toBe(0);
  });

  it('never emits synchronously inside send(), on() or close()', () => {
    const { clock, a, b } = openPair();
    const trace: string[] = [];
    traceEvents(clock, 'a', a, trace);
    traceEvents(clock, 'b', b, trace);
    a.send(new Uint8Array([1]));
    b.send(new Uint8Array([2]));
    a.close(4000, 'bye');
    expect(trace).toEqual([]);
    clock.runUntilIdle();
    expect(trace).toEqual(['0 a close 4000 bye final=true', '0 b close 4000 bye final=true']);
  });

  it('refuses to send unless open, with E_CLOSED naming the peer', () => {
    const clock = createManualClock({ start: 0 });
    const [a] = createMemoryNetwork({ clock }).connect('a', 'b');
    const connecting = thrown(() => a.send(new Uint8Array([1])));
    expect(connecting.code).toBe('E_CLOSED');
    expect(connecting.peer).toBe('b');
    expect(connecting.message).toMatch(/connecting/);
    clock.runUntilIdle();
    a.send(new Uint8Array([1]));
    a.close();
    expect(a.state).toBe('closed');
    expect(thrown(() => a.send(new Uint8Array([1]))).code).toBe('E_CLOSED');
  });

  it('refuses a message over maxMessageBytes with E_TOO_LARGE, and accepts one at the limit', () => {
    const { clock, a, b } = openPair({ maxMessageBytes: 16 });
    const received = inbox(b);
    expect(a.capabilities.maxMessageBytes).toBe(16);
    const error = thrown(() => a.send(new Uint8Array(17)));
    expect(error.code).toBe('E_TOO_LARGE');
    expect(error.message).toMatch(/17 bytes/);
    a.send(new Uint8Array(16));
    clock.runUntilIdle();
    expect(received.map((m) => m.length)).toEqual([16]);
  });

  it('accepts 1 MiB by default', () => {
    const { a } = openPair();
    expect(a.capabilities.maxMessageBytes).toBe(1024 * 1024);
    a.send(new Uint8Array(1024 * 1024));
    expect(thrown(() => a.send(new Uint8Array(1024 * 1024 + 1))).code).toBe('E_TOO_LARGE');
  });

  it('copies what it sends: the caller may reuse its buffer', () => {
    const { clock, a, b } = openPair();
    const received = inbox(b);
    const buffer = new Uint8Array([1, 2, 3]);
    a.send(buffer);
    buffer.fill(9);
    a.send(Buffer.from([4, 5]));
    clock.runUntilIdle();
    expect(received.map((m) => [...m])).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(received[1]).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(received[1])).toBe(false);
  });

  it('closes for good on both ends: final close once each, nothing delivered after', () => {
    const clock = createManualClock({ start: 0 });
    const [a, b] = createMemoryNetwork({ clock, latency: 10 }).connect('a', 'b');
    clock.runUntilIdle();
    const trace: string[] = [];
    traceEvents(clock, 'a', a, trace);
    traceEvents(clock, 'b', b, trace);
    a.send(new Uint8Array([1]));
    b.send(new Uint8Array([2]));
    clock.advance(5);
    a.close();
    expect(a.state).toBe('closed');
    // b learns it on its close event; a message it sends meanwhile is lost.
    expect(b.state).toBe('open');
    b.send(new Uint8Array([3]));
    b.close(4001, 'late'); // already closed by a: a's code wins, one event each
    a.close();
    clock.runUntilIdle();
    expect(trace).toEqual(['15 a close 1000  final=true', '15 b close 1000  final=true']);
    expect(b.state).toBe('closed');
    expect(thrown(() => b.send(new Uint8Array([4]))).code).toBe('E_CLOSED');
  });

  it('removes a listener with the function on() returns', () => {
    const { clock, a, b } = openPair();
    const seen: number[] = [];
    const off = b.on('message', (bytes) => seen.push(bytes[0]!));
    a.send(new Uint8Array([1]));
    clock.runUntilIdle();
    off();
    off();
    a.send(new Uint8Array([2]));
    clock.runUntilIdle();
    expect(seen).toEqual([1]);
  });

  it('calls the other listeners when one throws, then rethrows from the clock callback', () => {
    const { clock, a, b } = openPair();
    const seen: string[] = [];
    b.on('message', () => {
      throw new Error('listener bug');
    });
    b.on('message', () => seen.push('second'));
    a.send(new Uint8Array([1]));
    expect(() => clock.runUntilIdle()).toThrow('listener bug');
    expect(seen).toEqual(['second']);
    a.send(new Uint8Array([2]));
    expect(() => clock.runUntilIdle()).toThrow('listener bug');
    expect(seen).toEqual(['second', 'second']);
  });

  it('counts bytes in flight as bufferedAmount and emits drain once they have all landed', () => {
    const { clock, a, b } = openPair();
    const trace: string[] = [];
    a.on('drain', () => trace.push(`drain buffered=${a.bufferedAmount}`));
    b.on('message', (bytes) => trace.push(`message ${bytes.length} a.buffered=${a.bufferedAmount}`));
    a.send(new Uint8Array(10));
    a.send(new Uint8Array(5));
    expect(a.bufferedAmount).toBe(15);
    expect(b.bufferedAmount).toBe(0);
    clock.runUntilIdle();
    expect(trace).toEqual(['message 10 a.buffered=5', 'message 5 a.buffered=0', 'drain buffered=0']);
  });

  it('empties the buffer of an end whose link is cut, without a drain', () => {
    const clock = createManualClock({ start: 0 });
    const network = createMemoryNetwork({ clock, latency: 5 });
    const [a] = network.connect('a', 'b');
    clock.runUntilIdle();
    let drains = 0;
    a.on('drain', () => drains++);
    a.send(new Uint8Array(8));
    expect(a.bufferedAmount).toBe(8);
    network.cut('a', 'b');
    expect(a.bufferedAmount).toBe(0);
    clock.runUntilIdle();
    expect(drains).toBe(0);
    expect(network.stats.dropped).toBe(1);
  });

  it('refuses an unknown event', () => {
    const { a } = openPair();
    expect(() => a.on('nope' as 'open', () => undefined)).toThrow(/unknown connection event/);
  });
});
