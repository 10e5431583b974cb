import { encodeBase64Url } from '@softadastra/sync-core';

/** A session id as this package makes them: 16 random bytes in base64url, without padding. @internal */
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

/**
 * A fresh session id: 128 bits from the platform's cryptographic random
 * source, as 22 base64url characters.
 *
 * @remarks
 * The id is the only credential of the requests that follow the session's
 * creation: it must be unguessable, hence `crypto.getRandomValues` and never
 * the injected clock's `random()`.
 *
 * @internal
 */
export function newSessionId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return encodeBase64Url(bytes);
}

/**
 * Whether `value` has the shape of a session id (22 base64url characters).
 *
 * @param value - anything, e.g. a path segment or a field of a JSON answer
 * @internal
 */
export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID.test(value);
}
