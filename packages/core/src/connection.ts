import { SyncError, TransportError, isSyncError } from './errors.js';
import { EventListeners, rethrowLater } from './event-listeners.js';

/** What a transport promises, as data. */
export interface ConnectionCapabilities {
  /** Messages arrive in the order they were sent, while the link is up. */
  readonly ordered: boolean;
  /** No message is lost while the link is up. */
  readonly reliable: boolean;
  /** The largest message `send()` accepts, in bytes. */
  readonly maxMessageBytes: number;
  /** After a drop the connection comes back by itself and emits `open` again. */
  readonly reconnects: boolean;
}

/** Where a connection stands. */
export type ConnectionState = 'connecting' | 'open' | 'closed';

/** Why a link went down. */
export interface ConnectionCloseInfo {
  /** A close code (WebSocket codes where they apply; 1000 for a normal close). */
  readonly code: number;
  /** A human-readable reason. */
  readonly reason: string;
  /** The connection will not come back: it was closed for good. */
  readonly final: boolean;
}

/** The events of a {@link Connection} and their listeners. */
export interface ConnectionEvents {
  /** The link is up (again): a session starts with a fresh `hello`. */
  open: () => void;
  /** A whole message arrived. */
  message: (bytes: Uint8Array) => void;
  /** The link went down; see `final`. */
  close: (info: ConnectionCloseInfo) => void;
  /** Something went wrong that did not (yet) close the link. */
  error: (error: SyncError) => void;
  /** The send buffer drained below its limit. */
  drain: () => void;
}

/**
 * The transport contract: a message pipe to one remote peer.
 *
 * @remarks
 * Implemented by `@softadastra/transport-memory`, `transport-websocket`,
 * `transport-http` and your own; `runTransportConformance` from
 * `@softadastra/sync-testing` checks an implementation. The engine never
 * trusts it for order, delivery, uniqueness or content: the protocol survives
 * loss, duplication and reordering. Events are emitted asynchronously (never
 * from inside `send()` or `on()`).
 */
export interface Connection {
  /** What this transport guarantees. */
  readonly capabilities: ConnectionCapabilities;
  /** Where the connection stands now. */
  readonly state: ConnectionState;
  /** Bytes accepted by `send()` and not yet handed to the network. */
  readonly bufferedAmount: number;
  /**
   * Sends one message.
   *
   * @throws TransportError `E_CLOSED` unless the state is `open`;
   * `E_TOO_LARGE` over `capabilities.maxMessageBytes`
   */
  send(bytes: Uint8Array): void;
  /**
   * Listens to an event.
   *
   * @returns a function that removes the listener
   */
  on<E extends keyof ConnectionEvents>(event: E, listener: ConnectionEvents[E]): () => void;
  /** Closes for good; emits `close` with `final: true`. */
  close(code?: number, reason?: string): void;
}

/**
 * The client end of a transport: it dials a server by URL, comes back by
 * itself after drops (see {@link createReconnectLoop}), and can be pointed at
 * another server while it runs.
 */
export interface ClientConnection extends Connection {
  /** The server URL of the current (or next) connection attempt, without any token. */
  readonly url: string;
  /** Every server URL, in the order they are tried (the `url` option, or the last `setUrl()`). */
  readonly urls: readonly string[];
  /**
   * Points the connection at another server (or list of servers, tried in
   * turn): the current link is closed cleanly (emitting `close` with code
   * 1000 and `final: false`) and the first new URL is dialled at once. A
   * new session then starts there with a fresh `hello`, so nothing sent but
   * not yet acknowledged is lost.
   *
   * @param url - a URL, or a non-empty list of them
   * @throws SyncError `E_INVALID_ARGUMENT` for a bad URL; TransportError
   * `E_CLOSED` once the connection is closed for good
   */
  setUrl(url: string | readonly string[]): void;
}

const CONNECTION_EVENTS: readonly (keyof ConnectionEvents)[] = ['open', 'message', 'close', 'error', 'drain'];

/**
 * The listeners of a {@link Connection}'s events, with the contract's policy
 * for a listener that throws: the other listeners still run, and the error
 * is reported on `error` as `E_INTERNAL` — or rethrown from a microtask when
 * nobody listens for errors, or when an `error` listener threw — never back
 * into the code that emitted the event. For implementations of the contract.
 *
 * @param owner - names the connection in messages, e.g. `the connection to ws://…` (asked when needed: it may change)
 */
export function createConnectionListeners(owner: () => string): EventListeners<ConnectionEvents> {
  const listeners: EventListeners<ConnectionEvents> = new EventListeners<ConnectionEvents>(CONNECTION_EVENTS, (error, event) => {
    if (event === 'error' || listeners.count('error') === 0) {
      rethrowLater(error);
      return;
    }
    const reason = error instanceof Error ? error.message : String(error);
    listeners.emit('error', isSyncError(error) ? error : new SyncError('E_INTERNAL', `a '${event}' listener of ${owner()} threw: ${reason}`, { cause: error }));
  });
  return listeners;
}

