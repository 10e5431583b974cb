import type { Connection, ConnectionCloseInfo, SyncError } from '@softadastra/sync-core';

/** Everything a connection emitted since {@link recordConnection}, in order. */
export interface RecordedConnection {
  /** When each `open` came (`Date.now()`). */
  readonly opens: number[];
  readonly messages: Uint8Array[];
  readonly closes: ConnectionCloseInfo[];
  readonly errors: SyncError[];
  /** When each `drain` came (`Date.now()`). */
  readonly drains: number[];
  /** Event names in order, e.g. `['open', 'close:false', 'open']` (errors as `error:E_…`). */
  readonly order: string[];
}

/**
 * Records every event of `connection` from now on, for tests of transports
 * and of code that wraps connections.
 *
 * @param connection - any implementation of the contract
 */
export function recordConnection(connection: Connection): RecordedConnection {
  const recorded: RecordedConnection = { opens: [], messages: [], closes: [], errors: [], drains: [], order: [] };
  connection.on('open', () => {
    recorded.opens.push(Date.now());
    recorded.order.push('open');
  });
  connection.on('message', (bytes) => {
    recorded.messages.push(bytes);
    recorded.order.push('message');
  });
  connection.on('close', (info) => {
    recorded.closes.push(info);
    recorded.order.push(`close:${String(info.final)}`);
  });
  connection.on('error', (error) => {
    recorded.errors.push(error);
    recorded.order.push(`error:${error.code}`);
  });
  connection.on('drain', () => {
    recorded.drains.push(Date.now());
    recorded.order.push('drain');
  });
  return recorded;
}

/** Resolves after `ms` of real time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `predicate` every 2 ms of real time until it holds, or rejects after
 * `timeoutMs` with a message naming `what` was awaited.
 *
 * @param timeoutMs - @default 5000
 */
export async function until(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(2);
  }
}
