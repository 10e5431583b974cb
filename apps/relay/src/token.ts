import { createHmac, timingSafeEqual } from 'node:crypto';
import { isPeerId } from '@softadastra/sync-core';

/** What a relay token grants (the claims of an HS256 JWT). */
export interface TokenClaims {
  /** The subject: the peer id the client must use. */
  readonly sub: string;
  /** The spaces it may open; `'*'` for all. */
  readonly spaces: readonly string[];
  /** `'write'` (read and write) or `'read'` (read only). */
  readonly rights: 'read' | 'write';
  /** Expiry, in seconds since the Unix epoch. */
  readonly exp: number;
}

/** Why a token was refused, as an HTTP status and a reason to show the client. */
export interface TokenRefusal {
  readonly status: 401 | 403;
  readonly reason: string;
}

function base64url(bytes: Buffer | string): string {
  return Buffer.from(bytes).toString('base64url');
}

/**
 * Signs a relay token (an HS256 JSON Web Token).
 *
 * @param claims - what it grants
 * @param secret - the relay's secret
 */
export function signToken(claims: TokenClaims, secret: string): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify(claims));
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/**
 * Verifies a token and its rights on a space.
 *
 * @param token - the bearer token
 * @param secret - the relay's secret
 * @param space - the space asked for
 * @param nowMs - the current time
 * @returns the claims, or why it is refused
 */
export function verifyToken(token: string | undefined, secret: string, space: string, nowMs: number): TokenClaims | TokenRefusal {
  if (token === undefined || token.length === 0) return { status: 401, reason: 'no token: send "Authorization: Bearer <token>" (or ?access_token= from a browser)' };
  const parts = token.split('.');
  if (parts.length !== 3) return { status: 401, reason: 'the token is not a JWT (three dot-separated parts)' };
  const [header, payload, signature] = parts as [string, string, string];
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  let given: Buffer;
  try {
    given = Buffer.from(signature, 'base64url');
  } catch {
    return { status: 401, reason: 'the token signature is not base64url' };
  }
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { status: 401, reason: 'the token signature is invalid: it was not issued with this relay\'s secret' };
  let head: unknown;
  let claims: unknown;
  try {
    head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { status: 401, reason: 'the token is not valid JSON' };
  }
  if (typeof head !== 'object' || head === null || (head as { alg?: unknown }).alg !== 'HS256') return { status: 401, reason: 'the token must be signed with HS256' };
  const c = claims as Partial<Record<keyof TokenClaims, unknown>>;
  if (typeof c.sub !== 'string' || !Array.isArray(c.spaces) || (c.rights !== 'read' && c.rights !== 'write') || typeof c.exp !== 'number' || !Number.isFinite(c.exp)) {
    return { status: 401, reason: 'the token lacks sub, spaces, rights or exp' };
  }
  if (!isPeerId(c.sub)) return { status: 401, reason: 'the token\'s sub is not a peer id (1–64 characters from A–Z a–z 0–9 _ -)' };
  const expiredFor = nowMs - c.exp * 1000;
  if (expiredFor >= 0) return { status: 401, reason: `the token expired ${describeDuration(expiredFor)} ago — refresh it` };
  const spaces = c.spaces.filter((s): s is string => typeof s === 'string');
  if (!spaces.includes('*') && !spaces.includes(space)) return { status: 403, reason: `the token does not grant space ${JSON.stringify(space)} (it grants ${spaces.map((s) => JSON.stringify(s)).join(', ') || 'none'})` };
  return { sub: c.sub, spaces, rights: c.rights, exp: c.exp };
}

/** Whether a verification result is a refusal. */
export function isRefusal(result: TokenClaims | TokenRefusal): result is TokenRefusal {
  return 'status' in result;
}

function describeDuration(ms: number): string {
  if (ms < 60_000) return `${Math.max(1, Math.round(ms / 1000))} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}
