import { createHmac } from 'node:crypto';
import { isPeerId } from '@softadastra/sync-core';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';

/** What a relay token grants (the claims of a JWT the relay accepts). */
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

/**
 * What the relay grants a client, whoever decided it: a verified token, or a
 * `createRelay({ authenticate })` hook.
 */
export interface Grant {
  /** The peer id the client must use (its `hello.peer`, the origin of its writes). */
  readonly peer: string;
  /** The spaces it may open; `'*'` for all. */
  readonly spaces: readonly string[];
  /** `'write'` (read and write) or `'read'` (read only). */
  readonly rights: 'read' | 'write';
  /** When the grant ends, in ms since the Unix epoch: the relay closes the connection then (4001). `undefined`: never. */
  readonly expiresAt?: number;
}

/** Why a token was refused, as an HTTP status and a reason to show the client. */
export interface TokenRefusal {
  readonly status: 401 | 403;
  readonly reason: string;
}

/** The asymmetric algorithms accepted from a JWKS unless `algorithms` says otherwise. */
export const JWKS_ALGORITHMS: readonly string[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** Options of {@link createTokenVerifier}: where the keys come from and which claims must match. */
export interface TokenVerifierOptions {
  /** The shared secret of HS256 tokens (what {@link signToken} signs with). */
  readonly secret?: string;
  /**
   * The identity provider's public keys, for RS/PS/ES/EdDSA tokens: its JWKS
   * URL (fetched and cached by `jose`, re-fetched for an unknown `kid`), a
   * JWKS object, or a key resolver such as `jose`'s `createLocalJWKSet`.
   */
  readonly jwks?: string | URL | JSONWebKeySet | JWTVerifyGetKey;
  /** The `aud` a token must carry (one of them, if several). @default not checked */
  readonly audience?: string | readonly string[];
  /** The `iss` a token must carry (one of them, if several). @default not checked */
  readonly issuer?: string | readonly string[];
  /** Leeway for `exp` and `nbf`, in seconds, for clocks that disagree. @default 0 */
  readonly clockToleranceSec?: number;
  /** The accepted `alg`s. @default `['HS256']` with a secret, {@link JWKS_ALGORITHMS} with a JWKS (both, with both) */
  readonly algorithms?: readonly string[];
  /** The current time, in ms. @default Date.now */
  readonly now?: () => number;
}

/** Verifies a bearer token: resolves to what it grants, or why it is refused — never rejects. */
export type TokenVerifier = (token: string | undefined) => Promise<Grant | TokenRefusal>;

/**
 * Signs a relay token (an HS256 JSON Web Token) — the simple default: a relay
 * started with the same `secret` accepts it.
 *
 * @param claims - what it grants
 * @param secret - the relay's secret
 */
export function signToken(claims: TokenClaims, secret: string): string {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/**
 * Makes a token verifier from a secret (HS256), a JWKS (RS/PS/ES/EdDSA), or
 * both, checked with `jose`: signature, `alg` (never `none`), `exp` (required),
 * `nbf`, `aud` and `iss` when asked, with a clock leeway.
 *
 * @remarks
 * A token must carry `sub` (a peer id), `spaces` (an array of space names or
 * `'*'`) and `rights` (`'read'` or `'write'`). Every failure is a
 * {@link TokenRefusal} (401) whose reason says what to fix; the verifier
 * never throws, whatever the token.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const { secret, jwks } = options;
  if (secret === undefined && jwks === undefined) throw new TypeError('createTokenVerifier needs a secret or a jwks');
  const secretKey = secret === undefined ? undefined : new TextEncoder().encode(secret);
  const keySet: JWTVerifyGetKey | undefined =
    jwks === undefined ? undefined : typeof jwks === 'function' ? jwks : typeof jwks === 'string' || jwks instanceof URL ? createRemoteJWKSet(new URL(jwks)) : createLocalJWKSet(jwks);
  const algorithms = [...(options.algorithms ?? [...(secretKey ? ['HS256'] : []), ...(keySet ? JWKS_ALGORITHMS : [])])];
  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (header.alg === 'HS256' && secretKey !== undefined) return secretKey;
    if (keySet === undefined) throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
    return keySet(header, token);
  };
  const now = options.now ?? Date.now;
  const tolerance = options.clockToleranceSec ?? 0;
  const issuer = options.issuer === undefined ? undefined : typeof options.issuer === 'string' ? options.issuer : [...options.issuer];
  const audience = options.audience === undefined ? undefined : typeof options.audience === 'string' ? options.audience : [...options.audience];
  return async (token) => {
    if (token === undefined || token.length === 0) return { status: 401, reason: 'no token: send "Authorization: Bearer <token>" (or ?access_token= from a browser)' };
    if (token.split('.').length !== 3) return { status: 401, reason: 'the token is not a JWT (three dot-separated parts)' };
    const nowMs = now();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        algorithms,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: tolerance,
        currentDate: new Date(nowMs),
        ...(issuer !== undefined ? { issuer } : {}),
        ...(audience !== undefined ? { audience } : {}),
      }));
    } catch (error) {
      return { status: 401, reason: describeFailure(error, nowMs, algorithms) };
    }
    const c = payload as Partial<Record<keyof TokenClaims, unknown>>;
    if (typeof c.sub !== 'string' || !Array.isArray(c.spaces) || (c.rights !== 'read' && c.rights !== 'write') || typeof c.exp !== 'number' || !Number.isFinite(c.exp)) {
      return { status: 401, reason: 'the token lacks sub, spaces, rights or exp' };
    }
    if (!isPeerId(c.sub)) return { status: 401, reason: 'the token\'s sub is not a peer id (1–64 characters from A–Z a–z 0–9 _ -)' };
    return { peer: c.sub, spaces: c.spaces.filter((s): s is string => typeof s === 'string'), rights: c.rights, expiresAt: (c.exp + tolerance) * 1000 };
  };
}

/**
 * Whether a grant lets its holder open `space`: a 403 saying what it grants if not.
 *
 * @param grant - what the token or the hook granted
 * @param space - the space asked for
 */
export function checkSpace(grant: Grant, space: string): TokenRefusal | undefined {
  if (grant.spaces.includes('*') || grant.spaces.includes(space)) return undefined;
  return { status: 403, reason: `the token does not grant space ${JSON.stringify(space)} (it grants ${grant.spaces.map((s) => JSON.stringify(s)).join(', ') || 'none'})` };
}

/**
 * Verifies an HS256 token and its rights on a space (the relay's default check).
 *
 * @param token - the bearer token
 * @param secret - the relay's secret
 * @param space - the space asked for
 * @param nowMs - the current time
 * @returns the claims, or why it is refused
 */
export async function verifyToken(token: string | undefined, secret: string, space: string, nowMs: number): Promise<TokenClaims | TokenRefusal> {
  const verdict = await createTokenVerifier({ secret, now: () => nowMs })(token);
  if (isRefusal(verdict)) return verdict;
  const refused = checkSpace(verdict, space);
  if (refused !== undefined) return refused;
  return { sub: verdict.peer, spaces: verdict.spaces, rights: verdict.rights, exp: (verdict.expiresAt ?? 0) / 1000 };
}

/** Whether a verification result is a refusal. */
export function isRefusal<T extends object>(result: T | TokenRefusal): result is TokenRefusal {
  return 'status' in result;
}

/** Why `jose` refused a token, in words that say what to do. */
function describeFailure(error: unknown, nowMs: number, algorithms: readonly string[]): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ERR_JWT_EXPIRED': {
      const exp = (error as errors.JWTExpired).payload.exp;
      return typeof exp === 'number' ? `the token expired ${describeDuration(nowMs - exp * 1000)} ago — refresh it` : 'the token expired — refresh it';
    }
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const { claim, reason } = error as errors.JWTClaimValidationFailed;
      if (reason === 'missing' && (claim === 'exp' || claim === 'sub')) return 'the token lacks sub, spaces, rights or exp';
      if (claim === 'nbf') return 'the token is not valid yet (nbf is in the future): check the clocks, or wait';
      if (claim === 'aud') return 'the token is not meant for this relay (its aud does not match)';
      if (claim === 'iss') return 'the token was issued by an issuer this relay does not trust (its iss does not match)';
      return `the token's ${claim} claim is invalid`;
    }
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return `the token must be signed with ${algorithms.join(', ')}`;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the token signature is invalid: it was not issued with this relay\'s secret or keys';
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'the token was signed with a key this relay does not know (no matching kid in its JWKS)';
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return 'the relay could not get its identity provider\'s keys: retry later';
    case 'ERR_JWT_INVALID':
    case 'ERR_JWS_INVALID':
      return 'the token is malformed (not a signed JWT of JSON)';
    default:
      return 'the token could not be verified';
  }
}

function describeDuration(ms: number): string {
  if (ms < 60_000) return `${Math.max(1, Math.round(ms / 1000))} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}
