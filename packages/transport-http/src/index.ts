/**
 * The `Connection` contract of Softadastra Sync over plain HTTP, for places
 * where WebSockets are not allowed.
 *
 * @remarks
 * {@link createHttpTransport} (anywhere `fetch` exists) creates a session on
 * the server, POSTs the messages sent in batches and receives by long
 * polling; it replaces a lost session by itself, with exponential backoff and
 * full jitter. {@link createHttpTransportServer} is a request handler to
 * mount on a `node:http` server next to other routes and WebSocket upgrades;
 * it authenticates session creation and hands out one server-side
 * `Connection` per session, with bounded queues and expiry. The same opaque
 * protocol messages and limits as the other transports; the wire protocol is
 * in the README.
 *
 * @packageDocumentation
 */
export { createHttpTransport } from './http-transport.js';
export type { HttpConnection } from './http-connection.js';
export type { HttpFetch, HttpFetchInit, HttpFetchResponse, HttpTransportOptions, ReconnectOptions } from './http-transport-options.js';
export { createHttpTransportServer } from './http-transport-server.js';
export type {
  AuthenticationResult,
  HttpConnectionInfo,
  HttpTransportServer,
  HttpTransportServerEvents,
  HttpTransportServerOptions,
} from './http-transport-server.js';
export type { HttpServerConnection } from './server-connection.js';
export { readBearerToken } from './bearer-token.js';
