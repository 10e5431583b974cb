import type { IncomingMessage } from 'node:http';

/**
 * The bearer token a client of this package presented: the
 * `Authorization: Bearer …` header (Node clients), else the `access_token`
 * query parameter (browser clients, which cannot set headers).
 *
 * @remarks
 * For `authenticate` hooks. A token in a URL can end up in access logs: keep
 * tokens short-lived, and keep query strings out of your logs.
 *
 * @example
 * ```ts
 * createWebSocketServer({
 *   server,
 *   authenticate: async (request) => {
 *     const user = await verify(readBearerToken(request));
 *     return user ? { ok: true, context: user } : { ok: false, status: 401, reason: 'token expired: sign in again' };
 *   },
 * });
 * ```
 *
 * @param request - the upgrade request
 * @returns the token, or `undefined` when none was presented
 */
export function readBearerToken(request: Pick<IncomingMessage, 'headers' | 'url'>): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer[ \t]+(\S.*?)[ \t]*$/i.exec(header);
    if (match?.[1] !== undefined) return match[1];
  }
  if (request.url === undefined) return undefined;
  try {
    const token = new URL(request.url, 'http://localhost').searchParams.get('access_token');
    return token === null || token === '' ? undefined : token;
  } catch {
    return undefined;
  }
}
