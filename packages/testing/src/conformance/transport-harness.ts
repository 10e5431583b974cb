import {
  isSyncError,
  type Connection,
  type ConnectionCloseInfo,
  type ConnectionState,
  type SyncError,
  type SyncErrorCode,
} from '@softadastra/sync-core';
import { describeError, waitUntil } from './async-helpers.js';

/** The two ends of one link, as {@link TransportConformanceSetup.pair} makes them. */
export interface TransportPair {
  /** One end, e.g. the client. */
  readonly a: Connection;
  /** The other end, e.g. the connection the server accepted. */
  readonly b: Connection;
}

/** How {@link runTransportConformance} gets connections for each case. */
export interface TransportConformanceSetup {
  /**
   * Makes a connected pair of ends (for instance a client and the server-side
   * end it reached). They may still be `'connecting'`: the suite waits for
   * `open`. Called once or more per case; every pair is closed after the case.
   */
  pair(): Promise<TransportPair> | TransportPair;
  /**
   * Takes the link of `pair` down and lets it come back, as a dropped network
   * would (for transports whose `capabilities.reconnects` is true). Without
   * it, the reconnect case is skipped with the reason.
   *
   * @returns nothing when the same two ends come back; or the pair to use
   * afterwards, when an end that does not reconnect by itself (a server-side
   * end) is replaced by the one accepted for the reconnected link
   */
  interrupt?(pair: TransportPair): Promise<TransportPair | void> | TransportPair | void;
  /** Called after each case, once its pairs are closed (e.g. to stop a server). */
  cleanup?(): Promise<void> | void;
  /**
   * How long to wait for an event before failing a case, in milliseconds of
   * real time.
   * @default 5000
   */
  timeoutMs?: number;
}

/** One event as a listener saw it, with the state of the connection at that moment. */
export type LoggedEvent =
  | { readonly event: 'open'; readonly state: ConnectionState }
  | { readonly event: 'message'; readonly state: ConnectionState; readonly bytes: Uint8Array }
  | { readonly event: 'close'; readonly state: ConnectionState; readonly info: ConnectionCloseInfo }
  | { readonly event: 'error'; readonly state: ConnectionState; readonly error: SyncError }
  | { readonly event: 'drain'; readonly state: ConnectionState };

/**
 * Every event of one connection, in the order it was emitted.
 *
 * @internal
 */
export class EventLog {
  readonly name: string;
  readonly connection: Connection;
  readonly events: LoggedEvent[] = [];
  readonly #timeoutMs: number;

  constructor(name: string, connection: Connection, timeoutMs: number) {
    this.name = name;
    this.connection = connection;
    this.#timeoutMs = timeoutMs;
    const state = (): ConnectionState => connection.state;
    connection.on('open', () => this.events.push({ event: 'open', state: state() }));
    connection.on('message', (bytes) => this.events.push({ event: 'message', state: state(), bytes }));
    connection.on('close', (info) => this.events.push({ event: 'close', state: state(), info }));
    connection.on('error', (error) => this.events.push({ event: 'error', state: state(), error }));
    connection.on('drain', () => this.events.push({ event: 'drain', state: state() }));
  }

  /** The messages received so far. */
  messages(): Uint8Array[] {
    return this.events.flatMap((e) => (e.event === 'message' ? [e.bytes] : []));
  }

  /** The events of one kind so far. */
  of<E extends LoggedEvent['event']>(event: E): Extract<LoggedEvent, { event: E }>[] {
    return this.events.filter((e): e is Extract<LoggedEvent, { event: E }> => e.event === event);
  }

  /** Waits until an event matching `predicate` is logged at or after position `from`; returns its position. */
  async waitFor(predicate: (event: LoggedEvent) => boolean, what: string, from = 0): Promise<number> {
    let found = -1;
    await waitUntil(
      () => {
        found = this.events.findIndex((e, i) => i >= from && predicate(e));
        return found >= 0;
      },
      this.#timeoutMs,
      `${this.name} ${what} (events so far: ${this.summary()})`,
    );
    return found;
  }

  /** Waits until the connection is `'open'`: at once if it already is, else for its `open` event. */
  async waitOpen(): Promise<void> {
    // A function, so the state is read afresh after each await.
    const state = (): ConnectionState => this.connection.state;
    if (state() === 'open') return;
    if (state() === 'closed') throw new Error(`${this.name} is closed, expected it to open (events: ${this.summary()})`);
    await this.waitFor((e) => e.event === 'open', "emits 'open'");
    if (state() !== 'open') throw new Error(`${this.name} emitted 'open' but its state is '${state()}'`);
  }

  /** A short account of the events so far, for failure messages. */
  summary(): string {
    if (this.events.length === 0) return 'none';
    const parts = this.events.map((e) => (e.event === 'close' ? `close(final=${e.info.final})` : e.event === 'message' ? 'message' : e.event));
    const shown = parts.length > 12 ? [...parts.slice(0, 4), `… ${parts.length - 8} more …`, ...parts.slice(-4)] : parts;
    return shown.join(' ');
  }
}

/**
 * A message that identifies itself: `index` as 4 bytes big-endian, then a
 * pattern derived from the index, `size` bytes in all (at least 4).
 *
 * @internal
 */
export function patterned(index: number, size = 16): Uint8Array {
  const bytes = new Uint8Array(Math.max(4, size));
  new DataView(bytes.buffer).setUint32(0, index >>> 0);
  for (let k = 4; k < bytes.length; k++) bytes[k] = (index * 31 + k * 7 + (k >>> 8)) & 0xff;
  return bytes;
}

/**
 * The index a {@link patterned} message carries, or a description of the
 * damage when its bytes are not exactly what was sent.
 *
 * @internal
 */
export function readPatterned(bytes: unknown, size?: number): { readonly index: number } | { readonly damage: string } {
  if (!(bytes instanceof Uint8Array)) return { damage: `a message is not a Uint8Array but ${describeValue(bytes)}` };
  if (bytes.length < 4) return { damage: `a message of ${bytes.length} bytes is too short to be one sent` };
  const index = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  if (size !== undefined && bytes.length !== size) return { damage: `message ${index} has ${bytes.length} bytes instead of ${size}` };
  const expected = patterned(index, bytes.length);
  for (let k = 4; k < bytes.length; k++) {
    if (bytes[k] !== expected[k]) return { damage: `message ${index} (${bytes.length} bytes) differs from what was sent at byte ${k}` };
  }
  return { index };
}

/**
 * Calls `action`, which must throw a SyncError with `code` synchronously.
 *
 * @internal
 */
export function expectThrowsSync(action: () => unknown, code: SyncErrorCode, what: string): SyncError {
  let result: unknown;
  try {
    result = action();
  } catch (error) {
    if (!isSyncError(error)) throw new Error(`${what}: expected a SyncError ${code}, got ${describeError(error)}`, { cause: error });
    if (error.code !== code) throw new Error(`${what}: expected code ${code}, got ${describeError(error)}`, { cause: error });
    return error;
  }
  const hint = result instanceof Promise ? ' (it returned a promise: the error must be thrown synchronously)' : '';
  throw new Error(`${what}: expected it to throw a SyncError ${code}, it returned normally${hint}`);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as { constructor?: { name?: string } }).constructor?.name ?? 'an object';
  return typeof value;
}
