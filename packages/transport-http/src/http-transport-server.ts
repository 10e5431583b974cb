import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_LIMITS, SyncError, isSyncError, systemClock, type Clock, EventListeners, rethrowLater } from '@softadastra/sync-core';
import { replyBody, replyStatus } from './http-reply.js';
import { decodeFrames } from './message-framing.js';
import { checkNumber, normalizeBasePath } from './option-checks.js';
import { readRequestBody } from './request-body.js';
import { ServerSession, type HttpServerConnection } from './server-connection.js';
import { isSessionId, newSessionId } from './session-id.js';
import { maxBodyBytes, type SessionGrant } from './wire-protocol.js';

/** What `authenticate` decides about a request to create a session. */
export type AuthenticationResult =
  | {
      readonly ok: true;
      /** Anything to hand to the `connection` listener (the user, the spaces allowed…). */
      readonly context?: unknown;
    }
  | {
      readonly ok: false;
      /** 400: the request itself is malformed (e.g. its URL); 401: the credentials are missing, invalid or expired; 403: they are fine but not allowed here. */
      readonly status: 400 | 401 | 403;
      /** Sent to the client (body and header) and reported there: say what to do. */
      readonly reason: string;
    };

/** Options of {@link createHttpTransportServer}. */
export interface HttpTransportServerOptions {
  /**
   * The base path `handle()` serves when it is called without one, e.g.
   * `/v1/spaces/team/http`.
   * @default '/' (the routes are `/sessions…`)
   */
  readonly basePath?: string;
  /**
   * The largest message accepted from a client or sent to it, in bytes (also
   * each connection's `capabilities.maxMessageBytes`, and announced to
   * clients when their session is created). A POST holding a larger one is
   * answered 413 and none of its messages is delivered.
   * @default 1048576 (1 MiB, core's `DEFAULT_LIMITS.maxMessageBytes`)
   */
  readonly maxMessageBytes?: number;
  /**
   * The longest a poll is held while nothing is queued, in ms; a client's
   * `wait` is capped to it. Announced to clients when their session is created.
   * @default 25000
   */
  readonly pollTimeoutMs?: number;
  /**
   * A session whose client has not polled for this long (no poll pending,
   * none answered) expires: its connection closes for good.
   * @default 60000
   */
  readonly sessionTtlMs?: number;
  /**
   * The most bytes queued for one client: a `send()` that would queue more
   * closes the session (the client polls too slowly; it reconnects and
   * resyncs) instead of growing memory. At least `maxMessageBytes`.
   * @default 8388608 (8 MiB)
   */
  readonly maxQueuedBytes?: number;
  /**
   * Decides whether a `POST …/sessions` may create a session. A refusal is
   * answered 401 or 403 with the reason. If it throws, the request gets a 500
   * and the error goes to the server's `error` event. The requests that
   * follow are authorized by the session id alone.
   * @default every request is accepted, with `context` undefined
   */
  readonly authenticate?: (request: IncomingMessage) => Promise<AuthenticationResult> | AuthenticationResult;
  /**
   * Timers: poll timeouts and session expiry.
   * @default systemClock of `@softadastra/sync-core`
   */
  readonly clock?: Clock;
}

/** What the `connection` listener learns about a new session. */
export interface HttpConnectionInfo {
  /** The request that created the session (headers, URL, socket). */
  readonly request: IncomingMessage;
  /** What `authenticate` returned as `context`. */
  readonly context: unknown;
}

/** The events of an {@link HttpTransportServer}. */
export interface HttpTransportServerEvents {
  /** A client created a session (and was authenticated): its connection is already `'open'`. */
  connection: (connection: HttpServerConnection, info: HttpConnectionInfo) => void;
  /** The server itself failed: an `authenticate` hook that threw, an unexpected error while answering. */
  error: (error: SyncError) => void;
}

/**
 * The server side of the HTTP transport: a request handler to mount on a
 * `node:http` server, handing out one core `Connection` per client session.
 */
export interface HttpTransportServer {
  /**
   * Serves `request` if it is one of this transport's: a path `{base}/sessions`
   * or under `{base}/sessions/`. Returns at once — true when it took the
   * request (and will answer it), false when it is someone else's (nothing
   * was read or written).
   *
   * @param request - from the `node:http` server's `request` event
   * @param response - its response
   * @param base - the base path, e.g. `/v1/spaces/team/http` @default options.basePath
   * @throws SyncError `E_INVALID_ARGUMENT` for a base that does not start with `/`
   */
  handle(request: IncomingMessage, response: ServerResponse, base?: string): boolean;
  /** How many sessions are open. */
  sessions(): number;
  /** The connections of the sessions open now. */
  connections(): HttpServerConnection[];
  /**
   * Listens to an event.
   *
   * @returns a function that removes the listener
   */
  on<E extends keyof HttpTransportServerEvents>(event: E, listener: HttpTransportServerEvents[E]): () => void;
  /**
   * Closes every session (code 1001, final; pending polls are answered 503,
   * so their clients come back to the next server) and answers every later
   * request 503. The `node:http` server is left running.
   */
  close(): Promise<void>;
}

