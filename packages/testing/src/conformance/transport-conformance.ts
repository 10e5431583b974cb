import { afterEach, describe, expect, it } from 'vitest';
import { isSyncError, type Connection, type ConnectionEvents, type SyncErrorCode } from '@softadastra/sync-core';
import { delay, describeError, waitUntil } from './async-helpers.js';
import { expectIntactSubset, expectNonDecreasing, expectSendClosed, indexOf, intactIndexes } from './transport-expectations.js';
import { EventLog, expectThrowsSync, patterned, type TransportConformanceSetup, type TransportPair } from './transport-harness.js';

/** The largest message the suite sends, whatever `maxMessageBytes` allows. */
const MAX_TESTED_BYTES = 4 * 1024 * 1024;
/** The largest message the suite allocates to check the size limit. */
const MAX_ALLOCATED_BYTES = 64 * 1024 * 1024;
/** How long the suite watches for events that must not happen (a late message, a second close). */
const QUIET_MS = 50;
const EVENTS: readonly (keyof ConnectionEvents)[] = ['open', 'message', 'close', 'error', 'drain'];

/**
 * Registers the conformance cases of core's `Connection` contract for one
 * transport, as vitest tests under `describe('Transport conformance: <name>')`.
 *
 * @remarks
 * Call it at the top level of a test file of the transport's package. It runs
 * on real time (WebSocket and HTTP transports do real I/O), waiting for events
 * with `setup.timeoutMs` as the bound. The cases check what the TSDoc of
 * `Connection` promises: both ends open; messages arrive intact both ways, in
 * order when `ordered`, all of them when `reliable`; the sender may reuse its
 * buffer; `maxMessageBytes` is honoured exactly, with `E_TOO_LARGE` thrown
 * synchronously; `send()` throws `E_CLOSED` whenever the state is not
 * `'open'`; `close()` is final on both ends with nothing delivered after;
 * events never fire inside `send()`, `on()` or `close()`; a dropped link comes
 * back when `reconnects`; and `on()` unsubscribes. A case that needs the
 * `interrupt` hook or a capability the transport lacks is skipped with the
 * reason.
 *
 * Received messages are kept and checked after later ones arrived, so a
 * transport that hands out a buffer it later reuses fails too.
 *
 * @example
 * ```ts
 * import { runTransportConformance } from '@softadastra/sync-testing';
 *
 * runTransportConformance('memory', {
 *   pair: () => {
 *     const [a, b] = createMemoryNetwork().connect('a', 'b');
 *     return { a, b };
 *   },
 * });
 * ```
 *
 * @param name - the transport's name, shown in the test names
 * @param setup - makes connected pairs, and optionally interrupts them
 */
