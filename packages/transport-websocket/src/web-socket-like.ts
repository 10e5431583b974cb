import { bearerHeaders } from '@softadastra/sync-core';
import { sendableCloseCode, truncateReason } from './close-codes.js';

/**
 * A WebSocket constructor: the platform's (`globalThis.WebSocket` in browsers,
 * Deno, Bun and Node 22+) or `WebSocket` from the `ws` package.
 *
 * @remarks
 * Typed loosely on purpose, so that the DOM's, undici's and `ws`'s classes
 * all fit without any of their type packages. Instances are used through the
 * standard API only (`binaryType`, `readyState`, `bufferedAmount`, `send`,
 * `close`, `onopen`, `onmessage`, `onclose`, `onerror`), plus `terminate()`
 * and the `unexpected-response` event when the class is `ws`'s (recognised by
 * its prototype having `terminate` and `on`).
 */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => unknown;

/** The event of `onmessage`. @internal */
export interface SocketMessageEvent {
  readonly data: unknown;
}

/** The event of `onclose`. @internal */
export interface SocketCloseEvent {
  readonly code: number;
  readonly reason: string;
}

/** The event of `onerror` (`ws` adds `error` and `message`; browsers give neither). @internal */
export interface SocketErrorEvent {
  readonly error?: unknown;
  readonly message?: unknown;
}

/** The HTTP answer `ws` hands to `unexpected-response` listeners (a node:http `IncomingMessage`). @internal */
export interface HttpResponseLike {
  readonly statusCode?: number;
  readonly statusMessage?: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  setEncoding(encoding: 'utf8'): void;
  on(event: 'data', listener: (chunk: string) => void): unknown;
  on(event: 'end' | 'error' | 'close', listener: () => void): unknown;
  destroy(): void;
}

/**
 * What this package uses of a WebSocket instance.
 *
 * @internal
 */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: SocketMessageEvent) => void) | null;
  onclose: ((event: SocketCloseEvent) => void) | null;
  onerror: ((event: SocketErrorEvent) => void) | null;
  send(data: Uint8Array | string): void;
  close(code?: number, reason?: string): void;
  /** `ws` only: destroys the TCP socket at once. */
  terminate?(): void;
  /** `ws` only: the HTTP answer to an upgrade that was refused. */
  on?(event: 'unexpected-response', listener: (request: unknown, response: HttpResponseLike) => void): unknown;
}

/** `readyState` of an open socket (the standard value). @internal */
export const OPEN = 1;

type NodeWsConstructor = new (url: string, options: Record<string, unknown>) => WebSocketLike;

/**
 * Whether `ctor` is `ws`'s WebSocket class (which can send headers and report
 * the HTTP status of a refused upgrade), recognised by its prototype.
 *
 * @internal
 */
export function isNodeWsConstructor(ctor: WebSocketConstructor): boolean {
  const prototype = (ctor as { prototype?: Record<string, unknown> }).prototype;
  return typeof prototype?.terminate === 'function' && typeof prototype.on === 'function';
}

/**
 * Opens a socket to `url`, presenting `token`: as an `Authorization: Bearer`
 * header with `ws` (with frames over `maxPayload` refused by `ws` itself);
 * as the `access_token` query parameter with the platform WebSocket, which
 * cannot set headers.
 *
 * @throws whatever the constructor throws (an invalid URL or header)
 * @internal
 */
export function openSocket(ctor: WebSocketConstructor, url: string, token: string | undefined, maxPayload: number): WebSocketLike {
  if (isNodeWsConstructor(ctor)) {
    return new (ctor as unknown as NodeWsConstructor)(url, { headers: bearerHeaders(token), maxPayload, perMessageDeflate: false });
  }
  let target = url;
  if (token !== undefined && token !== '') {
    const withToken = new URL(url);
    withToken.searchParams.set('access_token', token);
    target = withToken.href;
  }
  return new ctor(target) as WebSocketLike;
}

/**
 * Starts a closing handshake, with a code the socket accepts to send (see
 * {@link sendableCloseCode}); never throws.
 *
 * @internal
 */
export function closeSocket(socket: WebSocketLike, code: number, reason: string): void {
  try {
    socket.close(sendableCloseCode(code, typeof socket.terminate === 'function'), truncateReason(reason));
  } catch {
    terminateSocket(socket);
  }
}

/**
 * Drops the link at once: `terminate()` with `ws` (nothing more is read or
 * written); a plain `close()` with the platform WebSocket, which has nothing
 * faster. Never throws.
 *
 * @internal
 */
export function terminateSocket(socket: WebSocketLike): void {
  try {
    if (typeof socket.terminate === 'function') socket.terminate();
    else socket.close();
  } catch {
    // Already closed, or closing: nothing more to do.
  }
}
