import type { ServerResponse } from 'node:http';
import { MESSAGES_TYPE, REASON_HEADER } from './wire-protocol.js';

/**
 * Answers a request with an empty body (204) or with an error status and its
 * reason.
 *
 * @remarks
 * The reason goes in the body (UTF-8 text) and, made ASCII-safe, in a
 * `Softadastra-Reason` header; a 401 also carries a `WWW-Authenticate:
 * Bearer` challenge (RFC 6750), as the WebSocket server of
 * `@softadastra/transport-websocket` does. Nothing is written to a response
 * already answered or whose client is gone.
 *
 * @param response - the response to write
 * @param status - the HTTP status
 * @param reason - what went wrong and what to do; omitted for a success
 * @param headers - more headers, e.g. `Allow` or `Connection: close`
 * @internal
 */
export function replyStatus(response: ServerResponse, status: number, reason?: string, headers: Readonly<Record<string, string>> = {}): void {
  if (response.headersSent || response.writableEnded || response.destroyed) return;
  if (reason === undefined) {
    response.writeHead(status, { 'Cache-Control': 'no-store', ...headers });
    response.end();
    return;
  }
  const body = new TextEncoder().encode(`${reason}\n`);
  const safe = headerSafe(reason);
  const all: Record<string, string> = {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(body.length),
    'Cache-Control': 'no-store',
    [REASON_HEADER]: safe,
    ...headers,
  };
  if (status === 401) all['WWW-Authenticate'] = `Bearer realm="softadastra-sync", error="invalid_token", error_description="${safe.replace(/["\\]/g, "'")}"`;
  response.writeHead(status, all);
  response.end(body);
}

/**
 * Answers a request with a body.
 *
 * @param response - the response to write
 * @param status - the HTTP status, e.g. 200 or 201
 * @param contentType - the media type of `body`
 * @param body - the bytes
 * @returns whether the answer was written (false when the client is gone)
 * @internal
 */
export function replyBody(response: ServerResponse, status: number, contentType: string, body: Uint8Array): boolean {
  if (response.headersSent || response.writableEnded || response.destroyed) return false;
  response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': String(body.length), 'Cache-Control': 'no-store' });
  response.end(body);
  return true;
}

/**
 * Answers a poll with framed messages (200).
 *
 * @returns whether the answer was written
 * @internal
 */
export function replyMessages(response: ServerResponse, body: Uint8Array): boolean {
  return replyBody(response, 200, MESSAGES_TYPE, body);
}

/** Printable ASCII only, at most 512 characters: a header value cannot carry more. */
function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 512);
}
