import {
  TransportError,
  checkOutgoingMessage,
  createConnectionListeners,
  createReconnectLoop,
  notOpenError,
  type ClientConnection,
  type ConnectionCapabilities,
  type ConnectionCloseInfo,
  type ConnectionEvents,
  type ConnectionState,
  type ReconnectAttempt,
  type ReconnectLoop,
  type EventListeners,
} from '@softadastra/sync-core';
import { CLOSE_CODES, authErrorOf } from './close-codes.js';
import { SocketLink, type LinkDown } from './socket-link.js';
import { checkWebSocketUrls, type ResolvedTransportOptions } from './transport-options.js';
import { closeSocket, openSocket, terminateSocket, type HttpResponseLike, type SocketErrorEvent, type WebSocketLike } from './web-socket-like.js';

/**
 * The client end of a WebSocket link: a core `Connection` that dials a
 * server, and comes back by itself after every drop.
 *
 * @remarks
 * `state` goes `'connecting'` → `'open'` (emitting `open`) → on a drop
 * `'connecting'` again (emitting `close` with `final: false`) → `'open'`
 * (emitting `open` again: a new session starts with a fresh `hello`) … until
 * `close()`, or an HTTP 401/403 answer to the upgrade (or close code
 * 4401/4403), which are final.
 */
export interface WebSocketConnection extends ClientConnection {
  /** The server URL of the current (or next) connection attempt: a `ws://` or `wss://` URL, without the token. */
  readonly url: string;
}

const MAX_REJECTION_BODY = 4096;

/** A refused upgrade, as `ws` reports it. */
interface Rejection {
  readonly status: number;
  reason: string;
}

/**
 * The implementation of {@link WebSocketConnection}, shared by the Node and
 * browser entry points (they differ only in the default WebSocket class).
 *
 * @internal
 */
export class WebSocketClientConnection implements WebSocketConnection {
  readonly capabilities: ConnectionCapabilities;
  readonly #options: ResolvedTransportOptions;
  readonly #listeners: EventListeners<ConnectionEvents>;
  readonly #loop: ReconnectLoop;
  #state: ConnectionState = 'connecting';
  /** The socket being dialled, until it opens (a socket that is not this one or the link's is stale). */
  #socket: WebSocketLike | undefined;
  #socketError: TransportError | undefined;
  #rejection: Rejection | undefined;
  #link: SocketLink | undefined;
  #connectTimer: unknown;

