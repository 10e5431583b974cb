import { encodeBase64Url } from './base64url.js';
import { SyncError } from './errors.js';

/**
 * The identity of a writing peer: 1 to 64 URL-safe characters (`A–Z a–z 0–9 _ -`),
 * except the one string `__proto__`.
 *
 * @remarks
 * {@link generatePeerId} makes 22-character ids from 128 random bits, so that two
 * peers never collide by accident. Custom ids (`"relay-eu-1"`) are allowed, but
 * an id must never be reused by a peer that lost its data: its sequence numbers
 * would restart at 1 and collide with the ones the network has already seen.
 */
export type PeerId = string;

/** The longest peer id accepted, in characters. */
export const MAX_PEER_ID_LENGTH = 64;

const PEER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Whether `value` is a well-formed {@link PeerId}.
 *
 * @param value - anything
 */
export function isPeerId(value: unknown): value is PeerId {
  return typeof value === 'string' && PEER_ID_PATTERN.test(value) && value !== '__proto__';
}

/**
 * Throws `E_INVALID_ORIGIN` unless `value` is a well-formed {@link PeerId}.
 *
 * @param value - the candidate id
 * @param what - how to name it in the error message
 */
export function assertPeerId(value: unknown, what = 'peer id'): asserts value is PeerId {
  if (!isPeerId(value)) {
    throw new SyncError(
      'E_INVALID_ORIGIN',
      `${what} ${JSON.stringify(value)} is not valid: use 1 to 64 characters from A-Z a-z 0-9 _ - (or omit it to generate one)`,
    );
  }
}

/**
 * Makes a new random {@link PeerId}: 128 bits from the platform's CSPRNG,
 * base64url-encoded without padding (22 characters).
 *
 * @param random - fills a byte array with random bytes; defaults to `crypto.getRandomValues`
 */
export function generatePeerId(random: (bytes: Uint8Array) => void = defaultRandom): PeerId {
  const bytes = new Uint8Array(16);
  random(bytes);
  return encodeBase64Url(bytes);
}

function defaultRandom(bytes: Uint8Array): void {
  globalThis.crypto.getRandomValues(bytes);
}
