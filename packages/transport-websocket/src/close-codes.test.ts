import { describe, expect, it } from 'vitest';
import { authErrorOf, sendableCloseCode, truncateReason } from './close-codes.js';

describe('close codes', () => {
  it('stops reconnection for HTTP 401/403 and close codes 4401/4403 only', () => {
    expect(authErrorOf(401, 'expired', 'ws://x')?.code).toBe('E_UNAUTHORIZED');
    expect(authErrorOf(4401, 'expired', 'ws://x')?.code).toBe('E_UNAUTHORIZED');
    expect(authErrorOf(403, 'no access', 'ws://x')?.code).toBe('E_FORBIDDEN');
    expect(authErrorOf(4403, 'no access', 'ws://x')?.code).toBe('E_FORBIDDEN');
    for (const code of [1000, 1001, 1006, 1008, 1009, 1011, 4000, 404, 500]) expect(authErrorOf(code, '', 'ws://x')).toBeUndefined();
  });

  it("carries the server's reason and the peer in the error", () => {
    const error = authErrorOf(401, 'token expired 3 min ago — refresh it', 'wss://relay/sync')!;
    expect(error.message).toContain('token expired 3 min ago — refresh it');
    expect(error.peer).toBe('wss://relay/sync');
    expect(authErrorOf(403, '  ', 'ws://x')!.message).toContain('no reason given');
  });

  it('sends only codes the socket accepts: 1000 and 3000–4999 everywhere, the other valid ones with ws', () => {
    expect(sendableCloseCode(1000, false)).toBe(1000);
    expect(sendableCloseCode(4401, false)).toBe(4401);
    expect(sendableCloseCode(1001, false)).toBe(1000);
    expect(sendableCloseCode(1001, true)).toBe(1001);
    expect(sendableCloseCode(1009, true)).toBe(1009);
    for (const code of [1004, 1005, 1006, 1015, 2000, 5000, 1.5]) expect(sendableCloseCode(code, true)).toBe(1000);
  });

  it('cuts a reason to 123 UTF-8 bytes on a character boundary', () => {
    expect(truncateReason('short')).toBe('short');
    const long = 'é'.repeat(100); // 200 bytes
    const cut = truncateReason(long);
    expect(new TextEncoder().encode(cut).length).toBe(122);
    expect(cut).toBe('é'.repeat(61));
  });
});
