import { HttpClientConnection, type HttpConnection } from './http-connection.js';
import { resolveHttpTransportOptions, type HttpTransportOptions } from './http-transport-options.js';

/**
 * Opens a client connection to a Softadastra Sync HTTP endpoint; it creates
 * a session at once and replaces it after every loss until `close()`.
 *
 * @remarks
 * Works wherever `fetch` does (Node 18+, browsers, Deno, Bun, workers): it
 * needs no WebSocket and no Node module. Messages are POSTed in batches and
 * received by long polling (see "Wire protocol" in the README).
 *
 * @example
 * ```ts
 * const connection = createHttpTransport({ url: 'https://relay.example/v1/spaces/team/http', token: () => auth.freshToken() });
 * engine.connect(connection);
 * ```
 *
 * @param options - see {@link HttpTransportOptions}
 * @throws SyncError `E_INVALID_ARGUMENT` for a URL that is not http:// or https://, a bad option, or no `fetch`
 */
export function createHttpTransport(options: HttpTransportOptions): HttpConnection {
  return new HttpClientConnection(resolveHttpTransportOptions(options));
}
