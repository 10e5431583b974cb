import { createManualClock } from '@softadastra/sync-core';
import { describe as group, expect, it } from 'vitest';
import { describe, exchange } from './http-exchange.js';
import type { HttpFetch, HttpFetchInit } from './http-transport-options.js';

const clock = createManualClock();

function request(fetch: HttpFetch, overrides: { token?: string; body?: Uint8Array<ArrayBuffer>; requests?: Set<AbortController> } = {}) {
  return exchange({ fetch, clock, url: 'http://host/x', method: 'POST', token: overrides.token, body: overrides.body, timeoutMs: 1_000, requests: overrides.requests ?? new Set() });
}

group('exchange', () => {
  it('sends the token and the content type, and reads the whole answer', async () => {
    let seen: HttpFetchInit | undefined;
    const answer = await request(
      (_url, init) => {
        seen = init;
        return Promise.resolve(new Response(new Uint8Array([1, 2]), { status: 200 }));
      },
      { token: 't0k', body: new Uint8Array([9]) },
    );
    expect(seen?.headers).toEqual({ Authorization: 'Bearer t0k', 'Content-Type': 'application/octet-stream' });
    expect(answer).toEqual({ ok: true, status: 200, body: new Uint8Array([1, 2]), reason: '' });
  });

  it('sends no Authorization header for an empty token, and no body when there is none', async () => {
    let seen: HttpFetchInit | undefined;
    await request((_url, init) => {
      seen = init;
      return Promise.resolve(new Response(null, { status: 204 }));
    }, { token: '' });
    expect(seen?.headers).toEqual({});
    expect(seen !== undefined && 'body' in seen).toBe(false);
  });

  it('takes the reason of an error from the body, else the Softadastra-Reason header, else the status', async () => {
    const withBody = await request(() => Promise.resolve(new Response('  token expired \n', { status: 401 })));
    expect(withBody).toMatchObject({ ok: true, status: 401, reason: 'token expired' });
    const withHeader = await request(() => Promise.resolve(new Response(null, { status: 503, headers: { 'Softadastra-Reason': 'going away' } })));
    expect(withHeader).toMatchObject({ reason: 'going away' });
    const bare = await request(() => Promise.resolve(new Response(null, { status: 502 })));
    expect(bare).toMatchObject({ reason: 'HTTP 502' });
  });

  it('never rejects: a failed fetch gives its reason, with the cause fetch hides it in', async () => {
    const failure = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') });
    const answer = await request(() => Promise.reject(failure));
    expect(answer).toEqual({ ok: false, detail: 'fetch failed (connect ECONNREFUSED 127.0.0.1:9)', cause: failure });
    expect(await request(() => {
      throw new Error('sync throw');
    })).toMatchObject({ ok: false, detail: 'sync throw' });
    expect(describe('plain')).toBe('plain');
  });

  it('aborts after timeoutMs on the clock, and while in flight is in `requests` (aborting it aborts the request)', async () => {
    const requests = new Set<AbortController>();
    const hanging: HttpFetch = (_url, init) =>
      new Promise((_resolve, reject) => init.signal.addEventListener('abort', () => reject(new Error('aborted'))));
    const timedOut = request(hanging, { requests });
    await Promise.resolve();
    expect(requests.size).toBe(1);
    clock.advance(1_000);
    expect(await timedOut).toMatchObject({ ok: false, detail: 'no answer within 1000 ms' });
    expect(requests.size).toBe(0);
    const cancelled = request(hanging, { requests });
    for (const controller of requests) controller.abort();
    expect(await cancelled).toMatchObject({ ok: false, detail: 'aborted' });
    expect(clock.pending()).toBe(0);
  });
});
