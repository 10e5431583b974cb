import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Answers an upgrade request with a plain HTTP error instead of upgrading,
 * then closes the socket.
 *
 * @remarks
 * The reason goes in the body (UTF-8 text) and, made ASCII-safe, in a
 * `Softadastra-Reason` header; a 401 also carries a `WWW-Authenticate:
 * Bearer` challenge (RFC 6750). The client of this package reads the body
 * and reports it on its `error` event.
 *
 * @param socket - the socket of the upgrade request
 * @param status - the HTTP status, e.g. 401 or 403
 * @param reason - what went wrong and what to do, for the client
 * @internal
 */
export function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  if (socket.destroyed) return;
  const body = `${reason}\n`;
  const safe = headerSafe(reason);
  const headers: Record<string, string> = {
    Connection: 'close',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
    'Softadastra-Reason': safe,
  };
  if (status === 401) headers['WWW-Authenticate'] = `Bearer realm="softadastra-sync", error="invalid_token", error_description="${safe.replace(/["\\]/g, "'")}"`;
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)].join('\r\n');
  socket.once('error', () => socket.destroy());
  socket.once('finish', () => socket.destroy());
  socket.end(`${head}\r\n\r\n${body}`);
}

/** Printable ASCII only, at most 512 characters: a header value cannot carry more. */
function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 512);
}
