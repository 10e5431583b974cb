import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { DEFAULT_LIMITS, SyncError, TransportError, isSyncError, systemClock, type Clock, EventListeners, rethrowLater } from '@softadastra/sync-core';
import { WebSocketServer as WsServer, type WebSocket as WsSocket } from 'ws';
import { CLOSE_CODES } from './close-codes.js';
import { ServerConnection, type WebSocketServerConnection } from './server-connection.js';
import { DEFAULT_HEARTBEAT_MS, DEFAULT_MAX_BUFFERED_BYTES, checkNumber } from './transport-options.js';
import { rejectUpgrade } from './upgrade-rejection.js';
import type { WebSocketLike } from './web-socket-like.js';

/** What `authenticate` decides about an upgrade request. */
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

/** Options of {@link createWebSocketServer}. */
export interface WebSocketServerOptions {
  /**
   * An HTTP(S) server to attach to: the WebSocket endpoint shares its port
   * (the server keeps serving plain HTTP). Give either `server` or `port`.
   * @default none: the WebSocket server listens on `port` itself
   */
  readonly server?: HttpServer | HttpsServer;
  /**
   * The port to listen on when there is no `server` (0 picks a free one; see `address()`).
   * @default none
   */
  readonly port?: number;
  /**
   * The host to listen on when there is no `server`.
   * @default all interfaces
   */
  readonly host?: string;
  /**
   * Accept upgrades only on this path (the query string is ignored).
   * @default every path
   */
  readonly path?: string;
  /**
   * Accept an upgrade request only when this returns true (instead of `path`).
   * Requests not accepted are left to the server's other `upgrade` listeners,
   * or answered 404 when there is none.
   * @default every request
   */
  readonly match?: (request: IncomingMessage) => boolean;
  /**
   * The largest message accepted, in bytes (also each connection's
   * `capabilities.maxMessageBytes`). A larger frame closes its socket with
   * code 1009 and `E_TOO_LARGE` on the connection's `error` event. Not `ws`'s
   * 100 MiB default, which lets any client make the server buffer 100 MiB.
   * @default 1048576 (1 MiB, core's `DEFAULT_LIMITS.maxMessageBytes`)
   */
  readonly maxPayload?: number;
  /**
   * Decides, before the upgrade, whether a request may connect. A refusal is
   * answered with a plain HTTP 401 or 403 carrying the reason; the socket is
   * never upgraded. If it throws, the request gets a 500 and the error goes
   * to the server's `error` event.
   * @default every request is accepted, with `context` undefined
   */
  readonly authenticate?: (request: IncomingMessage) => Promise<AuthenticationResult> | AuthenticationResult;
  /**
   * A heartbeat ping to each client every `heartbeatMs`; a connection silent
   * for 2 × `heartbeatMs` is dropped (`E_TIMEOUT`).
   * @default 15000
   */
  readonly heartbeatMs?: number;
  /**
   * The most bytes one connection may buffer for a slow client: a send that
   * would buffer more drops the connection instead of growing memory.
   * @default 8388608 (8 MiB)
   */
  readonly maxBufferedBytes?: number;
  /**
   * Timers (heartbeat, drain polling, the shutdown grace period).
   * @default systemClock of `@softadastra/sync-core`
   */
  readonly clock?: Clock;
}

/** What the `connection` listener learns about a new connection. */
export interface WebSocketConnectionInfo {
  /** The upgrade request (headers, URL, socket). */
  readonly request: IncomingMessage;
  /** What `authenticate` returned as `context`. */
  readonly context: unknown;
}

/** The events of a {@link WebSocketServer}. */
export interface WebSocketServerEvents {
  /** A client connected (and was authenticated): its connection is already `'open'`. */
  connection: (connection: WebSocketServerConnection, info: WebSocketConnectionInfo) => void;
  /** The server itself failed: listening, an `authenticate` or `match` hook, or a `connection` listener that threw. Without a listener, such errors are rethrown (uncaught), as an EventEmitter would. */
  error: (error: SyncError) => void;
}

/** A WebSocket endpoint handing out one core `Connection` per client. */
export interface WebSocketServer {
  /** Resolves once listening (at once when attached to a `server`); rejects if `listen` failed. */
  ready(): Promise<void>;
  /** Where it listens: the address of the underlying HTTP server. */
  address(): AddressInfo | string | null;
  /** The connections open now. */
  connections(): WebSocketServerConnection[];
  /**
   * Listens to an event.
   *
   * @returns a function that removes the listener
   */
  on<E extends keyof WebSocketServerEvents>(event: E, listener: WebSocketServerEvents[E]): () => void;
  /**
   * Stops accepting, closes every connection with code 1001 (going away: the
   * clients come back to the next server), and resolves once they are gone —
   * terminating the ones that do not finish their closing handshake within a
   * second. Stops listening when the server listens itself; an attached
   * `server` is left running.
   */
  close(): Promise<void>;
}

