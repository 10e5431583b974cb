import { describe, expect, it } from 'vitest';
import { checkEndpointUrl, checkEndpointUrls, isSyncError, type EndpointUrlRules } from './index.js';

const ws: EndpointUrlRules = { schemes: ['ws', 'wss'], example: 'ws://host:port/path', query: true };
const http: EndpointUrlRules = { schemes: ['http', 'https'], example: 'http://host:port/base', base: true };

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(isSyncError(error) && error.code).toBe('E_INVALID_ARGUMENT');
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('endpoint URLs', () => {
  it('returns the URL as it will be dialled: normalised, a base without trailing slashes', () => {
    expect(checkEndpointUrl('ws://relay.test/sync', ws)).toBe('ws://relay.test/sync');
    expect(checkEndpointUrl('ws://relay.test/sync?space=a', ws)).toBe('ws://relay.test/sync?space=a');
    expect(checkEndpointUrl(' wss://Relay.Test:443/a b', ws)).toBe('wss://relay.test/a%20b');
    expect(checkEndpointUrl('http://127.0.0.1:8787/v1/spaces/team/http//', http)).toBe('http://127.0.0.1:8787/v1/spaces/team/http');
    expect(checkEndpointUrl('https://relay.example', http)).toBe('https://relay.example');
  });

  it('refuses what would make every attempt fail: other schemes, credentials, fragments, queries on a base', () => {
    expect(refusal(() => checkEndpointUrl(42, ws))).toMatch(/ws:\/\/ or wss:\/\/ URL, got number/);
    expect(refusal(() => checkEndpointUrl('not a url', ws))).toMatch(/not a valid URL: use ws:\/\/host:port\/path/);
    expect(refusal(() => checkEndpointUrl('http://host/x', ws))).toMatch(/must start with ws:\/\/ or wss:\/\//);
    expect(refusal(() => checkEndpointUrl('ws://host/x#frag', ws))).toMatch(/fragment/);
    expect(refusal(() => checkEndpointUrl('ws://host/x#', ws))).toMatch(/fragment/);
    expect(refusal(() => checkEndpointUrl('wss://user:pw@host/x', ws))).toMatch(/credentials/);
    expect(refusal(() => checkEndpointUrl('http://host/x?space=1', http))).toMatch(/query or a fragment/);
    // An empty query or fragment parses to '' but would still cut the paths the client appends.
    expect(refusal(() => checkEndpointUrl('http://host/x?', http))).toMatch(/query or a fragment/);
    expect(refusal(() => checkEndpointUrl('http://host/x#', http))).toMatch(/fragment/);
    expect(refusal(() => checkEndpointUrl('http://u@host/x', http))).toMatch(/credentials/);
  });

  it('takes a list, naming the bad entry, and refuses an empty one', () => {
    expect(checkEndpointUrls('ws://a/', ws)).toEqual(['ws://a/']);
    expect(checkEndpointUrls(['ws://a/', 'wss://b/'], ws)).toEqual(['ws://a/', 'wss://b/']);
    expect(refusal(() => checkEndpointUrls([], ws))).toMatch(/at least one/);
    expect(refusal(() => checkEndpointUrls(['ws://a/', 'http://b/'], ws))).toMatch(/^url\[1\] /);
  });
});
