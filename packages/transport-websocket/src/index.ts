/**
 * The `Connection` contract of Softadastra Sync over WebSocket, for Node and
 * browsers.
 *
 * @remarks
 * {@link createWebSocketTransport} dials a server and stays connected:
 * exponential backoff with full jitter after every drop, a text-frame
 * heartbeat that detects dead links, `drain` for backpressure and hard limits
 * on message size and buffered bytes. {@link createWebSocketServer} (Node,
 * built on `ws`) attaches to an `http.Server` or listens itself,
 * authenticates before the upgrade, and hands out one server-side
 * `Connection` per client. Protocol messages travel as binary frames; the
 * browser build (export condition `browser`, or the `./browser` entry)
 * contains the client only.
 *
 * @packageDocumentation
 */
export { createWebSocketTransport } from './websocket-transport.js';
export type { WebSocketConnection } from './websocket-connection.js';
export type { ReconnectOptions, WebSocketTransportOptions } from './transport-options.js';
export type { WebSocketConstructor } from './web-socket-like.js';
export { createWebSocketServer } from './websocket-server.js';
export type {
  AuthenticationResult,
  WebSocketConnectionInfo,
  WebSocketServer,
  WebSocketServerEvents,
  WebSocketServerOptions,
} from './websocket-server.js';
export type { WebSocketServerConnection } from './server-connection.js';
export { readBearerToken } from './bearer-token.js';