/** How long `close()` waits for closing handshakes before terminating. */
const CLOSE_GRACE_MS = 1_000;

/**
 * Makes a WebSocket server for Softadastra Sync.
 *
 * @example
 * ```ts
 * const server = createWebSocketServer({ server: httpServer, path: '/sync' });
 * server.on('connection', (connection) => engine.connect(connection, { trustCovered: 'own-origin' }));
 * ```
 *
 * @param options - see {@link WebSocketServerOptions}
 * @throws SyncError `E_INVALID_ARGUMENT` for inconsistent options
 */
export function createWebSocketServer(options: WebSocketServerOptions): WebSocketServer {
  return new Endpoint(options);
}

class Endpoint implements WebSocketServer {
  readonly #http: HttpServer | HttpsServer;
  readonly #ownsHttp: boolean;
  readonly #wss: WsServer;
  readonly #clock: Clock;
  readonly #heartbeatMs: number;
  readonly #maxPayload: number;
  readonly #maxBufferedBytes: number;
  readonly #match: (request: IncomingMessage) => boolean;
  readonly #authenticate: WebSocketServerOptions['authenticate'];
  readonly #listeners: EventListeners<WebSocketServerEvents>;
  readonly #connections = new Set<ServerConnection>();
  readonly #sockets = new Set<WsSocket>();
  readonly #ready: Promise<void>;
  readonly #onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    void this.#handleUpgrade(request, socket, head);
  };
  #closing: Promise<void> | undefined;

  constructor(options: WebSocketServerOptions) {
    if (typeof options !== 'object' || options === null) throw new SyncError('E_INVALID_ARGUMENT', 'createWebSocketServer() takes an options object with a server or a port');
    if ((options.server === undefined) === (options.port === undefined)) {
      throw new SyncError('E_INVALID_ARGUMENT', 'give createWebSocketServer() either `server` (an http.Server to attach to) or `port` (to listen itself), not both nor neither');
    }
    if (options.path !== undefined && options.match !== undefined) throw new SyncError('E_INVALID_ARGUMENT', 'give `path` or `match`, not both');
    if (options.path !== undefined && (typeof options.path !== 'string' || !options.path.startsWith('/'))) {
      throw new SyncError('E_INVALID_ARGUMENT', `path must start with "/", got ${JSON.stringify(options.path)}`);
    }
    this.#clock = options.clock ?? systemClock;
    this.#heartbeatMs = checkNumber('heartbeatMs', options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS, 1);
    this.#maxPayload = checkNumber('maxPayload', options.maxPayload ?? DEFAULT_LIMITS.maxMessageBytes, 1, true);
    this.#maxBufferedBytes = checkNumber('maxBufferedBytes', options.maxBufferedBytes ?? Math.max(DEFAULT_MAX_BUFFERED_BYTES, this.#maxPayload), this.#maxPayload, true);
    const { path, match } = options;
    this.#match = match ?? (path === undefined ? () => true : (request) => pathOf(request) === path);
    this.#authenticate = options.authenticate;
    this.#listeners = new EventListeners<WebSocketServerEvents>(['connection', 'error'], (error, event) => {
      if (event === 'error') rethrowLater(error);
      else this.#reportError(isSyncError(error) ? error : new SyncError('E_INTERNAL', `a '${event}' listener of the WebSocket server threw: ${describe(error)}`, { cause: error }));
    });
    this.#wss = new WsServer({ noServer: true, maxPayload: this.#maxPayload, perMessageDeflate: false, clientTracking: false });
    if (options.server !== undefined) {
      this.#http = options.server;
      this.#ownsHttp = false;
      this.#ready = Promise.resolve();
    } else {
      const port = checkNumber('port', options.port, 0, true);
      this.#http = createServer((_request, response) => {
        response.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Upgrade: 'websocket', Connection: 'Upgrade' });
        response.end('This endpoint speaks WebSocket only (Softadastra Sync).\n');
      });
      this.#ownsHttp = true;
      this.#ready = new Promise<void>((resolve, reject) => {
        const onError = (error: Error): void => {
          const failure = new TransportError('E_TRANSPORT', `cannot listen on ${options.host ?? '*'}:${port}: ${error.message}`, { cause: error });
          // ready() rejects with it; 'error' listeners hear of it too.
          this.#listeners.emit('error', failure);
          reject(failure);
        };
        this.#http.once('error', onError);
        this.#http.listen(port, options.host, () => {
          this.#http.off('error', onError);
          resolve();
        });
      });
      // ready() hands the rejection to whoever asks; nobody asking is not an unhandled rejection.
      this.#ready.catch(() => undefined);
    }
    this.#http.on('upgrade', this.#onUpgrade);
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  address(): AddressInfo | string | null {
    return this.#http.address();
  }

  connections(): WebSocketServerConnection[] {
    return [...this.#connections];
  }

  on<E extends keyof WebSocketServerEvents>(event: E, listener: WebSocketServerEvents[E]): () => void {
    return this.#listeners.on(event, listener);
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    this.#http.off('upgrade', this.#onUpgrade);
    const stopped = this.#ownsHttp ? new Promise<void>((resolve) => this.#http.close(() => resolve())) : Promise.resolve();
    for (const connection of [...this.#connections]) connection.close(CLOSE_CODES.goingAway, 'server going away');
    const sockets = [...this.#sockets];
    if (sockets.length > 0) {
      await new Promise<void>((resolve) => {
        let left = sockets.length;
        const timer = this.#clock.setTimeout(() => {
          for (const socket of sockets) socket.terminate();
        }, CLOSE_GRACE_MS);
        for (const socket of sockets) {
          const gone = (): void => {
            if (--left > 0) return;
            this.#clock.clearTimeout(timer);
            resolve();
          };
          if (socket.readyState === socket.CLOSED) gone();
          else socket.once('close', gone);
        }
      });
    }
    if (this.#ownsHttp) (this.#http as HttpServer).closeAllConnections();
    await stopped;
    this.#wss.close();
  }

  async #handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    let matched: boolean;
    try {
      matched = this.#match(request);
    } catch (error) {
      this.#reportError(new SyncError('E_INTERNAL', `the match() hook of the WebSocket server threw: ${describe(error)}`, { cause: error }));
      rejectUpgrade(socket, 500, 'the server failed to route this request');
      return;
    }
    if (!matched) {
      // Another upgrade listener of a shared server may take it; answer only if there is none.
      if (this.#ownsHttp || this.#http.listenerCount('upgrade') <= 1) rejectUpgrade(socket, 404, `no WebSocket endpoint at ${pathOf(request)}`);
      return;
    }
    if (this.#closing !== undefined) {
      rejectUpgrade(socket, 503, 'the server is shutting down: retry in a moment');
      return;
    }
    let context: unknown;
    if (this.#authenticate !== undefined) {
      // The client may hang up while we decide.
      const ignore = (): void => undefined;
      socket.on('error', ignore);
      let result: AuthenticationResult;
      try {
        result = await this.#authenticate(request);
      } catch (error) {
        socket.off('error', ignore);
        this.#reportError(isSyncError(error) ? error : new SyncError('E_INTERNAL', `the authenticate() hook of the WebSocket server threw: ${describe(error)}`, { cause: error }));
        rejectUpgrade(socket, 500, 'the server failed to check the credentials: retry later');
        return;
      }
      socket.off('error', ignore);
      if (typeof result !== 'object' || result === null || result.ok !== true) {
        const refusal = result as Partial<Extract<AuthenticationResult, { ok: false }>> | null | undefined;
        const reason = typeof refusal?.reason === 'string' && refusal.reason !== '' ? refusal.reason : 'access denied';
        rejectUpgrade(socket, refusal?.status === 401 || refusal?.status === 400 ? refusal.status : 403, reason);
        return;
      }
      context = result.context;
      if (this.#closing !== undefined) {
        rejectUpgrade(socket, 503, 'the server is shutting down: retry in a moment');
        return;
      }
    }
    if (socket.destroyed) return;
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws, request, context));
  }

  #accept(ws: WsSocket, request: IncomingMessage, context: unknown): void {
    if (this.#closing !== undefined) {
      ws.terminate();
      return;
    }
    this.#sockets.add(ws);
    ws.once('close', () => this.#sockets.delete(ws));
    const address = request.socket.remoteAddress ?? 'unknown';
    const connection: ServerConnection = new ServerConnection(
      ws as unknown as WebSocketLike,
      {
        clock: this.#clock,
        heartbeatMs: this.#heartbeatMs,
        maxMessageBytes: this.#maxPayload,
        maxBufferedBytes: this.#maxBufferedBytes,
        peer: `${address.includes(':') ? `[${address}]` : address}:${request.socket.remotePort ?? 0}`,
      },
      () => this.#connections.delete(connection),
    );
    this.#connections.add(connection);
    this.#listeners.emit('connection', connection, { request, context });
  }

  #reportError(error: SyncError): void {
    if (this.#listeners.count('error') > 0) this.#listeners.emit('error', error);
    else rethrowLater(error);
  }
}

function pathOf(request: IncomingMessage): string {
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
