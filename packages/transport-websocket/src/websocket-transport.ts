import { WebSocket as NodeWebSocket } from 'ws';
import { WebSocketClientConnection, type WebSocketConnection } from './websocket-connection.js';
import { resolveTransportOptions, type WebSocketTransportOptions } from './transport-options.js';
import type { WebSocketConstructor } from './web-socket-like.js';

/**
 * Opens a client connection to a Softadastra Sync WebSocket server; it
 * connects at once and reconnects after every drop until `close()`.
 *
 * @remarks
 * In Node the default WebSocket class is `ws`'s — also on Node 22+, whose
 * global `WebSocket` can neither send the `Authorization` header nor report
 * the HTTP status of a refused upgrade. Elsewhere (Deno, Bun, browsers that
 * ignore the `browser` export condition) it is `globalThis.WebSocket`.
 *
 * @example
 * ```ts
 * const connection = createWebSocketTransport({ url: 'wss://relay.example/sync', token: () => auth.freshToken() });
 * engine.connect(connection);
 * ```
 *
 * @param options - see {@link WebSocketTransportOptions}
 * @throws SyncError `E_INVALID_ARGUMENT` for a URL that is not ws:// or wss://, or a bad option
 */
export function createWebSocketTransport(options: WebSocketTransportOptions): WebSocketConnection {
  return new WebSocketClientConnection(resolveTransportOptions(options, defaultWebSocket()));
}

function defaultWebSocket(): WebSocketConstructor {
  const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';
  const platform = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  return isNode || platform === undefined ? NodeWebSocket : platform;
}
