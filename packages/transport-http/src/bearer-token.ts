import type { IncomingMessage } from 'node:http';

/**
 * The bearer token a client of this package presented: the
 * `Authorization: Bearer …` header of the request.
 *
 * @remarks
 * For `authenticate` hooks. Unlike a browser WebSocket, `fetch` can set
 * headers, so no token ever travels in a URL here.
 *
 * @example
 * ```ts
 * createHttpTransportServer({
 *   authenticate: async (request) => {
 *     const user = await verify(readBearerToken(request));
 *     return user ? { ok: true, context: user } : { ok: false, status: 401, reason: 'token expired: sign in again' };
 *   },
 * });
 * ```
 *
 * @param request - the request creating a session
 * @returns the token, or `undefined` when none was presented
 */
export function readBearerToken(request: Pick<IncomingMessage, 'headers'>): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ \t]+(\S.*?)[ \t]*$/i.exec(header);
  return match?.[1];
}