  /** @param options - checked options, with defaults */
  constructor(options: ResolvedTransportOptions) {
    this.#options = options;
    this.capabilities = Object.freeze({ ordered: true, reliable: true, maxMessageBytes: options.maxMessageBytes, reconnects: options.policy !== false });
    this.#listeners = createConnectionListeners(() => `the connection to ${this.url}`);
    this.#loop = createReconnectLoop({
      ...options,
      connect: (attempt) => this.#dial(attempt),
      report: (error) => this.#emit('error', error),
      giveUp: (error) => {
        this.#finish();
        this.#emit('error', error);
        this.#emit('close', { code: CLOSE_CODES.abnormal, reason: error.message, final: true });
      },
    });
    this.#loop.start();
  }

  /** The server URL of the current (or next) attempt. */
  get url(): string {
    return this.#loop.url;
  }

  /** Every server URL, in the order they are tried. */
  get urls(): readonly string[] {
    return this.#loop.urls;
  }

  /** Where the connection stands. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** The socket's `bufferedAmount` while open; 0 otherwise. */
  get bufferedAmount(): number {
    return this.#link?.bufferedAmount ?? 0;
  }

  /**
   * Sends one message as a binary frame.
   *
   * @throws TransportError `E_CLOSED` unless `'open'` (also when this send
   * would exceed `maxBufferedBytes`: the link is dropped and comes back);
   * `E_TOO_LARGE` over `capabilities.maxMessageBytes`
   */
  send(bytes: Uint8Array): void {
    const link = this.#link;
    if (this.#state !== 'open' || link === undefined) throw notOpenError(this.url, this.#state);
    checkOutgoingMessage(bytes, this.capabilities.maxMessageBytes, this.url);
    const down = link.send(bytes);
    if (down === undefined) return;
    this.#lose(link, down, true);
    throw new TransportError('E_CLOSED', `cannot send to ${this.url}: ${down.reason}; reconnecting`, { peer: this.url });
  }

  /**
   * Listens to an event; listeners are only ever called from socket and clock
   * callbacks or microtasks, never from inside `send()`, `on()` or `close()`.
   *
   * @returns a function that removes the listener
   */
  on<E extends keyof ConnectionEvents>(event: E, listener: ConnectionEvents[E]): () => void {
    return this.#listeners.on(event, listener);
  }

  /**
   * Closes for good: stops reconnecting, closes the socket with `code` and
   * `reason`, and emits `close` with `final: true` from a microtask.
   *
   * @param code - the close code @default 1000
   * @param reason - why @default ''
   */
  close(code: number = CLOSE_CODES.normal, reason = ''): void {
    if (this.#state === 'closed') return;
    this.#finish();
    if (this.#link !== undefined) this.#link.close(code, reason);
    else if (this.#socket !== undefined) closeSocket(this.#socket, code, reason);
    this.#link = undefined;
    this.#socket = undefined;
    queueMicrotask(() => this.#emit('close', { code, reason, final: true }));
  }

  /** Closes an open link, or abandons the socket being dialled, and dials the first new URL at once. */
  setUrl(url: string | readonly string[]): void {
    const urls = checkWebSocketUrls(url);
    this.#loop.setUrls(urls);
    const reason = `moving to ${urls[0]!}`;
    const link = this.#link;
    this.#link = undefined;
    this.#options.clock.clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    if (this.#socket !== undefined) closeSocket(this.#socket, CLOSE_CODES.normal, reason);
    this.#socket = undefined;
    if (link === undefined) return;
    link.close(CLOSE_CODES.normal, reason);
    this.#state = 'connecting';
    queueMicrotask(() => {
      // A listener may have called close() meanwhile: its own final close follows.
      if (this.#state !== 'closed') this.#emit('close', { code: CLOSE_CODES.normal, reason, final: false });
    });
  }

  // ── dialling ─────────────────────────────────────────────────────────────

  #dial(attempt: ReconnectAttempt): void {
    if (this.#state === 'closed') return;
    const url = attempt.url;
    let socket: WebSocketLike;
    try {
      socket = openSocket(this.#options.WebSocket, url, attempt.token, this.#options.maxMessageBytes);
    } catch (error) {
      this.#attemptFailed(new TransportError('E_TRANSPORT', `cannot open a WebSocket to ${this.url}: ${describe(error)}`, { peer: this.url, cause: error }));
      return;
    }
    this.#socket = socket;
    this.#socketError = undefined;
    this.#rejection = undefined;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => this.#onSocketOpen(socket);
    socket.onclose = (event) => this.#onSocketClose(socket, event.code, event.reason);
    socket.onerror = (event) => this.#onSocketError(socket, event);
    socket.on?.('unexpected-response', (_request, response) => this.#onUnexpectedResponse(socket, response));
    const timeoutMs = 2 * this.#options.heartbeatMs;
    this.#connectTimer = this.#options.clock.setTimeout(() => {
      // Judged on the next turn: after a blocked event loop, an answer may be waiting to be read.
      this.#connectTimer = this.#options.clock.setTimeout(() => this.#onConnectTimeout(socket, timeoutMs), 0);
    }, timeoutMs);
  }

  #onSocketOpen(socket: WebSocketLike): void {
    if (socket !== this.#socket) {
      closeSocket(socket, CLOSE_CODES.normal, 'superseded');
      return;
    }
    this.#options.clock.clearTimeout(this.#connectTimer);
    this.#socket = undefined;
    const link: SocketLink = new SocketLink(
      socket,
      {
        clock: this.#options.clock,
        heartbeatMs: this.#options.heartbeatMs,
        maxMessageBytes: this.#options.maxMessageBytes,
        maxBufferedBytes: this.#options.maxBufferedBytes,
        peer: this.url,
      },
      {
        message: (bytes) => {
          if (this.#link === link) this.#emit('message', bytes);
        },
        drain: () => {
          if (this.#link === link) this.#emit('drain');
        },
        down: (info) => this.#lose(link, info, false),
      },
    );
    this.#link = link;
    this.#state = 'open';
    this.#loop.opened();
    this.#emit('open');
  }

  #onSocketError(socket: WebSocketLike, event: SocketErrorEvent): void {
    if (socket !== this.#socket) return;
    const detail = event.error instanceof Error ? event.error.message : typeof event.message === 'string' && event.message !== '' ? event.message : 'the connection failed';
    this.#socketError = new TransportError('E_TRANSPORT', `cannot connect to ${this.url}: ${detail} — retrying with backoff`, { peer: this.url, cause: event.error });
  }

  #onUnexpectedResponse(socket: WebSocketLike, response: HttpResponseLike): void {
    if (socket !== this.#socket) {
      response.destroy();
      return;
    }
    const status = response.statusCode ?? 0;
    const header = response.headers['softadastra-reason'];
    const rejection: Rejection = { status, reason: (typeof header === 'string' ? header : undefined) ?? response.statusMessage ?? '' };
    this.#rejection = rejection;
    let body = '';
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      if (body.trim() !== '') rejection.reason = body.trim();
      response.destroy();
      // Aborts the handshake: `ws` then emits error and close (see #onSocketClose).
      terminateSocket(socket);
    };
    response.setEncoding('utf8');
    response.on('data', (chunk) => {
      body += chunk;
      if (body.length >= MAX_REJECTION_BODY) {
        body = body.slice(0, MAX_REJECTION_BODY);
        finish();
      }
    });
    response.on('end', finish);
    response.on('error', finish);
    response.on('close', finish);
  }

  #onSocketClose(socket: WebSocketLike, code: number, reason: string): void {
    if (socket !== this.#socket) return;
    this.#options.clock.clearTimeout(this.#connectTimer);
    this.#socket = undefined;
    const rejection = this.#rejection;
    if (rejection !== undefined) {
      this.#refused(rejection);
      return;
    }
    const detail = reason === '' ? `closed with code ${code} before opening` : `closed with code ${code} before opening: ${reason}`;
    this.#attemptFailed(this.#socketError ?? new TransportError('E_TRANSPORT', `cannot connect to ${this.url}: ${detail} — retrying with backoff`, { peer: this.url }));
  }

  #onConnectTimeout(socket: WebSocketLike, timeoutMs: number): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    terminateSocket(socket);
    const rejection = this.#rejection;
    if (rejection !== undefined) {
      this.#refused(rejection);
      return;
    }
    this.#attemptFailed(new TransportError('E_TIMEOUT', `no answer from ${this.url} within ${timeoutMs} ms (2 × heartbeatMs) — retrying with backoff`, { peer: this.url }));
  }

  /** An upgrade answered with an HTTP error status. */
  #refused(rejection: Rejection): void {
    const stop = authErrorOf(rejection.status, rejection.reason, this.url);
    if (stop !== undefined) {
      this.#finish();
      const code = rejection.status === 401 ? CLOSE_CODES.unauthorized : CLOSE_CODES.forbidden;
      this.#emit('error', stop);
      this.#emit('close', { code, reason: rejection.reason, final: true });
      return;
    }
    const errorCode = rejection.status === 429 ? 'E_RATE_LIMIT' : 'E_TRANSPORT';
    const said = rejection.reason === '' ? '' : `: ${rejection.reason}`;
    this.#attemptFailed(new TransportError(errorCode, `${this.url} answered the upgrade with HTTP ${rejection.status}${said} — retrying with backoff`, { peer: this.url }));
  }

  /** A connection attempt failed before opening. */
  #attemptFailed(error: TransportError): void {
    if (this.#state !== 'closed') this.#loop.failed(error);
  }

  /**
   * An open link went down: by itself (`deferred` false, from a socket or
   * clock callback), or inside `send()` (`deferred` true: the state changes
   * now, the events come from a microtask).
   */
  #lose(link: SocketLink, info: LinkDown, deferred: boolean): void {
    if (link !== this.#link) return;
    this.#link = undefined;
    const stop = authErrorOf(info.code, info.reason, this.url);
    const final = stop !== undefined || !this.#loop.lost(link.hasHeard, info.error !== undefined);
    if (final) this.#finish();
    else this.#state = 'connecting';
    const close: ConnectionCloseInfo = { code: info.code, reason: info.reason, final };
    const emit = (): void => {
      if (info.error !== undefined) this.#emit('error', info.error);
      if (stop !== undefined) this.#emit('error', stop);
      // A listener may have called close() meanwhile: its own final close follows.
      if (!final && this.#state === 'closed') return;
      this.#emit('close', close);
    };
    if (deferred) queueMicrotask(emit);
    else emit();
  }

  /** Closed for good: no more dials, timers off. */
  #finish(): void {
    this.#state = 'closed';
    this.#loop.stop();
    this.#options.clock.clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
  }

  #emit<E extends keyof ConnectionEvents>(event: E, ...args: Parameters<ConnectionEvents[E]>): void {
    this.#listeners.emit(event, ...args);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
