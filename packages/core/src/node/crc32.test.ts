import * as zlib from 'node:zlib';
import { crc32 as portableCrc32 } from '../crc32.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32 } from './index.js';

describe("the WAL's CRC-32 (Node's zlib when present)", () => {
  it('runs on zlib on this Node (engines: >=20.19)', () => {
    expect(typeof (zlib as { crc32?: unknown }).crc32).toBe('function');
  });

  it("agrees with core's CRC-32 on any bytes, range and chained start", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 0xffffffff }), (bytes, a, b, previous) => {
        const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
        const end = start + (bytes.length - start === 0 ? 0 : b % (bytes.length - start + 1));
        expect(crc32(bytes, start, end, previous)).toBe(portableCrc32(bytes, start, end, previous));
        expect(crc32(bytes)).toBe(portableCrc32(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('checksums in pieces as in one go', () => {
    const bytes = new TextEncoder().encode('123456789');
    expect(crc32(bytes)).toBe(0xcbf43926); // the CRC-32 check value
    expect(crc32(bytes, 4, 9, crc32(bytes, 0, 4))).toBe(0xcbf43926);
  });
});