export function runTransportConformance(name: string, setup: TransportConformanceSetup): void {
  const timeoutMs = setup.timeoutMs ?? 5_000;
  // Generous: a case waits for several events in turn, each bounded by timeoutMs.
  const caseTimeout = timeoutMs * 4 + 2_000;

  describe(`Transport conformance: ${name}`, () => {
    let pairs: TransportPair[] = [];

    afterEach(async () => {
      const done = pairs;
      pairs = [];
      for (const { a, b } of done) {
        for (const end of [a, b]) {
          try {
            if (end.state !== 'closed') end.close();
          } catch {
            // Best effort: the case already failed or passed on its own terms.
          }
        }
      }
      await setup.cleanup?.();
    });

    /** A new pair, logged from the start, not yet waited for. */
    const connect = async (): Promise<{ pair: TransportPair; a: EventLog; b: EventLog }> => {
      const pair = await setup.pair();
      pairs.push(pair);
      return { pair, a: new EventLog('end a', pair.a, timeoutMs), b: new EventLog('end b', pair.b, timeoutMs) };
    };

    /** A new pair with both ends open. */
    const connectOpen = async (): Promise<{ pair: TransportPair; a: EventLog; b: EventLog }> => {
      const connected = await connect();
      await Promise.all([connected.a.waitOpen(), connected.b.waitOpen()]);
      return connected;
    };

    it('declares capabilities with boolean ordered, reliable and reconnects, and a positive integer maxMessageBytes', async () => {
      const { pair } = await connect();
      for (const [label, end] of [
        ['a', pair.a],
        ['b', pair.b],
      ] as const) {
        const capabilities = end.capabilities;
        expect(typeof capabilities, `end ${label}: capabilities`).toBe('object');
        expect(capabilities, `end ${label}: capabilities`).not.toBeNull();
        for (const key of ['ordered', 'reliable', 'reconnects'] as const) {
          expect(typeof capabilities[key], `end ${label}: typeof capabilities.${key}`).toBe('boolean');
        }
        expect(Number.isSafeInteger(capabilities.maxMessageBytes) && capabilities.maxMessageBytes > 0, `end ${label}: maxMessageBytes ${capabilities.maxMessageBytes}`).toBe(true);
        expect(typeof end.bufferedAmount, `end ${label}: typeof bufferedAmount`).toBe('number');
      }
    }, caseTimeout);

    it("brings both ends to state 'open', emitting 'open' unless already open", async () => {
      const { pair, a, b } = await connect();
      for (const log of [a, b]) {
        expect(['connecting', 'open'], `${log.name}: state of a new pair`).toContain(log.connection.state);
      }
      const startedOpen = [pair.a.state === 'open', pair.b.state === 'open'];
      await Promise.all([a.waitOpen(), b.waitOpen()]);
      await delay(QUIET_MS);
      for (const [i, log] of [a, b].entries()) {
        const opens = log.of('open');
        if (!startedOpen[i]) expect(opens.length, `${log.name} was connecting: 'open' events (${log.summary()})`).toBe(1);
        else expect(opens.length, `${log.name} was open already: 'open' events (${log.summary()})`).toBeLessThanOrEqual(1);
        for (const open of opens) expect(open.state, `${log.name}: state inside its 'open' listener`).toBe('open');
        expect(log.of('close'), `${log.name}: no 'close' on a healthy link`).toEqual([]);
        expect(log.connection.state, `${log.name}: state`).toBe('open');
      }
    }, caseTimeout);

    it('delivers messages intact both ways (every one when reliable)', async () => {
      const { pair, a, b } = await connectOpen();
      const max = Math.min(pair.a.capabilities.maxMessageBytes, pair.b.capabilities.maxMessageBytes);
      const sizes = [4, 5, 100, 4096, 65_536].filter((size) => size <= max);
      for (const [i, size] of sizes.entries()) {
        pair.a.send(patterned(i, size));
        pair.b.send(patterned(100 + i, size));
      }
      const reliable = pair.a.capabilities.reliable && pair.b.capabilities.reliable;
      await settleDeliveries(reliable, [
        [b, sizes.length],
        [a, sizes.length],
      ]);
      expectIntactSubset(b, sizes.map((_, i) => i), sizes, reliable);
      expectIntactSubset(a, sizes.map((_, i) => 100 + i), sizes, reliable);
    }, caseTimeout);

    it('delivers 200 messages each way: all of them when reliable, in send order when ordered, intact either way', async () => {
      const { pair, a, b } = await connectOpen();
      const count = 200;
      for (let i = 0; i < count; i++) {
        pair.a.send(patterned(i, 8 + (i % 50)));
        pair.b.send(patterned(1_000 + i, 8 + (i % 50)));
      }
      for (const [log, from, base] of [
        [b, pair.a, 0],
        [a, pair.b, 1_000],
      ] as const) {
        const { ordered, reliable } = from.capabilities;
        await settleDeliveries(reliable, [[log, count]]);
        const indexes = intactIndexes(log);
        const expected = Array.from({ length: count }, (_, i) => base + i);
        const stray = indexes.filter((index) => index < base || index >= base + count);
        expect(stray, `${log.name}: messages that were never sent`).toEqual([]);
        if (reliable) expect([...new Set(indexes)].sort((x, y) => x - y), `${log.name}: every message of a reliable transport`).toEqual(expected);
        if (ordered) expectNonDecreasing(indexes, log.name);
      }
    }, caseTimeout);

    it('lets the sender reuse its buffer once send() returns', async () => {
      const { pair, b } = await connectOpen();
      const buffer = patterned(1, 64);
      pair.a.send(buffer);
      buffer.set(patterned(2, 64));
      pair.a.send(buffer);
      buffer.fill(0xee);
      const reliable = pair.a.capabilities.reliable;
      await settleDeliveries(reliable, [[b, 2]]);
      const indexes = intactIndexes(b, 64);
      if (reliable) expect([...new Set(indexes)].sort((x, y) => x - y), 'the two messages, as they were at send() time').toEqual([1, 2]);
      if (pair.a.capabilities.ordered) expectNonDecreasing(indexes, b.name);
    }, caseTimeout);

    it(`delivers a message of exactly maxMessageBytes intact (at most ${MAX_TESTED_BYTES} bytes tested)`, async () => {
      const { pair, b } = await connectOpen();
      const size = Math.min(pair.a.capabilities.maxMessageBytes, MAX_TESTED_BYTES);
      pair.a.send(patterned(7, size));
      const reliable = pair.a.capabilities.reliable;
      await settleDeliveries(reliable, [[b, 1]]);
      const indexes = intactIndexes(b, size);
      if (reliable) expect(indexes, `the ${size}-byte message`).toEqual([7]);
    }, caseTimeout);

    it('throws E_TOO_LARGE synchronously from send() one byte over maxMessageBytes, and stays usable', async (context) => {
      const { pair, a, b } = await connectOpen();
      const max = pair.a.capabilities.maxMessageBytes;
      context.skip(max + 1 > MAX_ALLOCATED_BYTES, `maxMessageBytes is ${max}: the suite does not allocate more than ${MAX_ALLOCATED_BYTES} bytes`);
      expectThrowsSync(() => pair.a.send(new Uint8Array(max + 1)), 'E_TOO_LARGE', `send() of ${max + 1} bytes`);
      expect(pair.a.state, 'end a after a refused send()').toBe('open');
      pair.a.send(patterned(3, 32));
      const reliable = pair.a.capabilities.reliable;
      await settleDeliveries(reliable, [[b, 1]]);
      if (reliable) expect(intactIndexes(b, 32), 'a message sent after the refused one').toEqual([3]);
      expect(a.of('close'), 'end a must not close over a refused send()').toEqual([]);
      expect(b.of('close'), 'end b must not close over a refused send()').toEqual([]);
    }, caseTimeout);

    it("throws E_CLOSED synchronously from send() whenever the state is not 'open' (connecting, closed)", async () => {
      const { pair, a, b } = await connect();
      for (const log of [a, b]) {
        if (log.connection.state !== 'open') expectSendClosed(log.connection, `${log.name} while ${log.connection.state}`);
      }
      await Promise.all([a.waitOpen(), b.waitOpen()]);
      pair.a.close();
      if (pair.a.state !== 'open') expectSendClosed(pair.a, `end a right after close() (state '${pair.a.state}')`);
      await a.waitFor((e) => e.event === 'close', "emits 'close'");
      await b.waitFor((e) => e.event === 'close', "emits 'close'");
      for (const log of [a, b]) {
        expect(log.connection.state, `${log.name} after its 'close' event`).toBe('closed');
        expectSendClosed(log.connection, `${log.name} once closed`);
      }
    }, caseTimeout);

    it("closes both ends for good on close(): one 'close' each with final: true, state 'closed'", async () => {
      const { pair, a, b } = await connectOpen();
      pair.a.close(1000, 'conformance: done');
      for (const log of [a, b]) await log.waitFor((e) => e.event === 'close', "emits 'close'");
      await delay(QUIET_MS);
      for (const log of [a, b]) {
        const closes = log.of('close');
        expect(closes.length, `${log.name}: 'close' events (${log.summary()})`).toBe(1);
        const info = closes[0]!.info;
        expect(info.final, `${log.name}: close info.final`).toBe(true);
        expect(typeof info.code, `${log.name}: typeof close info.code`).toBe('number');
        expect(typeof info.reason, `${log.name}: typeof close info.reason`).toBe('string');
        expect(log.connection.state, `${log.name}: state after 'close'`).toBe('closed');
        const closeAt = log.events.findIndex((e) => e.event === 'close');
        expect(log.events.slice(closeAt + 1).map((e) => e.event), `${log.name}: events after the final 'close'`).toEqual([]);
      }
    }, caseTimeout);

    it("delivers no message after 'close' when close() follows a burst of sends", async () => {
      const { pair, a, b } = await connectOpen();
      for (let i = 0; i < 50; i++) {
        pair.a.send(patterned(i, 256));
        pair.b.send(patterned(500 + i, 256));
      }
      pair.a.close();
      for (const log of [a, b]) await log.waitFor((e) => e.event === 'close', "emits 'close'");
      await delay(QUIET_MS);
      for (const log of [a, b]) {
        const closeAt = log.events.findIndex((e) => e.event === 'close');
        const late = log.events.slice(closeAt + 1).filter((e) => e.event === 'message').length;
        expect(late, `${log.name}: messages delivered after its 'close' (${log.summary()})`).toBe(0);
        intactIndexes(log, 256);
      }
    }, caseTimeout);

    it('never emits an event synchronously from inside send(), on() or close()', async () => {
      const pair = await setup.pair();
      pairs.push(pair);
      let inside: string | undefined;
      const violations: string[] = [];
      const during = (what: string, action: () => void): void => {
        inside = what;
        try {
          action();
        } finally {
          inside = undefined;
        }
      };
      const watch = (end: Connection, label: string): void => {
        for (const event of EVENTS) {
          end.on(event, () => {
            if (inside !== undefined) violations.push(`'${event}' of end ${label} emitted inside ${inside}`);
          });
        }
      };
      during('on()', () => {
        watch(pair.a, 'a');
        watch(pair.b, 'b');
      });
      const logs = { a: new EventLog('end a', pair.a, timeoutMs), b: new EventLog('end b', pair.b, timeoutMs) };
      await Promise.all([logs.a.waitOpen(), logs.b.waitOpen()]);
      // On an open connection, subscribing to 'open' must not replay it synchronously.
      during('on() after open', () => {
        watch(pair.a, 'a');
        watch(pair.b, 'b');
      });
      during('send()', () => {
        for (let i = 0; i < 5; i++) {
          pair.a.send(patterned(i));
          pair.b.send(patterned(10 + i));
        }
      });
      if (pair.a.capabilities.reliable) await logs.b.waitFor((e) => e.event === 'message', 'receives a message');
      during('close()', () => pair.a.close());
      for (const log of [logs.a, logs.b]) await log.waitFor((e) => e.event === 'close', "emits 'close'");
      expect(violations, 'events emitted synchronously').toEqual([]);
    }, caseTimeout);

    const reconnect = setup.interrupt === undefined ? it.skip : it;
    const reconnectName =
      setup.interrupt === undefined
        ? `comes back after the link drops: 'close' with final: false, then 'open', then messages flow (skipped: "${name}" provides no interrupt hook)`
        : "comes back after the link drops: 'close' with final: false, then 'open', then messages flow";
    reconnect(
      reconnectName,
      async (context) => {
        const { pair, a, b } = await connectOpen();
        const reconnecting = [a, b].filter((log) => log.connection.capabilities.reconnects);
        context.skip(reconnecting.length === 0, 'neither end declares capabilities.reconnects');
        // What each end sees when it learns of the drop: its state, and what send() does then.
        const atDrop = new Map<EventLog, { state: string; sendError: string | undefined; code: SyncErrorCode | undefined }>();
        for (const log of [a, b]) {
          log.connection.on('close', (info) => {
            if (info.final || atDrop.has(log)) return;
            let sendError: string | undefined;
            let code: SyncErrorCode | undefined;
            try {
              log.connection.send(patterned(999));
              sendError = 'none: send() returned normally';
            } catch (error) {
              code = isSyncError(error) ? error.code : undefined;
              sendError = describeError(error);
            }
            atDrop.set(log, { state: log.connection.state, sendError, code });
          });
        }
        const before = { a: a.events.length, b: b.events.length };
        const replaced = await setup.interrupt?.(pair);
        const next = replaced ?? pair;
        if (replaced !== undefined && replaced !== pair) pairs.push(replaced);
        for (const log of [a, b]) {
          const from = log === a ? before.a : before.b;
          if (log.connection.capabilities.reconnects) {
            const closeAt = await log.waitFor((e) => e.event === 'close' && !e.info.final, "emits 'close' with final: false", from);
            await log.waitFor((e) => e.event === 'open', "emits 'open' again after the drop", closeAt + 1);
            const drop = atDrop.get(log)!;
            expect(drop.state, `${log.name}: state inside 'close' (final: false)`).toBe('connecting');
            expect(drop.code, `${log.name}: send() while reconnecting threw ${drop.sendError}`).toBe('E_CLOSED');
          } else {
            // An end that does not come back by itself closes for good.
            await log.waitFor((e) => e.event === 'close', "emits 'close'", from);
            expect(log.of('close').at(-1)!.info.final, `${log.name} does not reconnect: its close must be final`).toBe(true);
          }
        }
        const logs = {
          a: next.a === pair.a ? a : new EventLog('new end a', next.a, timeoutMs),
          b: next.b === pair.b ? b : new EventLog('new end b', next.b, timeoutMs),
        };
        await Promise.all([logs.a.waitOpen(), logs.b.waitOpen()]);
        const marks = { a: logs.a.events.length, b: logs.b.events.length };
        await sendUntilReceived(next.a, patterned(4_242), logs.b, marks.b, 'from a to b after reconnecting');
        await sendUntilReceived(next.b, patterned(2_424), logs.a, marks.a, 'from b to a after reconnecting');
      },
      caseTimeout,
    );

    it('stops calling a listener once the function on() returned is called', async () => {
      const { pair, a, b } = await connectOpen();
      const removed: number[] = [];
      const kept: number[] = [];
      const off = pair.b.on('message', (bytes) => removed.push(indexOf(bytes)));
      expect(typeof off, 'what on() returns').toBe('function');
      pair.b.on('message', (bytes) => kept.push(indexOf(bytes)));
      await sendUntilReceived(pair.a, patterned(1), b, 0, 'the first message');
      off();
      off(); // a second call is harmless
      const mark = b.events.length;
      await sendUntilReceived(pair.a, patterned(2), b, mark, 'the second message');
      await delay(QUIET_MS);
      expect(removed.includes(2), 'the removed listener got a message sent after off()').toBe(false);
      expect(removed.includes(1), 'the listener got the message sent before off()').toBe(true);
      expect(kept.includes(1) && kept.includes(2), 'the other listener got both').toBe(true);
      // The same holds for the other events.
      let closeCalls = 0;
      const offClose = pair.a.on('close', () => closeCalls++);
      offClose();
      pair.a.close();
      await a.waitFor((e) => e.event === 'close', "emits 'close'");
      expect(closeCalls, "a removed 'close' listener").toBe(0);
    }, caseTimeout);

    /**
     * Waits for `count` messages on each log when the transport is reliable;
     * otherwise gives what is in flight a moment to arrive.
     */
    async function settleDeliveries(reliable: boolean, expected: readonly (readonly [EventLog, number])[]): Promise<void> {
      if (!reliable) {
        await delay(Math.min(timeoutMs, 500));
        return;
      }
      for (const [log, count] of expected) {
        await waitUntil(() => log.messages().length >= count, timeoutMs, `${log.name} received ${count} messages (got ${log.messages().length})`);
      }
    }

    /**
     * Sends `bytes` (again and again, when the transport is not reliable)
     * until `log` receives a message with its index after position `from`.
     */
    async function sendUntilReceived(from: Connection, bytes: Uint8Array, log: EventLog, mark: number, what: string): Promise<void> {
      const index = indexOf(bytes);
      const arrived = (): boolean => log.events.some((e, i) => i >= mark && e.event === 'message' && indexOf(e.bytes) === index);
      const deadline = Date.now() + timeoutMs;
      do {
        from.send(bytes);
        const until = Math.min(deadline, Date.now() + (from.capabilities.reliable ? timeoutMs : 50));
        while (!arrived() && Date.now() < until) await delay(2);
      } while (!arrived() && Date.now() < deadline);
      if (!arrived()) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${log.name} events: ${log.summary()})`);
    }
  });
}
