import { describe, expect, it } from 'vitest';
import { createManualClock, resolveClientOptions, systemClock, type EndpointUrlRules } from './index.js';

const rules: EndpointUrlRules = { schemes: ['ws', 'wss'], example: 'ws://host/path' };

describe('client options', () => {
  it('fills in the defaults every client shares', async () => {
    const resolved = resolveClientOptions({ url: 'ws://relay.test/sync' }, rules);
    expect(resolved).toEqual({ urls: ['ws://relay.test/sync'], token: undefined, clock: systemClock, policy: { baseMs: 250, maxMs: 30_000 } });
    const clock = createManualClock();
    const given = resolveClientOptions({ url: ['ws://a/', 'ws://b/'], token: 'secret', clock, reconnect: false }, rules);
    expect(given.urls).toEqual(['ws://a/', 'ws://b/']);
    expect(await given.token?.()).toBe('secret');
    expect(given.clock).toBe(clock);
    expect(given.policy).toBe(false);
  });

  it('refuses a bad URL, token or reconnect option', () => {
    expect(() => resolveClientOptions({ url: 'http://x' }, rules)).toThrow(/must start with ws:\/\//);
    expect(() => resolveClientOptions({ url: 'ws://x', token: 42 as unknown as string }, rules)).toThrow(/token must be a string/);
    expect(() => resolveClientOptions({ url: 'ws://x', reconnect: { baseMs: -1 } }, rules)).toThrow(/reconnect.baseMs/);
  });
});
