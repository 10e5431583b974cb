import { FRAME_HEADER_BYTES } from './message-framing.js';
import { isSessionId } from './session-id.js';

/**
 * Close codes this package reports on `close` events (WebSocket codes where
 * they apply, so that a relay treats both transports alike).
 *
 * @remarks
 * A server-side connection closed with 4401 or 4403 answers the client's
 * pending poll with HTTP 401 or 403: the client stops reconnecting, as a
 * WebSocket client does on those close codes.
 *
 * @internal
 */
export const CLOSE_CODES = {
  /** `close()` without a code: closed on purpose. */
  normal: 1000,
  /** The server is shutting down, or the client closed its session. */
  goingAway: 1001,
  /** The link was lost: a failed request, an expired or unknown session. */
  abnormal: 1006,
  /** The credentials were refused: do not reconnect. */
  unauthorized: 4401,
  /** Access is forbidden: do not reconnect. */
  forbidden: 4403,
} as const;

/** The header that repeats an error's reason (printable ASCII), next to the text body. @internal */
export const REASON_HEADER = 'Softadastra-Reason';

/** The media type of message bodies. @internal */
export const MESSAGES_TYPE = 'application/octet-stream';

/** A request body is never refused for its size below this, in bytes (1 MiB). @internal */
const MIN_BODY_LIMIT = 1024 * 1024;

/**
 * The largest body of a `POST …/messages`: 1 MiB, or one message of
 * `maxMessageBytes` with its length prefix when that is more.
 *
 * @remarks
 * Part of the wire protocol: the client derives it from the
 * `maxMessageBytes` the server announced, so both ends agree without one
 * more field.
 *
 * @param maxMessageBytes - the server's limit
 * @internal
 */
export function maxBodyBytes(maxMessageBytes: number): number {
  return Math.max(MIN_BODY_LIMIT, maxMessageBytes + FRAME_HEADER_BYTES);
}

/** The JSON answer to `POST …/sessions` (status 201). @internal */
export interface SessionGrant {
  /** The session id: 128 random bits, base64url. */
  readonly session: string;
  /** The longest a poll is held before a 204, in ms. */
  readonly pollTimeoutMs: number;
  /** The largest message the server accepts, in bytes. */
  readonly maxMessageBytes: number;
}

/**
 * Reads a {@link SessionGrant} from the JSON text of a 201 answer.
 *
 * @returns the grant, or a description of what is wrong with the text
 * @internal
 */
export function parseSessionGrant(text: string): SessionGrant | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `the answer is not JSON: ${JSON.stringify(text.slice(0, 80))}`;
  }
  if (typeof value !== 'object' || value === null) return 'the answer is not a JSON object';
  const { session, pollTimeoutMs, maxMessageBytes } = value as Record<string, unknown>;
  if (!isSessionId(session)) return `"session" is not a session id: ${JSON.stringify(session)}`;
  if (typeof pollTimeoutMs !== 'number' || !Number.isFinite(pollTimeoutMs) || pollTimeoutMs < 0) return `"pollTimeoutMs" is not a number ≥ 0: ${JSON.stringify(pollTimeoutMs)}`;
  if (typeof maxMessageBytes !== 'number' || !Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < 1) return `"maxMessageBytes" is not a positive integer: ${JSON.stringify(maxMessageBytes)}`;
  return { session, pollTimeoutMs, maxMessageBytes };
}
