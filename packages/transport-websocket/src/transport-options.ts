import { DEFAULT_LIMITS, SyncError, systemClock, type Clock } from '@softadastra/sync-core';
import type { WebSocketConstructor } from './web-socket-like.js';

/** Reconnection with exponential backoff and full jitter (core's `backoffDelay`). */
export interface ReconnectOptions {
  /**
   * The ceiling of the first delay, in ms; each failed attempt doubles it.
   * @default 250
   */
  readonly baseMs?: number;
  /**
   * The largest ceiling, in ms.
   * @default 30000
   */
  readonly maxMs?: number;
}

/** Options of `createWebSocketTransport`. */
export interface WebSocketTransportOptions {
  /** The server, as a `ws://` or `wss://` URL. */
  readonly url: string;
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
  readonly token?: string | (() => string | Promise<string>);
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
export interface ResolvedTransportOptions {
  readonly url: string;
  readonly token: (() => string | Promise<string>) | undefined;
  readonly clock: Clock;
  readonly reconnect: { readonly baseMs: number; readonly maxMs: number } | false;
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
 * Checks a number option: a finite number, at least `min` (and an integer when asked).
 *
 * @throws SyncError `E_INVALID_ARGUMENT`
 * @internal
 */
export function checkNumber(name: string, value: unknown, min: number, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (integer && !Number.isSafeInteger(value))) {
    throw new SyncError('E_INVALID_ARGUMENT', `${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${String(value)}`);
  }
  return value;
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
  const url = checkUrl(options.url);
  const ctor = options.WebSocket ?? WebSocket;
  if (typeof ctor !== 'function') {
    throw new SyncError('E_INVALID_ARGUMENT', 'no WebSocket class in this environment: pass one as options.WebSocket (for instance WebSocket from the ws package)');
  }
  const { token } = options;
  if (token !== undefined && typeof token !== 'string' && typeof token !== 'function') {
    throw new SyncError('E_INVALID_ARGUMENT', `token must be a string or a function returning one, got ${typeof token}`);
  }
  let reconnect: ResolvedTransportOptions['reconnect'] = false;
  if (options.reconnect !== false) {
    const baseMs = checkNumber('reconnect.baseMs', options.reconnect?.baseMs ?? 250, 1);
    const maxMs = checkNumber('reconnect.maxMs', options.reconnect?.maxMs ?? 30_000, baseMs);
    reconnect = { baseMs, maxMs };
  }
  const maxMessageBytes = checkNumber('maxMessageBytes', options.maxMessageBytes ?? DEFAULT_LIMITS.maxMessageBytes, 1, true);
  const maxBufferedBytes = checkNumber('maxBufferedBytes', options.maxBufferedBytes ?? Math.max(DEFAULT_MAX_BUFFERED_BYTES, maxMessageBytes), maxMessageBytes, true);
  return {
    url,
    token: token === undefined ? undefined : typeof token === 'string' ? () => token : token,
    clock: options.clock ?? systemClock,
    reconnect,
    heartbeatMs: checkNumber('heartbeatMs', options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS, 1),
    maxMessageBytes,
    maxBufferedBytes,
    WebSocket: ctor,
  };
}

function checkUrl(url: unknown): string {
  if (typeof url !== 'string') throw new SyncError('E_INVALID_ARGUMENT', `url must be a ws:// or wss:// URL, got ${typeof url}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new SyncError('E_INVALID_ARGUMENT', `url ${JSON.stringify(url)} is not a valid URL: use ws://host:port/path or wss://…`, { cause: error });
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new SyncError('E_INVALID_ARGUMENT', `url ${JSON.stringify(url)} must start with ws:// or wss://, not ${parsed.protocol}//`);
  }
  return url;
}
