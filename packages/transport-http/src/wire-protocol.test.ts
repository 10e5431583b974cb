import { describe, expect, it } from 'vitest';
import { maxBodyBytes, parseSessionGrant } from './wire-protocol.js';

describe('wire protocol', () => {
  it('allows request bodies of 1 MiB, or one largest message with its prefix when that is more', () => {
    expect(maxBodyBytes(1000)).toBe(1024 * 1024);
    expect(maxBodyBytes(1024 * 1024)).toBe(1024 * 1024 + 4);
    expect(maxBodyBytes(4 * 1024 * 1024)).toBe(4 * 1024 * 1024 + 4);
  });

  it('reads the answer to a session creation', () => {
    const grant = { session: 'AAAAAAAAAAAAAAAAAAAAAA', pollTimeoutMs: 25000, maxMessageBytes: 1048576 };
    expect(parseSessionGrant(JSON.stringify(grant))).toEqual(grant);
    expect(parseSessionGrant(JSON.stringify({ ...grant, extra: true }))).toEqual(grant);
  });

  it('describes what is wrong with an answer it cannot use', () => {
    const grant = { session: 'AAAAAAAAAAAAAAAAAAAAAA', pollTimeoutMs: 25000, maxMessageBytes: 1048576 };
    expect(parseSessionGrant('<html>')).toMatch(/not JSON/);
    expect(parseSessionGrant('[1]')).toMatch(/"session"/);
    expect(parseSessionGrant('null')).toMatch(/not a JSON object/);
    expect(parseSessionGrant(JSON.stringify({ ...grant, session: 'x' }))).toMatch(/"session"/);
    expect(parseSessionGrant(JSON.stringify({ ...grant, pollTimeoutMs: -1 }))).toMatch(/"pollTimeoutMs"/);
    expect(parseSessionGrant(JSON.stringify({ ...grant, maxMessageBytes: 1.5 }))).toMatch(/"maxMessageBytes"/);
    expect(parseSessionGrant(JSON.stringify({ ...grant, maxMessageBytes: 0 }))).toMatch(/"maxMessageBytes"/);
  });
});
