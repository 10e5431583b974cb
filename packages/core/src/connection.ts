import type { SyncError } from './errors.js';

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
