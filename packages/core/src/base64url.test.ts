import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeBase64Url } from './base64url.js';
import { generatePeerId, isPeerId } from './index.js';

describe('base64url', () => {
  it("writes what Node's Buffer writes, for any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(encodeBase64Url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
      }),
      { numRuns: 1000 },
    );
  });

  it('makes the same peer ids as before it was shared (22 characters, unpadded)', () => {
    const filled = (fill: number) => (bytes: Uint8Array) => bytes.forEach((_, i) => (bytes[i] = (fill + i * 37) & 255));
    // Made by the bit-by-bit encoder peer-id.ts had before.
    expect([0, 255, 7].map((fill) => generatePeerId(filled(fill)))).toEqual(['ACVKb5S53gMoTXKXvOEGKw', '_yRJbpO43QInTHGWu-AFKg', 'ByxRdpvA5QovVHmew-gNMg']);
    const id = generatePeerId();
    expect(id).toHaveLength(22);
    expect(isPeerId(id)).toBe(true);
  });
});
