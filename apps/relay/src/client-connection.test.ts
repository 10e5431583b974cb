import { createManualClock, encodeMessage, type Connection, type Operation } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { OVER_BUDGET_CLOSE_CODE, clientConnection, opsInMessage, type ClientConnectionHooks } from './client-connection.js';

describe('opsInMessage', () => {
  it('reads the operation count of an ops message without decoding it', () => {
    const ops: Operation[] = Array.from({ length: 300 }, (_, i) => ({
      origin: i % 2 ? 'alice' : 'bob',
      seq: i + 1,
      hlc: { wall: 1_700_000_000_000 + i, counter: 0, peer: i % 2 ? 'alice' : 'bob' },
      collection: i % 3 ? 'todos' : 'notes',
      key: `k${i}`,
      kind: 'put',
      value: { i },
    }));
    expect(opsInMessage(encodeMessage({ type: 'ops', epoch: 123456789, n: 4000, ops }))).toBe(300);
    expect(opsInMessage(encodeMessage({ type: 'ops', epoch: 1, n: 1, ops: [] }))).toBe(0);
  });
});

describe('clientConnection budget', () => {
  function fakeInner() {
    const handlers = new Map<string, Set<(arg: never) => void>>();
    const closes: number[] = [];
    const inner: Connection = {
      capabilities: { ordered: true, reliable: true, maxMessageBytes: 1000, reconnects: false },
      state: 'open',
      bufferedAmount: 0,
      send: () => undefined,
      on(event, listener) {
        const set = handlers.get(event) ?? new Set();
        handlers.set(event, set);
        set.add(listener);
        return () => set.delete(listener);
      },
      close: (code) => void closes.push(code ?? 1000),
    };
    const receive = (bytes: Uint8Array) => {
      for (const h of handlers.get('message') ?? []) (h as (b: Uint8Array) => void)(bytes);
    };
    return { inner, receive, closes };
  }
  const hooks = () => {
    const seen = { throttled: 0, over: [] as string[], bytesIn: 0 };
    const h: ClientConnectionHooks = {
      bytesIn: (n) => (seen.bytesIn += n),
      bytesOut: () => undefined,
      opsOut: () => undefined,
      refused: () => undefined,
      throttled: () => seen.throttled++,
      overBudget: (reason) => seen.over.push(reason),
    };
    return { h, seen };
  };

  it('delivers within budget at once, throttles past it (in order, nothing dropped), and disconnects past the held limit', async () => {
    const clock = createManualClock({ start: 0 });
    const { inner, receive, closes } = fakeInner();
    const { h, seen } = hooks();
    const connection = clientConnection(inner, { bytesPerSecond: 1000, bytesBurst: 1000, messagesPerSecond: 10, messagesBurst: 5, maxHeldBytes: 2000 }, h, clock);
    const got: number[] = [];
    connection.on('message', (bytes) => got.push(bytes[0]!));
    await Promise.resolve();
    for (let i = 0; i < 8; i++) receive(new Uint8Array(100).fill(i));
    expect(got).toEqual([0, 1, 2, 3, 4]); // the message burst
    expect(seen.throttled).toBe(1);
    clock.advance(300);
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(closes).toEqual([]);
    // A client that keeps sending while throttled is disconnected once 2000 bytes wait.
    for (let i = 0; i < 40; i++) receive(new Uint8Array(100));
    expect(closes).toEqual([OVER_BUDGET_CLOSE_CODE]);
    expect(seen.over).toHaveLength(1);
  });

  it('holds messages that arrive before anyone listens, and delivers them in order', async () => {
    const clock = createManualClock({ start: 0 });
    const { inner, receive } = fakeInner();
    const connection = clientConnection(inner, { bytesPerSecond: 1e6, bytesBurst: 1e6, messagesPerSecond: 1e3, messagesBurst: 1e3, maxHeldBytes: 1e6 }, hooks().h, clock);
    receive(new Uint8Array([1]));
    receive(new Uint8Array([2]));
    const got: number[] = [];
    connection.on('message', (bytes) => got.push(bytes[0]!));
    expect(got).toEqual([]); // asynchronously, as every connection event
    await Promise.resolve();
    expect(got).toEqual([1, 2]);
  });
});
