import { isSyncError, systemClock } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { resolveHttpTransportOptions, type HttpFetch, type HttpTransportOptions } from './http-transport-options.js';

const fetch: HttpFetch = () => Promise.reject(new Error('not used'));

function refusal(options: unknown): string {
  try {
    resolveHttpTransportOptions(options as HttpTransportOptions);
  } catch (error) {
    expect(isSyncError(error) && error.code).toBe('E_INVALID_ARGUMENT');
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('client options', () => {
  it('fills in the defaults', () => {
    const resolved = resolveHttpTransportOptions({ url: 'http://127.0.0.1:8787/v1/spaces/team/http/', fetch });
    expect(resolved).toMatchObject({
      urls: ['http://127.0.0.1:8787/v1/spaces/team/http'],
      token: undefined,
      fetch,
      clock: systemClock,
      policy: { baseMs: 250, maxMs: 30_000 },
      pollTimeoutMs: undefined,
      requestTimeoutMs: 30_000,
      maxMessageBytes: 1024 * 1024,
    });
  });

  it('uses globalThis.fetch by default', () => {
    expect(typeof resolveHttpTransportOptions({ url: 'https://relay.example/x' }).fetch).toBe('function');
  });

  it('turns a token string into a provider', async () => {
    const resolved = resolveHttpTransportOptions({ url: 'https://relay.example', token: 'secret', fetch, reconnect: false });
    expect(await resolved.token?.()).toBe('secret');
    expect(resolved.policy).toBe(false);
  });

  it('refuses bad options with E_INVALID_ARGUMENT', () => {
    expect(refusal(undefined)).toMatch(/options object/);
    expect(refusal({ url: 'ws://host/x', fetch })).toMatch(/http:\/\/ or https:\/\//);
    expect(refusal({ url: 'not a url', fetch })).toMatch(/not a valid URL/);
    expect(refusal({ url: 'http://host/x?space=1', fetch })).toMatch(/query or a fragment/);
    expect(refusal({ url: 'http://host', fetch, token: 42 })).toMatch(/token/);
    expect(refusal({ url: 'http://host', fetch: 'nope' })).toMatch(/no fetch/);
    expect(refusal({ url: 'http://host', fetch, reconnect: { baseMs: 0 } })).toMatch(/reconnect.baseMs/);
    expect(refusal({ url: 'http://host', fetch, reconnect: { baseMs: 100, maxMs: 50 } })).toMatch(/reconnect.maxMs/);
    expect(refusal({ url: 'http://host', fetch, pollTimeoutMs: 0 })).toMatch(/pollTimeoutMs/);
    expect(refusal({ url: 'http://host', fetch, requestTimeoutMs: -1 })).toMatch(/requestTimeoutMs/);
    expect(refusal({ url: 'http://host', fetch, maxMessageBytes: 1.5 })).toMatch(/maxMessageBytes/);
  });
});