/**
 * Checks a message handed to `send()`: a `Uint8Array` of at most
 * `maxMessageBytes`.
 *
 * @param bytes - what `send()` was given
 * @param maxMessageBytes - the connection's `capabilities.maxMessageBytes`
 * @param peer - the remote, for the message
 * @throws SyncError `E_INVALID_ARGUMENT` for anything but a Uint8Array;
 * TransportError `E_TOO_LARGE` over the limit
 */
export function checkOutgoingMessage(bytes: unknown, maxMessageBytes: number, peer: string): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new SyncError('E_INVALID_ARGUMENT', `send() takes a Uint8Array, got ${typeof bytes}`);
  if (bytes.length > maxMessageBytes) {
    throw new TransportError('E_TOO_LARGE', `message of ${bytes.length} bytes to ${peer} exceeds maxMessageBytes (${maxMessageBytes}): split it into smaller messages`, { peer });
  }
}

/**
 * The `E_CLOSED` error of a client connection's `send()` while it is not
 * open, telling what to do: wait for `open`, or make a new connection.
 *
 * @param peer - the server
 * @param state - where the connection stands
 */
export function notOpenError(peer: string, state: ConnectionState): TransportError {
  const hint = state === 'closed' ? 'it was closed for good; create a new connection' : "wait for its 'open' event";
  return new TransportError('E_CLOSED', `cannot send to ${peer}: the connection is ${state} (${hint})`, { peer });
}

/**
 * How {@link wrapConnection} observes or changes the traffic of a
 * connection. Every hook is optional; without any, the wrapper is the inner
 * connection under another name.
 */
export interface ConnectionTaps {
  /**
   * Sees each message sent through the wrapper. `forward` hands bytes to the
   * inner connection's `send()` — whose errors (`E_CLOSED`, `E_TOO_LARGE`)
   * reach the caller — so a tap may count, change, hold back, duplicate or
   * refuse (by throwing) a message. Without it every message is forwarded.
   */
  readonly send?: (bytes: Uint8Array, forward: (bytes: Uint8Array) => void) => void;
  /**
   * Sees each message the inner connection receives, once whatever the
   * number of listeners. `deliver` hands bytes to the wrapper's `message`
   * listeners: now, later (from a timer: a throttle) or never (a filter).
   * Without it every message is delivered.
   */
  readonly receive?: (bytes: Uint8Array, deliver: (bytes: Uint8Array) => void) => void;
  /**
   * The wrapper got its first `message` listener (called from a microtask):
   * the moment to deliver what `receive` held while nobody listened.
   * `deliver` is the same function `receive` is given.
   */
  readonly listening?: (deliver: (bytes: Uint8Array) => void) => void;
}

/**
 * Wraps a connection to observe or transform its messages — count bytes,
 * meter, throttle, replay, inject faults — while keeping the contract.
 *
 * @remarks
 * `capabilities`, `state` and `bufferedAmount` are the inner connection's
 * (so backpressure works through the wrapper), `close()` closes it, and
 * `open`, `close`, `error` and `drain` are forwarded as they come. The
 * wrapper listens to the inner connection once per event and calls its own
 * listeners the way the transports do: a listener that throws does not stop
 * the others and is reported as an `E_INTERNAL` `error` event (rethrown from
 * a microtask when nobody listens for errors), never into the tap or the
 * inner connection. Written once here, so that the relay, the SDK, the
 * simulator, the benchmarks and the tests do not each hand-write one.
 *
 * @example
 * ```ts
 * let sent = 0;
 * const counted = wrapConnection(connection, { send: (bytes, forward) => { forward(bytes); sent += bytes.length; } });
 * engine.connect(counted);
 * ```
 *
 * @param inner - the connection to wrap
 * @param taps - what to do with the messages; see {@link ConnectionTaps}
 */
export function wrapConnection(inner: Connection, taps: ConnectionTaps): Connection {
  const listeners = createConnectionListeners(() => 'a connection');
  const forward = (bytes: Uint8Array): void => inner.send(bytes);
  const deliver = (bytes: Uint8Array): void => listeners.emit('message', bytes);
  const { send, receive, listening } = taps;
  inner.on('open', () => listeners.emit('open'));
  inner.on('message', receive === undefined ? deliver : (bytes) => receive(bytes, deliver));
  inner.on('close', (info) => listeners.emit('close', info));
  inner.on('error', (error) => listeners.emit('error', error));
  inner.on('drain', () => listeners.emit('drain'));
  let heard = false;
  return {
    get capabilities() {
      return inner.capabilities;
    },
    get state() {
      return inner.state;
    },
    get bufferedAmount() {
      return inner.bufferedAmount;
    },
    send(bytes) {
      if (send === undefined) inner.send(bytes);
      else send(bytes, forward);
    },
    on(event, listener) {
      const off = listeners.on(event, listener);
      if (event === 'message' && !heard && listening !== undefined) {
        heard = true;
        // Asynchronously, as every connection event is.
        queueMicrotask(() => listening(deliver));
      }
      return off;
    },
    close(code, reason) {
      inner.close(code, reason);
    },
  };
}
