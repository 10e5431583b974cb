import { TokenBucket, decodeMessage, readOpsHeader, systemClock, wrapConnection, type Clock, type Connection } from '@softadastra/sync-core';

/** What one client connection may send the relay, per second (see the README's Limits). */
export interface ConnectionBudget {
  /** Bytes per second, sustained. */
  readonly bytesPerSecond: number;
  /** Bytes in a burst (at least the largest message). */
  readonly bytesBurst: number;
  /** Messages per second, sustained (binary messages; control frames are the transport's). */
  readonly messagesPerSecond: number;
  /** Messages in a burst. */
  readonly messagesBurst: number;
  /** Bytes held back while throttled; past it the client is disconnected with {@link OVER_BUDGET_CLOSE_CODE}. */
  readonly maxHeldBytes: number;
}

/** What a {@link clientConnection} reports, for metrics and logs. */
export interface ClientConnectionHooks {
  bytesIn(bytes: number): void;
  bytesOut(bytes: number): void;
  opsOut(ops: number): void;
  /** An `error` message went to the client: a fault of the client's, by code. */
  refused(code: string, count: number): void;
  /** Messages started waiting for the budget (once per episode). */
  throttled(): void;
  /** The client went over budget and was disconnected. */
  overBudget(reason: string): void;
}

/** Close code for a client that sends more than its budget, even throttled. */
export const OVER_BUDGET_CLOSE_CODE = 4029;

/**
 * A client's connection as the relay's engine sees it: every message in is
 * paid for from the connection's budget (bytes and messages per second),
 * throttled when the budget is spent — delivered later, in order — and the
 * client disconnected when what waits exceeds `maxHeldBytes`. It also counts
 * what goes in and out, and holds the messages that arrive before the engine
 * listens (while the space opens) instead of dropping them: the first of them
 * is the client's hello.
 *
 * @remarks
 * The budget applies to every message alike, whatever it asks for: the
 * engine's own request budget (hellos, digests) and reply limit sit behind it
 * (see `ConnectOptions.requestBudget` and `maxQueuedReplies`).
 */
export function clientConnection(inner: Connection, budget: ConnectionBudget, hooks: ClientConnectionHooks, clock: Clock = systemClock): Connection {
  const bytes = new TokenBucket(budget.bytesPerSecond, Math.max(budget.bytesBurst, inner.capabilities.maxMessageBytes), clock.now());
  const messages = new TokenBucket(budget.messagesPerSecond, budget.messagesBurst, clock.now());
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  let deliver: ((bytes: Uint8Array) => void) | undefined;
  let timer: unknown;
  let throttled = false;
  let over = false;

  const pump = (): void => {
    if (deliver === undefined || timer !== undefined) return;
    while (held.length > 0) {
      const next = held[0]!;
      const now = clock.now();
      const wait = Math.max(bytes.waitMs(next.length, now), messages.waitMs(1, now));
      if (wait > 0) {
        if (!throttled) {
          throttled = true;
          hooks.throttled();
        }
        timer = clock.setTimeout(() => {
          timer = undefined;
          pump();
        }, wait);
        return;
      }
      bytes.tryTake(next.length, now);
      messages.tryTake(1, now);
      held.shift();
      heldBytes -= next.length;
      deliver(next);
      if (over) return;
    }
    throttled = false;
  };
  const drop = (): void => {
    held = [];
    heldBytes = 0;
    clock.clearTimeout(timer);
    timer = undefined;
  };
  const wrapped = wrapConnection(inner, {
    receive(message) {
      if (over) return;
      hooks.bytesIn(message.length);
      held.push(message);
      heldBytes += message.length;
      if (heldBytes > budget.maxHeldBytes) {
        over = true;
        const reason = `sent more than the relay takes from one connection (${budget.bytesPerSecond} bytes and ${budget.messagesPerSecond} messages a second, ${budget.maxHeldBytes} bytes waiting): slow down`;
        drop();
        hooks.overBudget(reason);
        inner.close(OVER_BUDGET_CLOSE_CODE, 'over the connection budget: slow down');
        return;
      }
      pump();
    },
    listening(to) {
      deliver = to;
      pump();
    },
    send(out, forward) {
      forward(out);
      hooks.bytesOut(out.length);
      // Protocol type byte (docs/protocol.md): 2 = ops, 5 = error.
      if (out[2] === 2) hooks.opsOut(opsInMessage(out));
      else if (out[2] === 5) {
        const message = decodeMessage(out);
        if (message.type === 'error') hooks.refused(message.code, Math.max(1, message.opIds?.length ?? 0));
      }
    },
  });
  inner.on('close', (info) => {
    if (info.final) drop();
  });
  return wrapped;
}

/**
 * The number of operations in an encoded `ops` message, read from its header
 * (core's `readOpsHeader`) without decoding the operations.
 */
export function opsInMessage(bytes: Uint8Array): number {
  return readOpsHeader(bytes)?.ops ?? 0;
}
