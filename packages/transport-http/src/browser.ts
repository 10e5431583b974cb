/**
 * The browser build of `@softadastra/transport-http`: the client only, on the
 * platform's `fetch`, without the Node server (`node:http`).
 *
 * @remarks
 * Chosen by bundlers through the `browser` export condition, or imported as
 * `@softadastra/transport-http/browser`.
 *
 * @packageDocumentation
 */
export { createHttpTransport } from './http-transport.js';
export type { HttpConnection } from './http-connection.js';
export type { HttpFetch, HttpFetchInit, HttpFetchResponse, HttpTransportOptions, ReconnectOptions } from './http-transport-options.js';
