import {
  TransportError,
  checkOutgoingMessage,
  createConnectionListeners,
  type Connection,
  type ConnectionCapabilities,
  type ConnectionCloseInfo,
  type ConnectionEvents,
  type ConnectionState,
  type EventListeners,
} from '@softadastra/sync-core';
import { CLOSE_CODES } from './close-codes.js';
import { SocketLink, type LinkDown, type LinkSettings } from './socket-link.js';
import type { WebSocketLike } from './web-socket-like.js';

/**
 * The server end of a WebSocket link, as `WebSocketServer` hands it out:
 * already `'open'`, and never coming back once closed (a client that
 * reconnects arrives as a new connection).
 */
export interface WebSocketServerConnection extends Connection {
  /** The client's address and port, e.g. `"127.0.0.1:51234"`. */
  readonly remote: string;
  /**
   * Drops the link at once, without a closing handshake (for a client that
   * misbehaves, or to simulate a network failure); emits `close` with code
   * 1006 and `final: true` from a microtask.
   *
   * @param reason - why, for the local `close` event @default 'terminated'
   */
  terminate(reason?: string): void;
}


/**
 * The implementation of {@link WebSocketServerConnection}.
 *
 * @internal
 */
export class ServerConnection implements WebSocketServerConnection {
  readonly capabilities: ConnectionCapabilities;
  readonly remote: string;
  readonly #listeners: EventListeners<ConnectionEvents>;
  readonly #link: SocketLink;
  readonly #onClosed: () => void;
  #state: ConnectionState = 'open';

  /**
   * @param socket - the accepted, open socket
   * @param settings - clock, heartbeat and limits (`peer` names the client)
   * @param onClosed - called once when this connection becomes `'closed'`
   */
  constructor(socket: WebSocketLike, settings: LinkSettings, onClosed: () => void) {
    this.remote = settings.peer;
    this.#onClosed = onClosed;
    this.capabilities = Object.freeze({ ordered: true, reliable: true, maxMessageBytes: settings.maxMessageBytes, reconnects: false });
    this.#listeners = createConnectionListeners(() => `the connection from ${this.remote}`);
    this.#link = new SocketLink(socket, settings, {
      message: (bytes) => this.#listeners.emit('message', bytes),
      drain: () => this.#listeners.emit('drain'),
      down: (info) => {
        this.#closed();
        this.#emitDown(info);
      },
    });
  }

  /** `'open'` until the link is closed, then `'closed'`. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** The socket's `bufferedAmount`; 0 once closed. */
  get bufferedAmount(): number {
    return this.#link.bufferedAmount;
  }

  /**
   * Sends one message as a binary frame.
   *
   * @throws TransportError `E_CLOSED` unless `'open'` (also when this send
   * would exceed `maxBufferedBytes`: the slow client is disconnected);
   * `E_TOO_LARGE` over `capabilities.maxMessageBytes`
   */
  send(bytes: Uint8Array): void {
    if (this.#state !== 'open') {
      throw new TransportError('E_CLOSED', `cannot send to ${this.remote}: the connection is closed (the client comes back as a new connection)`, { peer: this.remote });
    }
    checkOutgoingMessage(bytes, this.capabilities.maxMessageBytes, this.remote);
    const down = this.#link.send(bytes);
    if (down === undefined) return;
    this.#closed();
    queueMicrotask(() => this.#emitDown(down));
    throw new TransportError('E_CLOSED', `cannot send to ${this.remote}: ${down.reason}`, { peer: this.remote });
  }

  /**
   * Listens to an event (`open` never fires: the connection starts open).
   *
   * @returns a function that removes the listener
   */
  on<E extends keyof ConnectionEvents>(event: E, listener: ConnectionEvents[E]): () => void {
    return this.#listeners.on(event, listener);
  }

  /**
   * Closes for good with a closing handshake; emits `close` with
   * `final: true` from a microtask.
   *
   * @param code - the close code @default 1000
   * @param reason - why @default ''
   */
  close(code: number = CLOSE_CODES.normal, reason = ''): void {
    if (this.#state === 'closed') return;
    this.#closed();
    this.#link.close(code, reason);
    queueMicrotask(() => this.#listeners.emit('close', { code, reason, final: true }));
  }

  /** {@inheritDoc WebSocketServerConnection.terminate} */
  terminate(reason = 'terminated'): void {
    if (this.#state === 'closed') return;
    this.#closed();
    this.#link.terminate();
    queueMicrotask(() => this.#listeners.emit('close', { code: CLOSE_CODES.abnormal, reason, final: true }));
  }

  #closed(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#onClosed();
  }

  #emitDown(info: LinkDown): void {
    if (info.error !== undefined) this.#listeners.emit('error', info.error);
    const close: ConnectionCloseInfo = { code: info.code, reason: info.reason, final: true };
    this.#listeners.emit('close', close);
  }

}
