import { systemClock, type Clock } from './clock.js';
import { checkEndpointUrls, type EndpointUrlRules } from './endpoint-url.js';
import { resolveReconnectPolicy, type ReconnectOptions, type ReconnectPolicy } from './reconnect-loop.js';
import { toTokenProvider, type TokenOption, type TokenProvider } from './token-provider.js';

/** The options every client connection takes: where to dial, with which token, on which clock, and how to come back. */
export interface ClientConnectionOptions {
  /** The server, or several tried in turn. */
  readonly url: string | readonly string[];
  /** A bearer token, or a function returning a fresh one before every attempt. */
  readonly token?: TokenOption;
  /** Time, timers and jitter. */
  readonly clock?: Clock;
  /** Backoff after a drop; `false` makes every drop final. */
  readonly reconnect?: ReconnectOptions | false;
}

/** {@link ClientConnectionOptions} checked and with their defaults: what {@link createReconnectLoop} takes. */
export interface ResolvedClientOptions {
  /** Normalised by {@link checkEndpointUrl}. */
  readonly urls: readonly string[];
  readonly token: TokenProvider | undefined;
  /** The given clock, or `systemClock`. */
  readonly clock: Clock;
  readonly policy: ReconnectPolicy | false;
}

/**
 * Checks the options every client connection shares and fills in the
 * defaults, so that each transport's client resolves them the same way.
 *
 * @param options - what the caller gave
 * @param rules - the URLs this client accepts
 * @throws SyncError `E_INVALID_ARGUMENT` for a bad URL, token or reconnect option
 */
export function resolveClientOptions(options: ClientConnectionOptions, rules: EndpointUrlRules): ResolvedClientOptions {
  return {
    urls: checkEndpointUrls(options.url, rules),
    token: toTokenProvider(options.token),
    clock: options.clock ?? systemClock,
    policy: resolveReconnectPolicy(options.reconnect),
  };
}
