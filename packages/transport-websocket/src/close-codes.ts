import { TransportError } from '@softadastra/sync-core';

/**
 * WebSocket close codes this package sends or reports.
 *
 * @remarks
 * The 44xx codes mirror HTTP 401 and 403 for servers that authenticate after
 * the upgrade (browsers cannot read the HTTP status of a refused upgrade, but
 * they do see close codes). A client receiving one of them, or an HTTP 401 or
 * 403 in answer to its upgrade, stops reconnecting: see {@link authErrorOf}.
 *
 * @internal
 */
export const CLOSE_CODES = {
  /** `close()` without a code: the link was closed on purpose. */
  normal: 1000,
  /** The server is shutting down or restarting: clients come back. */
  goingAway: 1001,
  /** The link was lost without a closing handshake (dropped, terminated, presumed dead). */
  abnormal: 1006,
  /** A message over the receiver's size limit. */
  /** The other side broke a rule of the transport (e.g. a control-frame flood). */
  policyViolation: 1008,
  tooLarge: 1009,
  /** The credentials were refused: do not reconnect. */
  unauthorized: 4401,
  /** Access is forbidden: do not reconnect. */
  forbidden: 4403,
} as const;

/**
 * The error that stops reconnection for a close code or HTTP status meaning
 * "don't come back" (401 / 4401 and 403 / 4403), or `undefined`.
 *
 * @param code - a close code or an HTTP status
 * @param reason - what the server said
 * @param peer - the URL of the server, for the message
 * @internal
 */
export function authErrorOf(code: number, reason: string, peer: string): TransportError | undefined {
  const said = reason.trim() === '' ? 'no reason given' : reason.trim();
  if (code === 401 || code === CLOSE_CODES.unauthorized) {
    return new TransportError(
      'E_UNAUTHORIZED',
      `${peer} refused the credentials (${code}): ${said} — the client does not reconnect; get a valid token and create a new connection`,
      { peer },
    );
  }
  if (code === 403 || code === CLOSE_CODES.forbidden) {
    return new TransportError(
      'E_FORBIDDEN',
      `${peer} forbids this connection (${code}): ${said} — the client does not reconnect; ask for access and create a new connection`,
      { peer },
    );
  }
  return undefined;
}

/**
 * A close code the socket accepts to send: any valid code for `ws`; only 1000
 * and 3000–4999 for the platform `WebSocket` (the rule browsers enforce).
 * Anything else becomes 1000 on the wire; the local `close` event still
 * reports the code the caller gave.
 *
 * @internal
 */
export function sendableCloseCode(code: number, isNodeWs: boolean): number {
  if (!Number.isInteger(code)) return CLOSE_CODES.normal;
  if (code === 1000 || (code >= 3000 && code <= 4999)) return code;
  if (isNodeWs && code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) return code;
  return CLOSE_CODES.normal;
}

const MAX_REASON_BYTES = 123;

/**
 * Cuts `reason` to the 123 UTF-8 bytes a close frame can carry, on a
 * character boundary.
 *
 * @internal
 */
export function truncateReason(reason: string): string {
  const encoder = new TextEncoder();
  if (encoder.encode(reason).length <= MAX_REASON_BYTES) return reason;
  let out = '';
  let bytes = 0;
  for (const char of reason) {
    const size = encoder.encode(char).length;
    if (bytes + size > MAX_REASON_BYTES) break;
    out += char;
    bytes += size;
  }
  return out;
}
