/**
 * The browser build of `@softadastra/transport-websocket`: the reconnecting
 * client only, on the platform's `WebSocket`, without the `ws` package.
 *
 * @remarks
 * Chosen by bundlers through the `browser` export condition, or imported as
 * `@softadastra/transport-websocket/browser`. The token travels as the
 * `access_token` query parameter (browsers cannot set WebSocket headers).
 *
 * @packageDocumentation
 */
export { createWebSocketTransport } from './browser-transport.js';
export type { WebSocketConnection } from './websocket-connection.js';
export type { ReconnectOptions, WebSocketTransportOptions } from './transport-options.js';
export type { WebSocketConstructor } from './web-socket-like.js';