/** How many closed sessions are remembered at most (for `sessionTtlMs`), to answer their requests. */
const MAX_REMEMBERED_ENDINGS = 10_000;

/** Default `pollTimeoutMs`. @internal */
export const DEFAULT_POLL_TIMEOUT_MS = 25_000;
/** Default `sessionTtlMs`. @internal */
export const DEFAULT_SESSION_TTL_MS = 60_000;
/** Default `maxQueuedBytes`: 8 MiB. @internal */
export const DEFAULT_MAX_QUEUED_BYTES = 8 * 1024 * 1024;

/**
 * Makes the server side of the HTTP transport, to mount on a `node:http`
 * server next to other routes and WebSocket upgrades.
 *
 * @example
 * ```ts
 * const transport = createHttpTransportServer({ authenticate });
 * transport.on('connection', (connection) => engine.connect(connection, { trustCovered: 'own-origin' }));
 * createServer((request, response) => {
 *   if (!transport.handle(request, response, '/v1/spaces/team/http')) serveOtherRoutes(request, response);
 * }).listen(8787);
 * ```
 *
 * @param options - see {@link HttpTransportServerOptions}
 * @throws SyncError `E_INVALID_ARGUMENT` for a bad option
 */
export function createHttpTransportServer(options: HttpTransportServerOptions = {}): HttpTransportServer {
  return new HttpEndpoint(options);
}

class HttpEndpoint implements HttpTransportServer {
  readonly #basePath: string;
  readonly #clock: Clock;
  readonly #maxMessageBytes: number;
  readonly #pollTimeoutMs: number;
  readonly #sessionTtlMs: number;
  readonly #maxQueuedBytes: number;
  readonly #authenticate: HttpTransportServerOptions['authenticate'];
  readonly #listeners: EventListeners<HttpTransportServerEvents>;
  readonly #sessions = new Map<string, ServerSession>();
  /** Sessions closed recently, oldest first: later requests learn why (and 401/403 stay final). */
  readonly #ended = new Map<string, { readonly base: string; readonly at: number; readonly status: number; readonly reason: string }>();
  #closed = false;

  constructor(options: HttpTransportServerOptions) {
    if (typeof options !== 'object' || options === null) throw new SyncError('E_INVALID_ARGUMENT', 'createHttpTransportServer() takes an options object');
    this.#basePath = normalizeBasePath('basePath', options.basePath ?? '/');
    this.#clock = options.clock ?? systemClock;
    this.#maxMessageBytes = checkNumber('maxMessageBytes', options.maxMessageBytes ?? DEFAULT_LIMITS.maxMessageBytes, 1, true);
    this.#pollTimeoutMs = checkNumber('pollTimeoutMs', options.pollTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS, 0, true);
    this.#sessionTtlMs = checkNumber('sessionTtlMs', options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS, 1);
    this.#maxQueuedBytes = checkNumber('maxQueuedBytes', options.maxQueuedBytes ?? Math.max(DEFAULT_MAX_QUEUED_BYTES, this.#maxMessageBytes), this.#maxMessageBytes, true);
    if (options.authenticate !== undefined && typeof options.authenticate !== 'function') throw new SyncError('E_INVALID_ARGUMENT', 'authenticate must be a function');
    this.#authenticate = options.authenticate;
    this.#listeners = new EventListeners<HttpTransportServerEvents>(['connection', 'error'], (error) => rethrowLater(error));
  }

