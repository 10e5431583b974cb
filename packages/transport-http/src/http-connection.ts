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
  type SyncError,
  type SyncErrorCode,
  type EventListeners,
} from '@softadastra/sync-core';
import { describe, exchange, type Exchange } from './http-exchange.js';
import { checkHttpUrls, type ResolvedHttpTransportOptions } from './http-transport-options.js';
import { decodeFrames, encodeFrames, framedLength } from './message-framing.js';
import { CLOSE_CODES, maxBodyBytes, parseSessionGrant } from './wire-protocol.js';

/**
 * The client end of the HTTP transport: a core `Connection` that creates a
 * session on the server, long-polls it for messages and POSTs what is sent,
 * and replaces the session by itself whenever it is lost.
 *
 * @remarks
 * `state` goes `'connecting'` → `'open'` (emitting `open`) → when the session
 * is lost (a failed request, a 404) `'connecting'` again (emitting `close`
 * with `final: false`) → `'open'` with a new session (emitting `open` again:
 * a new protocol session starts with a fresh `hello`) … until `close()`, or an
 * HTTP 401/403, which are final.
 */
export interface HttpConnection extends ClientConnection {
  /** The base URL of the current (or next) session: `http://` or `https://`, without trailing slashes. */
  readonly url: string;
  /** The id of the current session while `'open'`; `undefined` otherwise. */
  readonly session: string | undefined;
}


/** One session on the server, as the client holds it. */
interface ClientSession {
  /** The base URL of the server holding it. */
  readonly url: string;
  readonly id: string;
  readonly token: string | undefined;
  /** The server's `maxMessageBytes`. */
  readonly serverMax: number;
  /** The largest POST body the server takes. */
  readonly bodyLimit: number;
  /** The `wait` of each poll. */
  readonly waitMs: number;
  /** Requests in flight for this session, aborted when it ends. */
  readonly requests: Set<AbortController>;
  /** A POST is in flight (one at a time keeps them in order). */
  posting: boolean;
  /** A poll or a POST of this session succeeded: after its loss, backoff starts over. */
  worked: boolean;
}

/**
 * The implementation of {@link HttpConnection}.
 *
 * @internal
 */
export class HttpClientConnection implements HttpConnection {
  readonly capabilities: ConnectionCapabilities;
  readonly #options: ResolvedHttpTransportOptions;
  readonly #listeners: EventListeners<ConnectionEvents>;
  readonly #loop: ReconnectLoop;
  #state: ConnectionState = 'connecting';
  #session: ClientSession | undefined;
  /** Messages sent and not yet in a POST. */
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  /** Bytes of the messages in the POST in flight. */
  #postingBytes = 0;
  #flushScheduled = false;

