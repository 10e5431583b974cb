import { isSyncError } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { decodeFrames, encodeFrames, framedLength } from './message-framing.js';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isSyncError(error) ? error.code : 'not a SyncError';
  }
  return undefined;
}

describe('message framing', () => {
  it('puts each message after its length as a u32 little-endian', () => {
    const body = encodeFrames([new Uint8Array([7, 8, 9]), new Uint8Array([]), new Uint8Array([1])]);
    expect([...body]).toEqual([3, 0, 0, 0, 7, 8, 9, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(framedLength(3)).toBe(7);
  });

  it('gives the messages back in order, empty ones included, as private copies', () => {
    const messages = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(300).fill(5)];
    const body = encodeFrames(messages);
    const decoded = decodeFrames(body);
    expect(decoded).toEqual(messages);
    body.fill(0xee);
    expect(decoded[0]).toEqual(new Uint8Array([1, 2, 3]));
    expect(decoded.every((message) => message.constructor === Uint8Array)).toBe(true);
  });

  it('reads a body that is a view into a larger buffer', () => {
    const body = encodeFrames([new Uint8Array([4, 5])]);
    const padded = new Uint8Array(body.length + 10);
    padded.set(body, 5);
    expect(decodeFrames(padded.subarray(5, 5 + body.length))).toEqual([new Uint8Array([4, 5])]);
  });

  it('gives nothing for an empty body', () => {
    expect(encodeFrames([])).toHaveLength(0);
    expect(decodeFrames(new Uint8Array(0))).toEqual([]);
  });

  it('refuses a body that ends inside a length prefix or inside a message, with E_DECODE', () => {
    expect(codeOf(() => decodeFrames(new Uint8Array([1, 0])))).toBe('E_DECODE');
    expect(codeOf(() => decodeFrames(new Uint8Array([5, 0, 0, 0, 1, 2])))).toBe('E_DECODE');
    const good = encodeFrames([new Uint8Array([1])]);
    expect(codeOf(() => decodeFrames(new Uint8Array([...good, 9])))).toBe('E_DECODE');
  });

  it('refuses a message over the limit with E_TOO_LARGE, naming it, and accepts one at the limit', () => {
    const body = encodeFrames([new Uint8Array(10), new Uint8Array(11)]);
    expect(decodeFrames(body, 11)).toHaveLength(2);
    let message = '';
    try {
      decodeFrames(body, 10);
    } catch (error) {
      expect(isSyncError(error) && error.code).toBe('E_TOO_LARGE');
      message = (error as Error).message;
    }
    expect(message).toMatch(/message 2 of this body has 11 bytes, over maxMessageBytes \(10\)/);
  });

  it('checks a huge stated length against the limit before the body length', () => {
    expect(codeOf(() => decodeFrames(new Uint8Array([0xff, 0xff, 0xff, 0xff]), 1024))).toBe('E_TOO_LARGE');
    expect(codeOf(() => decodeFrames(new Uint8Array([0xff, 0xff, 0xff, 0xff])))).toBe('E_DECODE');
  });
});