  handle(request: IncomingMessage, response: ServerResponse, base?: string): boolean {
    const prefix = base === undefined ? this.#basePath : normalizeBasePath('base', base);
    const { path, query } = splitUrl(request.url);
    if (!path.startsWith(prefix)) return false;
    const rest = path.slice(prefix.length);
    if (rest !== '/sessions' && !rest.startsWith('/sessions/')) return false;
    this.#route(request, response, prefix, rest.split('/').slice(2), query).catch((error: unknown) => {
      this.#reportError(isSyncError(error) ? error : new SyncError('E_INTERNAL', `the HTTP transport failed to answer ${request.method ?? '?'} ${path}: ${describe(error)}`, { cause: error }));
      replyStatus(response, 500, 'the server failed to answer this request: retry later');
    });
    return true;
  }

  sessions(): number {
    return this.#sessions.size;
  }

  connections(): HttpServerConnection[] {
    return [...this.#sessions.values()];
  }

  on<E extends keyof HttpTransportServerEvents>(event: E, listener: HttpTransportServerEvents[E]): () => void {
    return this.#listeners.on(event, listener);
  }

  close(): Promise<void> {
    this.#closed = true;
    for (const session of [...this.#sessions.values()]) session.closeForShutdown();
    this.#ended.clear();
    return Promise.resolve();
  }

  /** `segments`: what follows `{base}/sessions`, split on `/` (empty for `{base}/sessions`). */
  async #route(request: IncomingMessage, response: ServerResponse, base: string, segments: string[], query: string): Promise<void> {
    const method = request.method ?? 'GET';
    const [id, what, ...more] = segments;
    if (this.#closed) {
      request.resume();
      replyStatus(response, 503, 'the server is shutting down: retry in a moment');
      return;
    }
    if (id === undefined) {
      if (method !== 'POST') return notAllowed(request, response, 'POST');
      await this.#create(request, response, base);
      return;
    }
    if (more.length > 0 || (what !== undefined && what !== 'messages')) {
      request.resume();
      replyStatus(response, 404, `no such route: use ${base}/sessions, ${base}/sessions/{id} or ${base}/sessions/{id}/messages`);
      return;
    }
    if (what === undefined) {
      if (method !== 'DELETE') return notAllowed(request, response, 'DELETE');
      request.resume();
      const session = this.#find(id, base, response);
      if (session === undefined) return;
      session.closeByClient();
      replyStatus(response, 204);
      return;
    }
    if (method === 'POST') {
      await this.#receive(request, response, id, base);
      return;
    }
    if (method !== 'GET') return notAllowed(request, response, 'GET, POST');
    request.resume();
    const wait = parseWait(query, this.#pollTimeoutMs);
    if (typeof wait === 'string') {
      replyStatus(response, 400, wait);
      return;
    }
    this.#find(id, base, response)?.poll(response, wait);
  }

  /** `POST {base}/sessions`: authenticate, then open a session and announce it. */
  async #create(request: IncomingMessage, response: ServerResponse, base: string): Promise<void> {
    request.resume();
    let context: unknown;
    if (this.#authenticate !== undefined) {
      let result: AuthenticationResult;
      try {
        result = await this.#authenticate(request);
      } catch (error) {
        this.#reportError(isSyncError(error) ? error : new SyncError('E_INTERNAL', `the authenticate() hook of the HTTP transport threw: ${describe(error)}`, { cause: error }));
        replyStatus(response, 500, 'the server failed to check the credentials: retry later');
        return;
      }
      if (typeof result !== 'object' || result === null || result.ok !== true) {
        const refusal = result as Partial<Extract<AuthenticationResult, { ok: false }>> | null | undefined;
        const reason = typeof refusal?.reason === 'string' && refusal.reason !== '' ? refusal.reason : 'access denied';
        replyStatus(response, refusal?.status === 401 || refusal?.status === 400 ? refusal.status : 403, reason);
        return;
      }
      context = result.context;
      if (this.#closed) {
        replyStatus(response, 503, 'the server is shutting down: retry in a moment');
        return;
      }
    }
    // The client hung up while we decided: no session nobody would poll.
    if (response.destroyed || response.writableEnded) return;
    const address = request.socket.remoteAddress ?? 'unknown';
    const session: ServerSession = new ServerSession(
      {
        id: newSessionId(),
        base,
        remote: `${address.includes(':') ? `[${address}]` : address}:${request.socket.remotePort ?? 0}`,
        clock: this.#clock,
        maxMessageBytes: this.#maxMessageBytes,
        maxQueuedBytes: this.#maxQueuedBytes,
        sessionTtlMs: this.#sessionTtlMs,
      },
      (closed) => this.#forget(closed),
    );
    this.#sessions.set(session.session, session);
    this.#listeners.emit('connection', session, { request, context });
    const refused = session.ending;
    if (refused !== undefined) {
      // A listener closed it at once: tell the client why instead of handing out a dead session.
      replyStatus(response, refused.pollStatus === 404 ? 503 : refused.pollStatus, `the server closed the session at once: ${refused.reason === '' ? 'no reason given' : refused.reason}`);
      return;
    }
    const grant: SessionGrant = { session: session.session, pollTimeoutMs: this.#pollTimeoutMs, maxMessageBytes: this.#maxMessageBytes };
    replyBody(response, 201, 'application/json', new TextEncoder().encode(JSON.stringify(grant)));
  }

  /** `POST {base}/sessions/{id}/messages`: all the messages of the body, or none. */
  async #receive(request: IncomingMessage, response: ServerResponse, id: string, base: string): Promise<void> {
    if (this.#find(id, base, undefined) === undefined) {
      request.resume();
      this.#find(id, base, response);
      return;
    }
    const limit = maxBodyBytes(this.#maxMessageBytes);
    const body = await readRequestBody(request, limit);
    if (body.kind === 'aborted') return;
    if (body.kind === 'too-large') {
      replyStatus(response, 413, `request body over ${limit} bytes: send fewer messages per request`, { Connection: 'close' });
      return;
    }
    let messages: Uint8Array[];
    try {
      messages = decodeFrames(body.bytes, this.#maxMessageBytes);
    } catch (error) {
      const tooLarge = isSyncError(error) && error.code === 'E_TOO_LARGE';
      replyStatus(response, tooLarge ? 413 : 400, `${describe(error)} — nothing of this request was delivered`);
      return;
    }
    const session = this.#find(id, base, response);
    if (session === undefined) return;
    session.deliver(messages);
    replyStatus(response, 204);
  }

  /**
   * The open session `id` under `base`; or `undefined` after answering (when
   * `response` is given) 404 — or, for a session closed with 4401/4403, 401/403.
   */
  #find(id: string, base: string, response: ServerResponse | undefined): ServerSession | undefined {
    const session = isSessionId(id) ? this.#sessions.get(id) : undefined;
    if (session !== undefined && session.base === base && session.state === 'open') return session;
    if (response === undefined) return undefined;
    const ended = this.#ended.get(id);
    if (ended !== undefined && ended.base === base && this.#clock.now() - ended.at <= this.#sessionTtlMs) {
      replyStatus(response, ended.status, `session ${id} is closed: ${ended.reason === '' ? 'no reason given' : ended.reason}`);
      return undefined;
    }
    replyStatus(response, 404, `unknown or expired session ${JSON.stringify(id.slice(0, 64))}: create a new one with POST ${base}/sessions`);
    return undefined;
  }

  /** A session closed: drop it, and remember for a while how it ended. */
  #forget(session: ServerSession): void {
    if (this.#sessions.get(session.session) === session) this.#sessions.delete(session.session);
    const ending = session.ending;
    if (ending === undefined || this.#closed) return;
    const now = this.#clock.now();
    // Oldest first: drop what is too old to matter, and keep the memory bounded.
    for (const [id, ended] of this.#ended) {
      if (now - ended.at <= this.#sessionTtlMs && this.#ended.size < MAX_REMEMBERED_ENDINGS) break;
      this.#ended.delete(id);
    }
    this.#ended.set(session.session, { base: session.base, at: now, status: ending.pollStatus === 503 ? 404 : ending.pollStatus, reason: ending.reason });
  }

  #reportError(error: SyncError): void {
    if (this.#listeners.count('error') > 0) this.#listeners.emit('error', error);
    else rethrowLater(error);
  }
}

/** Answers 405 with the methods allowed. */
function notAllowed(request: IncomingMessage, response: ServerResponse, allow: string): void {
  request.resume();
  replyStatus(response, 405, `${request.method ?? '?'} is not allowed here: use ${allow}`, { Allow: allow });
}

/** The path and the query string of a request URL (origin-form or absolute-form). */
function splitUrl(url: string | undefined): { path: string; query: string } {
  let target = url ?? '/';
  if (!target.startsWith('/')) {
    try {
      const parsed = new URL(target);
      target = parsed.pathname + parsed.search;
    } catch {
      return { path: '', query: '' };
    }
  }
  const mark = target.indexOf('?');
  return mark < 0 ? { path: target, query: '' } : { path: target.slice(0, mark), query: target.slice(mark + 1) };
}

/** The `wait` of a poll, capped to `max`; `max` when absent; a message when malformed. */
function parseWait(query: string, max: number): number | string {
  const wait = new URLSearchParams(query).get('wait');
  if (wait === null || wait === '') return max;
  if (!/^\d{1,10}$/.test(wait)) return `wait must be a whole number of milliseconds, got ${JSON.stringify(wait.slice(0, 40))}`;
  return Math.min(Number(wait), max);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
