import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRoute } from './routes.js';

describe('parseRoute', () => {
  it('routes a space to its WebSocket and HTTP endpoints, decoding the name', () => {
    expect(parseRoute('/v1/spaces/team')).toEqual({ ok: true, kind: 'ws', space: 'team', segment: 'team' });
    expect(parseRoute('/v1/spaces/team?access_token=x')).toMatchObject({ ok: true, kind: 'ws', space: 'team' });
    expect(parseRoute('/v1/spaces/te%61m/http/sessions')).toMatchObject({ ok: true, kind: 'http', space: 'team', segment: 'te%61m' });
    expect(parseRoute('http://relay.example/v1/spaces/team')).toMatchObject({ ok: true, kind: 'ws', space: 'team' });
  });

  it('answers malformed percent-encoding with 400, never a throw', () => {
    for (const url of ['/v1/spaces/%ff', '/v1/spaces/a%', '/v1/spaces/a%zz', '/v1/spaces/%C0%AE%C0%AE', '/v1/spaces/%ff/http/sessions', '/v1/spaces/%E0%A4%A']) {
      expect(parseRoute(url), url).toMatchObject({ ok: false, status: 400 });
    }
    expect(parseRoute('/v1/spaces/%ff/http/sessions')).toMatchObject({ kind: 'http' });
  });

  it('refuses names that are not space names (400), other routes (404), and long targets (414)', () => {
    expect(parseRoute('/v1/spaces/..')).toMatchObject({ ok: false, status: 400 });
    expect(parseRoute('/v1/spaces/%2e%2e')).toMatchObject({ ok: false, status: 400 });
    expect(parseRoute('/v1/spaces/a%2Fb')).toMatchObject({ ok: false, status: 400 });
    expect(parseRoute('/v1/spaces/')).toMatchObject({ ok: false, status: 400 });
    expect(parseRoute('/v1/spaces/team/other')).toMatchObject({ ok: false, status: 404 });
    expect(parseRoute('/elsewhere')).toMatchObject({ ok: false, status: 404 });
    expect(parseRoute('*')).toMatchObject({ ok: false, status: 400 });
    expect(parseRoute(`/v1/spaces/${'a'.repeat(5000)}`)).toMatchObject({ ok: false, status: 414 });
    expect(parseRoute(undefined)).toMatchObject({ ok: false, status: 400 });
  });

  it('is total: any string gives a result, and an accepted space is always a valid name', () => {
    const segment = fc.oneof(fc.string(), fc.stringMatching(/^(%[0-9A-Fa-f]{0,2}|[a-z.%_-])*$/));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), segment.map((s) => `/v1/spaces/${s}`), segment.map((s) => `/v1/spaces/${s}/http/sessions`)), (url) => {
        const route = parseRoute(url);
        if (route.ok) expect(route.space).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/);
        else expect([400, 404, 414]).toContain(route.status);
      }),
      { numRuns: 5000 },
    );
  });
});
