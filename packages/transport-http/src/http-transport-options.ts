import { DEFAULT_LIMITS, SyncError, checkEndpointUrls, resolveClientOptions, type Clock, type EndpointUrlRules, type ReconnectOptions, type ResolvedClientOptions, type TokenOption } from '@softadastra/sync-core';
import { checkNumber } from './option-checks.js';

export type { ReconnectOptions } from '@softadastra/sync-core';

/** What the client hands to {@link HttpFetch}: a subset of `fetch`'s `RequestInit`. */
export interface HttpFetchInit {
  /** `'POST'`, `'GET'` or `'DELETE'`. */
  readonly method: string;
  /** `Authorization` and `Content-Type`, when they apply. */
  readonly headers: Readonly<Record<string, string>>;
  /** The framed messages of a `POST …/messages`. */
  readonly body?: Uint8Array<ArrayBuffer>;
  /** Aborts the request (on timeout, on `close()`, when the session is lost). */
  readonly signal: AbortSignal;
}

/** What the client reads of {@link HttpFetch}'s answer: a subset of `fetch`'s `Response`. */
export interface HttpFetchResponse {
  /** The HTTP status. */
  readonly status: number;
  /** The response headers (`Softadastra-Reason` is read from them). */
  readonly headers: { get(name: string): string | null };
  /** The whole body. */
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * The `fetch` the client uses: the platform's, or your own (a proxy agent,
 * a test double…). `globalThis.fetch` fits.
 */
export type HttpFetch = (url: string, init: HttpFetchInit) => Promise<HttpFetchResponse>;

/** Options of `createHttpTransport`. */
export interface HttpTransportOptions {
  /**
   * The base URL of the server's transport, `http://` or `https://`, e.g.
   * `https://relay.example/v1/spaces/team/http` (the client adds `/sessions…`);
   * or several, tried in turn: a failed session creation moves to the next
   * (see also `HttpConnection.setUrl()`).
   */
  readonly url: string | readonly string[];
  /**
   * A bearer token, or a function returning one (called before every session
   * is created, so it may refresh an expiring token). Sent as an
   * `Authorization: Bearer` header on every request of the session. An
   * empty string sends nothing.
   * @default no token
   */
  readonly token?: TokenOption;
  /**
   * The `fetch` to use.
   * @default globalThis.fetch
   */
  readonly fetch?: HttpFetch;
  /**
   * Time, timers and jitter: every timer of the connection goes through it.
   * @default systemClock of `@softadastra/sync-core`
   */
  readonly clock?: Clock;
  /**
   * How to come back after the session is lost; `false` makes every loss final.
   * @default { baseMs: 250, maxMs: 30000 }
   */
  readonly reconnect?: ReconnectOptions | false;
  /**
   * How long each poll asks the server to hold it while nothing is queued,
   * in ms (the `wait` parameter); the server caps it to its own `pollTimeoutMs`.
   * @default the server's `pollTimeoutMs` (announced when the session is created; 25000 by default)
   */
  readonly pollTimeoutMs?: number;
  /**
   * How long a request may go unanswered before it counts as failed (the
   * session is then lost and replaced); a poll gets its `wait` on top.
   * @default 30000
   */
  readonly requestTimeoutMs?: number;
  /**
   * The largest message `send()` accepts, in bytes (also
   * `capabilities.maxMessageBytes`). Use the server's: a message within this
   * limit but over the server's is dropped with an `E_TOO_LARGE` error.
   * @default 1048576 (1 MiB, core's `DEFAULT_LIMITS.maxMessageBytes`)
   */
  readonly maxMessageBytes?: number;
}

/** The options of a client connection, checked and with their defaults. @internal */
export interface ResolvedHttpTransportOptions extends ResolvedClientOptions {
  readonly fetch: HttpFetch;
  readonly pollTimeoutMs: number | undefined;
  readonly requestTimeoutMs: number;
  readonly maxMessageBytes: number;
}

/** What the client accepts as a base URL. @internal */
export const HTTP_URL_RULES: EndpointUrlRules = { schemes: ['http', 'https'], example: 'http://host:port/base/path or https://…', base: true };

/**
 * Checks a `url` option (one base URL or a list) of a client connection.
 *
 * @throws SyncError `E_INVALID_ARGUMENT`
 * @internal
 */
export function checkHttpUrls(url: unknown): readonly string[] {
  return checkEndpointUrls(url, HTTP_URL_RULES);
}

/** Default `requestTimeoutMs`. @internal */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Checks the options of a client connection and fills in the defaults.
 *
 * @param options - what the caller gave
 * @throws SyncError `E_INVALID_ARGUMENT` for a bad URL or option, or when
 * there is no `fetch` to use
 * @internal
 */
export function resolveHttpTransportOptions(options: HttpTransportOptions): ResolvedHttpTransportOptions {
  if (typeof options !== 'object' || options === null) throw new SyncError('E_INVALID_ARGUMENT', 'createHttpTransport() takes an options object with at least a url');
  const client = resolveClientOptions(options, HTTP_URL_RULES);
  let fetch = options.fetch;
  if (fetch === undefined) {
    const platform = (globalThis as { fetch?: HttpFetch }).fetch;
    if (typeof platform === 'function') fetch = (target, init) => platform(target, init);
  }
  if (typeof fetch !== 'function') throw new SyncError('E_INVALID_ARGUMENT', 'no fetch in this environment: pass one as options.fetch');
  return {
    ...client,
    fetch,
    pollTimeoutMs: options.pollTimeoutMs === undefined ? undefined : checkNumber('pollTimeoutMs', options.pollTimeoutMs, 1, true),
    requestTimeoutMs: checkNumber('requestTimeoutMs', options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, 1),
    maxMessageBytes: checkNumber('maxMessageBytes', options.maxMessageBytes ?? DEFAULT_LIMITS.maxMessageBytes, 1, true),
  };
}
