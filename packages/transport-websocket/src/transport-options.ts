import { DEFAULT_LIMITS, SyncError, checkEndpointUrls, checkNumberOption, resolveClientOptions, type Clock, type EndpointUrlRules, type ReconnectOptions, type ResolvedClientOptions, type TokenOption } from '@softadastra/sync-core';
import type { WebSocketConstructor } from './web-socket-like.js';

export type { ReconnectOptions } from '@softadastra/sync-core';

/** Options of `createWebSocketTransport`. */
export interface WebSocketTransportOptions {
  /**
   * The server, as a `ws://` or `wss://` URL; or several, tried in turn: a
   * failed connection attempt moves to the next (see also
   * `WebSocketConnection.setUrl()`).
   */
  readonly url: string | readonly string[];
  /**
   * A bearer token, or a function returning one (called before every
   * connection attempt, so it may refresh an expiring token).
   *
   * @remarks
   * With `ws` (the default in Node) it is sent as an `Authorization: Bearer`
   * header. Browsers cannot set headers on a WebSocket: there it is sent as
   * the `access_token` query parameter (`readBearerToken` on the server reads
   * both). An empty string sends nothing.
   * @default no token
   */
  readonly token?: TokenOption;
  /**
   * Time, timers and jitter: every timer of the connection goes through it.
   * @default systemClock of `@softadastra/sync-core`
   */
  readonly clock?: Clock;
  /**
   * How to come back after the link drops; `false` makes every drop final.
   * @default { baseMs: 250, maxMs: 30000 }
   */
  readonly reconnect?: ReconnectOptions | false;
  /**
   * A heartbeat ping every `heartbeatMs`; the link is presumed dead (and
   * replaced) after 2 × `heartbeatMs` without any frame from the server, and a
   * connection attempt is given up after 2 × `heartbeatMs`.
   * @default 15000
   */
  readonly heartbeatMs?: number;
  /**
   * The largest message sent or received, in bytes (also
   * `capabilities.maxMessageBytes`). Use the server's `maxPayload`.
   * @default 1048576 (1 MiB, core's `DEFAULT_LIMITS.maxMessageBytes`)
   */
  readonly maxMessageBytes?: number;
  /**
   * The most bytes the socket may buffer: a send that would buffer more drops
   * the link (a slow link; the protocol resyncs on reconnection). At least
   * `maxMessageBytes`.
   * @default 8388608 (8 MiB)
   */
  readonly maxBufferedBytes?: number;
  /**
   * The WebSocket class to use.
   * @default in Node, `WebSocket` of the `ws` package; elsewhere (and in the
   * `browser` entry point) `globalThis.WebSocket`
   */
  readonly WebSocket?: WebSocketConstructor;
}

/** The options of a client connection, checked and with their defaults. @internal */
export interface ResolvedTransportOptions extends ResolvedClientOptions {
  readonly heartbeatMs: number;
  readonly maxMessageBytes: number;
  readonly maxBufferedBytes: number;
  readonly WebSocket: WebSocketConstructor;
}

/** Default heartbeat period, in ms. @internal */
export const DEFAULT_HEARTBEAT_MS = 15_000;

/** Default `maxBufferedBytes`: 8 MiB. @internal */
export const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/**
 * Checks a number option (core's `checkNumberOption`).
 *
 * @internal
 */
export const checkNumber = checkNumberOption;

/** What the client accepts as a server URL. @internal */
export const WEBSOCKET_URL_RULES: EndpointUrlRules = { schemes: ['ws', 'wss'], example: 'ws://host:port/path or wss://…', query: true };

/**
 * Checks a `url` option (one URL or a list) of a client connection.
 *
 * @throws SyncError `E_INVALID_ARGUMENT`
 * @internal
 */
export function checkWebSocketUrls(url: unknown): readonly string[] {
  return checkEndpointUrls(url, WEBSOCKET_URL_RULES);
}

/**
 * Checks the options of a client connection and fills in the defaults.
 *
 * @param options - what the caller gave
 * @param WebSocket - the WebSocket class to use when the options name none
 * @throws SyncError `E_INVALID_ARGUMENT` for a bad URL or option
 * @internal
 */
export function resolveTransportOptions(options: WebSocketTransportOptions, WebSocket: WebSocketConstructor | undefined): ResolvedTransportOptions {
  if (typeof options !== 'object' || options === null) throw new SyncError('E_INVALID_ARGUMENT', 'createWebSocketTransport() takes an options object with at least a url');
  const client = resolveClientOptions(options, WEBSOCKET_URL_RULES);
  const ctor = options.WebSocket ?? WebSocket;
  if (typeof ctor !== 'function') {
    throw new SyncError('E_INVALID_ARGUMENT', 'no WebSocket class in this environment: pass one as options.WebSocket (for instance WebSocket from the ws package)');
  }
  const maxMessageBytes = checkNumber('maxMessageBytes', options.maxMessageBytes ?? DEFAULT_LIMITS.maxMessageBytes, 1, true);
  const maxBufferedBytes = checkNumber('maxBufferedBytes', options.maxBufferedBytes ?? Math.max(DEFAULT_MAX_BUFFERED_BYTES, maxMessageBytes), maxMessageBytes, true);
  return {
    ...client,
    heartbeatMs: checkNumber('heartbeatMs', options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS, 1),
    maxMessageBytes,
    maxBufferedBytes,
    WebSocket: ctor,
  };
}
