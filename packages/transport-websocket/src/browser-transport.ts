import { WebSocketClientConnection, type WebSocketConnection } from './websocket-connection.js';
import { resolveTransportOptions, type WebSocketTransportOptions } from './transport-options.js';
import type { WebSocketConstructor } from './web-socket-like.js';

/**
 * Opens a client connection with the platform's WebSocket (browsers, Deno,
 * workers); it connects at once and reconnects after every drop until
 * `close()`. The browser build of `createWebSocketTransport`: it never loads
 * the `ws` package.
 *
 * @remarks
 * A browser cannot set headers on a WebSocket, so `token` travels as the
 * `access_token` query parameter; and it cannot read the HTTP status of a
 * refused upgrade, so a 401/403 answer looks like a failed connection and is
 * retried with backoff — a server that wants browsers to stop should accept
 * the upgrade and close with code 4401 or 4403.
 *
 * @param options - see {@link WebSocketTransportOptions}
 * @throws SyncError `E_INVALID_ARGUMENT` for a bad URL or option, or when
 * there is no `globalThis.WebSocket` and no `options.WebSocket`
 */
export function createWebSocketTransport(options: WebSocketTransportOptions): WebSocketConnection {
  return new WebSocketClientConnection(resolveTransportOptions(options, (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket));
}
