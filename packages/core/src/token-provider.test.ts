import { describe, expect, it } from 'vitest';
import { bearerHeaders, isSyncError, readToken, toTokenProvider } from './index.js';

describe('token provider', () => {
  it('turns a string or a function into a provider, and nothing into none', async () => {
    expect(await toTokenProvider('secret')?.()).toBe('secret');
    expect(await toTokenProvider(() => Promise.resolve('fresh'))?.()).toBe('fresh');
    expect(toTokenProvider(undefined)).toBeUndefined();
  });

  it('refuses anything else with E_INVALID_ARGUMENT', () => {
    let caught: unknown;
    try {
      toTokenProvider(42);
    } catch (error) {
      caught = error;
    }
    expect(isSyncError(caught) && caught.code).toBe('E_INVALID_ARGUMENT');
  });

  it('reads a token without ever rejecting: a throw, a rejection or a non-string is a failed reading', async () => {
    expect(await readToken(undefined)).toEqual({ ok: true, token: undefined });
    expect(await readToken(() => 'a')).toEqual({ ok: true, token: 'a' });
    expect(await readToken(() => Promise.resolve(''))).toEqual({ ok: true, token: '' });
    expect(await readToken(() => Promise.reject(new Error('down')))).toMatchObject({ ok: false, reason: 'down' });
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a provider may reject with anything
    expect(await readToken(() => Promise.reject('boom'))).toMatchObject({ ok: false, reason: 'boom' });
    expect(await readToken(() => null as unknown as string)).toMatchObject({ ok: false, reason: 'it returned null instead of a string' });
  });

  it('builds the bearer header, and none for no token or an empty one', () => {
    expect(bearerHeaders('abc')).toEqual({ Authorization: 'Bearer abc' });
    expect(bearerHeaders('')).toEqual({});
    expect(bearerHeaders(undefined)).toEqual({});
  });
});
