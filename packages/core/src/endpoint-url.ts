import { SyncError } from './errors.js';

/** What a client accepts as the URL of its server (see {@link checkEndpointUrls}). */
export interface EndpointUrlRules {
  /** The schemes allowed, without the colon, e.g. `['ws', 'wss']`. */
  readonly schemes: readonly string[];
  /** An example for error messages, e.g. `ws://host:port/path`. */
  readonly example: string;
  /**
   * Whether the URL may have a query string.
   * @default false
   */
  readonly query?: boolean;
  /**
   * The URL is a base that paths are appended to: trailing slashes are removed.
   * @default false
   */
  readonly base?: boolean;
}

/**
 * Checks the server URL of a client and returns it normalised (as `URL`
 * serialises it): the string the client dials is the one that was checked.
 *
 * @remarks
 * Refuses at construction every URL that would make *every* connection
 * attempt fail, instead of retrying it forever with backoff: a scheme not in
 * `rules.schemes`, credentials (`user:pass@` — `fetch` refuses them, and a
 * token belongs in `token`), a fragment (WebSocket forbids it; `#` would cut
 * the path of an HTTP request), and a query unless `rules.query` (an empty
 * `?` included: it would turn the paths a client appends into a query).
 *
 * @param value - what the caller gave
 * @param rules - what this client accepts
 * @param name - the option, for messages @default 'url'
 * @throws SyncError `E_INVALID_ARGUMENT`, saying what to change
 */
export function checkEndpointUrl(value: unknown, rules: EndpointUrlRules, name = 'url'): string {
  const schemes = rules.schemes.map((scheme) => `${scheme}://`).join(' or ');
  if (typeof value !== 'string') throw new SyncError('E_INVALID_ARGUMENT', `${name} must be a ${schemes} URL, got ${typeof value}`);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch (error) {
    throw new SyncError('E_INVALID_ARGUMENT', `${name} ${JSON.stringify(value)} is not a valid URL: use ${rules.example}`, { cause: error });
  }
  const scheme = parsed.protocol.slice(0, -1);
  if (!rules.schemes.includes(scheme)) throw new SyncError('E_INVALID_ARGUMENT', `${name} ${JSON.stringify(value)} must start with ${schemes}, not ${parsed.protocol}//`);
  if (parsed.username !== '' || parsed.password !== '') {
    throw new SyncError('E_INVALID_ARGUMENT', `${name} ${JSON.stringify(value)} must not contain credentials (user:password@): pass a token in the token option instead`);
  }
  const href = parsed.href;
  if (href.includes('#')) throw new SyncError('E_INVALID_ARGUMENT', `${name} ${JSON.stringify(value)} must not have a fragment (#…): remove it`);
  if (rules.query !== true && href.includes('?')) {
    throw new SyncError('E_INVALID_ARGUMENT', `${name} ${JSON.stringify(value)} must not have a query or a fragment: give the base path only`);
  }
  if (rules.base !== true) return href;
  const at = href.indexOf('?');
  const path = at < 0 ? href : href.slice(0, at);
  return path.replace(/\/+$/, '') + (at < 0 ? '' : href.slice(at));
}

/**
 * Checks a client's server URL or list of URLs (tried in turn, see
 * {@link createReconnectLoop}), each with {@link checkEndpointUrl}.
 *
 * @param value - a URL, or a non-empty array of URLs
 * @param rules - what this client accepts
 * @param name - the option, for messages @default 'url'
 * @throws SyncError `E_INVALID_ARGUMENT`
 */
export function checkEndpointUrls(value: unknown, rules: EndpointUrlRules, name = 'url'): readonly string[] {
  if (!Array.isArray(value)) return Object.freeze([checkEndpointUrl(value, rules, name)]);
  if (value.length === 0) throw new SyncError('E_INVALID_ARGUMENT', `${name} must name at least one server: got an empty list`);
  return Object.freeze(value.map((url: unknown, i) => checkEndpointUrl(url, rules, `${name}[${i}]`)));
}
