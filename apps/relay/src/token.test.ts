import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokenVerifier, isRefusal, signToken, verifyToken, type Grant, type TokenRefusal } from './token.js';

const NOW_S = 1_800_000_000;
const now = (): number => NOW_S * 1000;
const claims = { sub: 'alice', spaces: ['team'], rights: 'write' as const };

/** A key pair of `alg` with its public JWK (kid = alg), generated here: no network, no fixtures. */
async function keyOf(alg: 'RS256' | 'ES256' | 'EdDSA') {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: alg, alg };
  return { privateKey, jwk, alg };
}

async function signed(key: Awaited<ReturnType<typeof keyOf>>, payload: Record<string, unknown>, extra: (jwt: SignJWT) => SignJWT = (jwt) => jwt): Promise<string> {
  return extra(new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.jwk.kid! })).sign(key.privateKey);
}

const refusal = (verdict: Grant | TokenRefusal): TokenRefusal => {
  if (!isRefusal(verdict)) throw new Error(`accepted: ${JSON.stringify(verdict)}`);
  return verdict;
};

describe('createTokenVerifier with a secret (HS256, the default)', () => {
  const verify = createTokenVerifier({ secret: 's3cret', now });

  it('grants what a token signed by signToken says, until its exp', async () => {
    expect(await verify(signToken({ ...claims, exp: NOW_S + 60 }, 's3cret'))).toEqual({ peer: 'alice', spaces: ['team'], rights: 'write', expiresAt: (NOW_S + 60) * 1000 });
  });

  it('refuses missing, malformed, forged, alg=none, expired, exp-less and non-peer tokens with a reason', async () => {
    const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const cases: Array<[string | undefined, RegExp]> = [
      [undefined, /no token/],
      ['', /no token/],
      ['a.b', /not a JWT/],
      ['a.b.c', /malformed/],
      ['\u00ff'.repeat(100), /not a JWT/],
      [signToken({ ...claims, exp: NOW_S + 60 }, 'not-the-secret'), /signature is invalid/],
      [`${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, exp: NOW_S + 60 })}.`, /must be signed with HS256/],
      [signToken({ ...claims, exp: NOW_S - 180 }, 's3cret'), /expired 3 min ago — refresh it/],
      [signToken({ ...claims } as never, 's3cret'), /lacks sub, spaces, rights or exp/],
      [signToken({ ...claims, sub: '../../etc', exp: NOW_S + 60 }, 's3cret'), /not a peer id/],
      [signToken({ sub: 'alice', spaces: ['team'], exp: NOW_S + 60 } as never, 's3cret'), /lacks sub, spaces, rights or exp/],
    ];
    for (const [token, reason] of cases) {
      const verdict = refusal(await verify(token));
      expect(verdict.status, String(token)).toBe(401);
      expect(verdict.reason, String(token)).toMatch(reason);
    }
  });

  it('honours nbf, and a clock leeway for both nbf and exp', async () => {
    const early = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(NOW_S + 600).setNotBefore(NOW_S + 30).sign(new TextEncoder().encode('s3cret'));
    expect(refusal(await verify(early)).reason).toMatch(/not valid yet/);
    const lenient = createTokenVerifier({ secret: 's3cret', now, clockToleranceSec: 60 });
    expect(isRefusal(await lenient(early))).toBe(false);
    const justExpired = signToken({ ...claims, exp: NOW_S - 30 }, 's3cret');
    expect(refusal(await verify(justExpired)).reason).toMatch(/expired/);
    expect(await lenient(justExpired)).toMatchObject({ peer: 'alice', expiresAt: (NOW_S + 30) * 1000 });
  });

  it('verifyToken keeps its old contract: claims, or a 403 for a space the token does not grant', async () => {
    const token = signToken({ ...claims, exp: NOW_S + 60 }, 's3cret');
    expect(await verifyToken(token, 's3cret', 'team', now())).toEqual({ ...claims, exp: NOW_S + 60 });
    expect(await verifyToken(token, 's3cret', 'elsewhere', now())).toEqual({ status: 403, reason: 'the token does not grant space "elsewhere" (it grants "team")' });
  });
});

describe('createTokenVerifier with a JWKS (an identity provider)', () => {
  it('accepts RS256, ES256 and EdDSA tokens signed by the keys of the set, and checks aud and iss', async () => {
    const keys = await Promise.all([keyOf('RS256'), keyOf('ES256'), keyOf('EdDSA')]);
    const jwks = { keys: keys.map((k) => k.jwk) };
    const verify = createTokenVerifier({ jwks, audience: 'relay', issuer: 'https://idp.example', now });
    for (const key of keys) {
      const good = await signed(key, { ...claims, sub: `peer-${key.alg}` }, (jwt) => jwt.setAudience('relay').setIssuer('https://idp.example').setExpirationTime(NOW_S + 60));
      expect(await verify(good), key.alg).toEqual({ peer: `peer-${key.alg}`, spaces: ['team'], rights: 'write', expiresAt: (NOW_S + 60) * 1000 });
      const otherAudience = await signed(key, claims, (jwt) => jwt.setAudience('someone-else').setIssuer('https://idp.example').setExpirationTime(NOW_S + 60));
      expect(refusal(await verify(otherAudience)).reason).toMatch(/not meant for this relay/);
      const otherIssuer = await signed(key, claims, (jwt) => jwt.setAudience('relay').setIssuer('https://evil.example').setExpirationTime(NOW_S + 60));
      expect(refusal(await verify(otherIssuer)).reason).toMatch(/issuer this relay does not trust/);
    }
  });

  it('refuses a key outside the set, an HS256 token when it has no secret, and accepts both kinds with both', async () => {
    const [inSet, outside] = await Promise.all([keyOf('ES256'), keyOf('ES256')]);
    const verify = createTokenVerifier({ jwks: createLocalJWKSet({ keys: [inSet.jwk] }), now });
    const forged = await signed(outside, claims, (jwt) => jwt.setExpirationTime(NOW_S + 60));
    expect(refusal(await verify(forged)).reason).toMatch(/signature is invalid/);
    const unknownKid = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'nope' }).setExpirationTime(NOW_S + 60).sign(outside.privateKey);
    expect(refusal(await verify(unknownKid)).reason).toMatch(/key this relay does not know/);
    const hs = signToken({ ...claims, exp: NOW_S + 60 }, 's3cret');
    expect(refusal(await verify(hs)).reason).toMatch(/must be signed with RS256/);
    const both = createTokenVerifier({ secret: 's3cret', jwks: { keys: [inSet.jwk] }, now });
    expect(isRefusal(await both(hs))).toBe(false);
    expect(isRefusal(await both(await signed(inSet, claims, (jwt) => jwt.setExpirationTime(NOW_S + 60))))).toBe(false);
  });

  it('never rejects, whatever the token', async () => {
    const verify = createTokenVerifier({ secret: 's3cret', jwks: { keys: [] }, now });
    const b64 = (text: string): string => Buffer.from(text).toString('base64url');
    const tokens = ['..', '...', `${b64('{')}.${b64('{}')}.x`, `${b64('{"alg":"RS256","kid":1}')}.${b64('[]')}.AAAA`, `${b64('{"alg":"HS256"}')}.${b64('null')}.${'A'.repeat(43)}`, `${b64('"x"')}.${b64('1')}.%%%`];
    for (const token of tokens) expect(refusal(await verify(token)).status, token).toBe(401);
  });
});