  /** @param options - checked options, with defaults */
  constructor(options: ResolvedHttpTransportOptions) {
    this.#options = options;
    this.capabilities = Object.freeze({ ordered: true, reliable: false, maxMessageBytes: options.maxMessageBytes, reconnects: options.policy !== false });
    this.#listeners = createConnectionListeners(() => `the connection to ${this.url}`);
    this.#loop = createReconnectLoop({
      ...options,
      connect: (attempt) => void this.#dial(attempt),
      report: (error) => this.#emit('error', error),
      giveUp: (error) => {
        this.#finish();
        this.#emit('error', error);
        this.#emit('close', { code: CLOSE_CODES.abnormal, reason: error.message, final: true });
      },
    });
    this.#loop.start();
  }

  /** The base URL of the current (or next) session. */
  get url(): string {
    return this.#session?.url ?? this.#loop.url;
  }

  /** Every base URL, in the order they are tried. */
  get urls(): readonly string[] {
    return this.#loop.urls;
  }

  /** Where the connection stands. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** The current session's id while open. */
  get session(): string | undefined {
    return this.#session?.id;
  }

  /** Bytes of the messages sent and not yet accepted by the server: queued, or in the POST in flight. */
  get bufferedAmount(): number {
    return this.#queuedBytes + this.#postingBytes;
  }

  /**
   * Queues a copy of one message; the messages sent in the same tick go in
   * one POST.
   *
   * @throws TransportError `E_CLOSED` unless `'open'`; `E_TOO_LARGE` over
   * `capabilities.maxMessageBytes`
   */
  send(bytes: Uint8Array): void {
    if (this.#state !== 'open' || this.#session === undefined) throw notOpenError(this.url, this.#state);
    checkOutgoingMessage(bytes, this.capabilities.maxMessageBytes, this.url);
    this.#queue.push(bytes.slice());
    this.#queuedBytes += bytes.length;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => {
        this.#flushScheduled = false;
        void this.#flush();
      });
    }
  }

  /**
   * Listens to an event; listeners are only ever called from request and
   * clock callbacks or microtasks, never from inside `send()`, `on()` or
   * `close()`.
   *
   * @returns a function that removes the listener
   */
  on<E extends keyof ConnectionEvents>(event: E, listener: ConnectionEvents[E]): () => void {
    return this.#listeners.on(event, listener);
  }

  /**
   * Closes for good: stops reconnecting, drops what is not yet sent, deletes
   * the session on the server (best effort: unanswered, it expires there),
   * and emits `close` with `final: true` from a microtask.
   *
   * @param code - the close code @default 1000
   * @param reason - why @default ''
   */
  close(code: number = CLOSE_CODES.normal, reason = ''): void {
    if (this.#state === 'closed') return;
    const session = this.#session;
    this.#finish();
    if (session !== undefined) void this.#deleteSession(session.url, session.id, session.token);
    queueMicrotask(() => this.#emit('close', { code, reason, final: true }));
  }

  /** Ends the current session (deleting it on its server), or abandons the creation in flight, and creates a session at the first new URL at once. */
  setUrl(url: string | readonly string[]): void {
    const urls = checkHttpUrls(url);
    this.#loop.setUrls(urls);
    const reason = `moving to ${urls[0]!}`;
    const session = this.#session;
    this.#endSession();
    if (session === undefined) return;
    void this.#deleteSession(session.url, session.id, session.token);
    this.#state = 'connecting';
    queueMicrotask(() => {
      // A listener may have called close() meanwhile: its own final close follows.
      if (this.#state !== 'closed') this.#emit('close', { code: CLOSE_CODES.normal, reason, final: false });
    });
  }

  // ── sessions ─────────────────────────────────────────────────────────────

  async #dial(attempt: ReconnectAttempt): Promise<void> {
    const { url, token } = attempt;
    if (this.#state === 'closed') return;
    // Not aborted by close(): a session created meanwhile is deleted below instead of lingering on the server.
    const answer = await this.#request(url, 'POST', '/sessions', token, undefined, this.#options.requestTimeoutMs, new Set());
    if (!attempt.isCurrent()) {
      // Closed or moved meanwhile: a session the server created for nothing is deleted rather than left to expire.
      const orphan = answer.ok && answer.status === 201 ? parseSessionGrant(new TextDecoder().decode(answer.body)) : undefined;
      if (orphan !== undefined && typeof orphan !== 'string') void this.#deleteSession(url, orphan.session, token);
      return;
    }
    if (!answer.ok) {
      this.#attemptFailed(new TransportError('E_TRANSPORT', `cannot create a session at ${this.url}: ${answer.detail} — retrying with backoff`, { peer: this.url, cause: answer.cause }));
      return;
    }
    if (answer.status === 401 || answer.status === 403) {
      this.#refused(answer.status, answer.reason);
      return;
    }
    if (answer.status !== 201) {
      const code: SyncErrorCode = answer.status === 429 ? 'E_RATE_LIMIT' : 'E_TRANSPORT';
      this.#attemptFailed(new TransportError(code, `${this.url} answered the creation of a session with HTTP ${answer.status}: ${answer.reason} — retrying with backoff`, { peer: this.url }));
      return;
    }
    const grant = parseSessionGrant(new TextDecoder().decode(answer.body));
    if (typeof grant === 'string') {
      this.#attemptFailed(new TransportError('E_PROTOCOL', `${this.url} created a session with an answer this client cannot read (${grant}): is it a Softadastra Sync HTTP endpoint? — retrying with backoff`, { peer: this.url }));
      return;
    }
    const wanted = this.#options.pollTimeoutMs ?? grant.pollTimeoutMs;
    const session: ClientSession = {
      url,
      id: grant.session,
      token,
      serverMax: grant.maxMessageBytes,
      bodyLimit: maxBodyBytes(grant.maxMessageBytes),
      waitMs: Math.max(1, Math.min(wanted, grant.pollTimeoutMs)),
      requests: new Set(),
      posting: false,
      worked: false,
    };
    this.#session = session;
    this.#state = 'open';
    this.#loop.opened();
    this.#emit('open');
    if (this.#session === session) void this.#pollLoop(session);
  }

  /** Polls `session` until it ends, delivering what each answer holds. */
  async #pollLoop(session: ClientSession): Promise<void> {
    const path = `/sessions/${session.id}/messages?wait=${session.waitMs}`;
    while (this.#session === session) {
      const answer = await this.#request(session.url, 'GET', path, session.token, undefined, session.waitMs + this.#options.requestTimeoutMs, session.requests);
      if (this.#session !== session) return;
      if (!answer.ok) {
        this.#lose(session, `a poll failed: ${answer.detail}`);
        return;
      }
      if (answer.status !== 200 && answer.status !== 204) {
        this.#answeredWith(session, answer.status, answer.reason, 'a poll');
        return;
      }
      session.worked = true;
      if (answer.status === 204) continue;
      let messages: Uint8Array[];
      try {
        messages = decodeFrames(answer.body);
      } catch (error) {
        this.#lose(session, `a poll answer could not be read: ${describe(error)}`, new TransportError('E_PROTOCOL', `${this.url} answered a poll with a malformed body: ${describe(error)}`, { peer: this.url, cause: error }));
        return;
      }
      for (const message of messages) {
        if (this.#session !== session) return;
        this.#emit('message', message);
      }
    }
  }

  /** POSTs what is queued, one request at a time, in order. */
  async #flush(): Promise<void> {
    const session = this.#session;
    if (session === undefined || session.posting || this.#queue.length === 0) return;
    const batch: Uint8Array[] = [];
    const refused: number[] = [];
    let bodyBytes = 0;
    let messageBytes = 0;
    while (this.#queue.length > 0) {
      const message = this.#queue[0]!;
      if (message.length > session.serverMax) {
        this.#queue.shift();
        this.#queuedBytes -= message.length;
        refused.push(message.length);
        continue;
      }
      if (batch.length > 0 && bodyBytes + framedLength(message.length) > session.bodyLimit) break;
      this.#queue.shift();
      batch.push(message);
      bodyBytes += framedLength(message.length);
      messageBytes += message.length;
    }
    this.#queuedBytes -= messageBytes;
    for (const size of refused) {
      this.#emit('error', new TransportError('E_TOO_LARGE', `dropped a message of ${size} bytes: ${this.url} accepts at most ${session.serverMax} bytes per message (its maxMessageBytes, lower than this client's) — use the same limit on both ends`, { peer: this.url }));
    }
    if (this.#session !== session) return;
    if (batch.length > 0) {
      session.posting = true;
      this.#postingBytes = messageBytes;
      const answer = await this.#request(session.url, 'POST', `/sessions/${session.id}/messages`, session.token, encodeFrames(batch), this.#options.requestTimeoutMs, session.requests);
      if (this.#session !== session) return;
      session.posting = false;
      this.#postingBytes = 0;
      if (!answer.ok) {
        this.#lose(session, `sending failed: ${answer.detail}`);
        return;
      }
      if (answer.status === 413) {
        this.#emit('error', new TransportError('E_TOO_LARGE', `${this.url} refused ${batch.length} message(s) (HTTP 413): ${answer.reason}`, { peer: this.url }));
      } else if (answer.status < 200 || answer.status > 299) {
        this.#answeredWith(session, answer.status, answer.reason, 'sending');
        return;
      } else {
        session.worked = true;
      }
      if (this.#session !== session) return;
    }
    if (this.#queue.length > 0) {
      void this.#flush();
      return;
    }
    this.#emit('drain');
  }

  /** A poll or a POST was answered with an unexpected status. */
  #answeredWith(session: ClientSession, status: number, reason: string, what: string): void {
    if (status === 401 || status === 403) {
      this.#refused(status, reason);
      return;
    }
    const lost = status === 404 ? `the server lost session ${session.id}: ${reason}` : `${what} was answered with HTTP ${status}: ${reason}`;
    this.#lose(session, lost);
  }

  /** Best effort: tells the server a session is over. */
  async #deleteSession(url: string, id: string, token: string | undefined): Promise<void> {
    // Whatever the outcome, the server lets an unpolled session expire.
    await this.#request(url, 'DELETE', `/sessions/${id}`, token, undefined, this.#options.requestTimeoutMs, new Set());
  }

  /** A session creation refused with 401 or 403, or an open session revoked: final. */
  #refused(status: 401 | 403, reason: string): void {
    const said = reason.trim() === '' ? 'no reason given' : reason.trim();
    const error =
      status === 401
        ? new TransportError('E_UNAUTHORIZED', `${this.url} refused the credentials (401): ${said} — the client does not reconnect; get a valid token and create a new connection`, { peer: this.url })
        : new TransportError('E_FORBIDDEN', `${this.url} forbids this connection (403): ${said} — the client does not reconnect; ask for access and create a new connection`, { peer: this.url });
    this.#finish();
    this.#emit('error', error);
    this.#emit('close', { code: status === 401 ? CLOSE_CODES.unauthorized : CLOSE_CODES.forbidden, reason: said, final: true });
  }

  /** A session could not be created. */
  #attemptFailed(error: TransportError): void {
    if (this.#state !== 'closed') this.#loop.failed(error);
  }

  /** An open session was lost: replace it (or stop, without `reconnect`). */
  #lose(session: ClientSession, reason: string, error?: SyncError): void {
    if (this.#session !== session) return;
    this.#endSession();
    // A session that never worked (lost at its first request) counts as a failed attempt.
    const final = !this.#loop.lost(session.worked, error !== undefined);
    if (final) this.#finish();
    else this.#state = 'connecting';
    if (error !== undefined) this.#emit('error', error);
    // An 'error' listener may have called close(): its own final close follows.
    if (!final && this.#state === 'closed') return;
    const close: ConnectionCloseInfo = { code: CLOSE_CODES.abnormal, reason, final };
    this.#emit('close', close);
  }

  /** Forgets the current session: its requests aborted, what was not sent dropped. */
  #endSession(): void {
    const session = this.#session;
    this.#session = undefined;
    if (session !== undefined) for (const request of session.requests) request.abort();
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#postingBytes = 0;
  }

  /** Closed for good: no more dials, timers off, the session's requests aborted (a creation in flight finishes, to be deleted). */
  #finish(): void {
    this.#state = 'closed';
    this.#loop.stop();
    this.#endSession();
  }

  /** One request to `{base}{path}` with this connection's fetch, clock and token. */
  #request(base: string, method: string, path: string, token: string | undefined, body: Uint8Array<ArrayBuffer> | undefined, timeoutMs: number, requests: Set<AbortController>): Promise<Exchange> {
    return exchange({ fetch: this.#options.fetch, clock: this.#options.clock, url: base + path, method, token, body, timeoutMs, requests });
  }

  // ── events ───────────────────────────────────────────────────────────────

  #emit<E extends keyof ConnectionEvents>(event: E, ...args: Parameters<ConnectionEvents[E]>): void {
    this.#listeners.emit(event, ...args);
  }
}
