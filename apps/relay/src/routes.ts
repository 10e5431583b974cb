/** Space names a relay accepts (they become file names). */
export const SPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The longest request target a relay reads; longer is refused with 414 before anything else. */
export const MAX_URL_LENGTH = 4096;

/** Where a request goes: a space's WebSocket endpoint, or its HTTP transport. */
export type RouteKind = 'ws' | 'http';

/** The result of {@link parseRoute}: a space and an endpoint, or why not (never a throw). */
export type Route =
  | {
      readonly ok: true;
      readonly kind: RouteKind;
      /** The space name, decoded and valid. */
      readonly space: string;
      /** The path segment as it came (still percent-encoded): the HTTP transport's base is built from it. */
      readonly segment: string;
    }
  | {
      readonly ok: false;
      /** 400: malformed (bad percent-encoding, a space name that cannot be one); 404: no such route; 414: too long. */
      readonly status: 400 | 404 | 414;
      readonly reason: string;
      /** The endpoint asked for, when the path says it. */
      readonly kind?: RouteKind;
    };

const PREFIX = '/v1/spaces/';

/**
 * Parses a request target (`request.url`) into a route, as a pure function
 * that returns a result for any string — the first thing a relay does with
 * bytes from the network, so it must never throw.
 *
 * @remarks
 * Accepted: `/v1/spaces/<space>` (WebSocket) and `/v1/spaces/<space>/http…`
 * (HTTP transport), with an optional query string. The absolute form
 * (`http://host/v1/…`) is reduced to its path. `<space>` may be
 * percent-encoded; malformed encodings (`%ff`, `a%`, `a%zz`, overlong UTF-8
 * such as `%C0%AE`) are a 400, as is a decoded name outside {@link SPACE_NAME}.
 *
 * @param url - the request target, as received
 */
export function parseRoute(url: string | undefined): Route {
  if (typeof url !== 'string' || url.length === 0) return { ok: false, status: 400, reason: 'no request target' };
  if (url.length > MAX_URL_LENGTH) return { ok: false, status: 414, reason: `request target over ${MAX_URL_LENGTH} characters` };
  let path = url;
  const query = path.indexOf('?');
  if (query >= 0) path = path.slice(0, query);
  const hash = path.indexOf('#');
  if (hash >= 0) path = path.slice(0, hash);
  if (!path.startsWith('/')) {
    const absolute = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*(\/.*)?$/.exec(path);
    if (absolute === null) return { ok: false, status: 400, reason: 'the request target is neither a path nor an absolute URL' };
    path = absolute[1] ?? '/';
  }
  if (!path.startsWith(PREFIX)) return { ok: false, status: 404, reason: `unknown route: connect to ${PREFIX}<space> (letters, digits, . _ -)` };
  const rest = path.slice(PREFIX.length);
  const slash = rest.indexOf('/');
  const segment = slash < 0 ? rest : rest.slice(0, slash);
  const tail = slash < 0 ? '' : rest.slice(slash);
  let kind: RouteKind;
  if (tail === '') kind = 'ws';
  else if (tail === '/http' || tail.startsWith('/http/')) kind = 'http';
  else return { ok: false, status: 404, reason: `unknown route under ${PREFIX}<space>: use ${PREFIX}<space> (WebSocket) or ${PREFIX}<space>/http (HTTP)` };
  const space = percentDecode(segment);
  if (space === undefined) return { ok: false, status: 400, reason: 'the space name in the URL is not valid percent-encoded UTF-8', kind };
  if (!SPACE_NAME.test(space)) {
    return { ok: false, status: 400, reason: 'invalid space name: 1–128 characters from A–Z a–z 0–9 . _ -, starting with a letter or digit', kind };
  }
  return { ok: true, kind, space, segment };
}

/** `decodeURIComponent` as a result: `undefined` where it would throw. */
export function percentDecode(text: string): string | undefined {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
