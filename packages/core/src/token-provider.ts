import { SyncError } from './errors.js';

/**
 * A bearer token as a client option: the token itself, or a function that
 * returns a fresh one (called before every connection attempt, so it may
 * refresh an expiring token). An empty string means "no token".
 */
export type TokenOption = string | (() => string | Promise<string>);

/** A {@link TokenOption} in one shape: a function returning the token. */
export type TokenProvider = () => string | Promise<string>;

/** What {@link readToken} got: the token (undefined: none to send), or why the provider failed. */
export type TokenReading = { readonly ok: true; readonly token: string | undefined } | { readonly ok: false; readonly reason: string; readonly cause: unknown };

/**
 * Checks a `token` option and turns it into a provider.
 *
 * @param token - what the caller gave
 * @returns a provider, or `undefined` when there is no token
 * @throws SyncError `E_INVALID_ARGUMENT` unless it is a string, a function or undefined
 */
export function toTokenProvider(token: unknown): TokenProvider | undefined {
  if (token === undefined) return undefined;
  if (typeof token === 'string') return () => token;
  if (typeof token === 'function') return token as TokenProvider;
  throw new SyncError('E_INVALID_ARGUMENT', `token must be a string or a function returning one, got ${typeof token}`);
}

/**
 * Asks a provider for the token of the next connection attempt; never
 * throws nor rejects.
 *
 * @remarks
 * A provider that throws, rejects or returns something other than a string
 * is a failed attempt (retried with backoff), not a crash: it often talks to
 * an auth server that may be down for a moment.
 *
 * @param provider - from {@link toTokenProvider}; `undefined` reads as no token
 */
export async function readToken(provider: TokenProvider | undefined): Promise<TokenReading> {
  if (provider === undefined) return { ok: true, token: undefined };
  try {
    const token: unknown = await provider();
    if (typeof token !== 'string') return { ok: false, reason: `it returned ${token === null ? 'null' : typeof token} instead of a string`, cause: undefined };
    return { ok: true, token };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error), cause: error };
  }
}

/**
 * The `Authorization: Bearer …` header for `token`, as a headers object:
 * empty when there is no token (undefined or empty string).
 *
 * @param token - the token read for this attempt
 */
export function bearerHeaders(token: string | undefined): Record<string, string> {
  return token === undefined || token === '' ? {} : { Authorization: `Bearer ${token}` };
}
