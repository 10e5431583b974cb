import { SyncError } from '@softadastra/sync-core';

/** Bytes of the length prefix in front of each message. @internal */
export const FRAME_HEADER_BYTES = 4;

/** The largest length a prefix can state (u32). @internal */
const MAX_FRAME_LENGTH = 0xffff_ffff;

/**
 * The bytes `message` takes in a request or response body: its 4-byte length
 * prefix and its bytes.
 *
 * @param length - the message's length in bytes
 * @internal
 */
export function framedLength(length: number): number {
  return FRAME_HEADER_BYTES + length;
}

/**
 * Frames messages into one body: for each, its length as a u32
 * little-endian, then its bytes (see "Wire protocol" in the README).
 *
 * @remarks
 * Little-endian, like every integer of the protocol's codec
 * (docs/protocol.md). An empty list gives an empty body.
 *
 * @param messages - the messages, in order
 * @internal
 */
export function encodeFrames(messages: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let total = 0;
  for (const message of messages) total += framedLength(message.length);
  const body = new Uint8Array(total);
  const view = new DataView(body.buffer);
  let at = 0;
  for (const message of messages) {
    if (message.length > MAX_FRAME_LENGTH) throw new SyncError('E_TOO_LARGE', `a message of ${message.length} bytes cannot be framed (at most ${MAX_FRAME_LENGTH})`);
    view.setUint32(at, message.length, true);
    body.set(message, at + FRAME_HEADER_BYTES);
    at += framedLength(message.length);
  }
  return body;
}

/**
 * Splits a body made by {@link encodeFrames} back into messages, each a
 * private copy.
 *
 * @param body - the whole body
 * @param maxMessageBytes - refuse a message longer than this
 * @throws SyncError `E_TOO_LARGE` for a message over `maxMessageBytes` (no
 * message is returned then); `E_DECODE` when the body ends inside a frame
 * @internal
 */
export function decodeFrames(body: Uint8Array, maxMessageBytes = Number.POSITIVE_INFINITY): Uint8Array[] {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  // Check every length before copying anything: a refused body delivers nothing.
  const bounds: Array<readonly [number, number]> = [];
  let at = 0;
  while (at < body.length) {
    if (body.length - at < FRAME_HEADER_BYTES) {
      throw new SyncError('E_DECODE', `the body ends inside a length prefix at byte ${at} of ${body.length}: each message must be a u32 little-endian length, then that many bytes`);
    }
    const length = view.getUint32(at, true);
    if (length > maxMessageBytes) {
      throw new SyncError('E_TOO_LARGE', `message ${bounds.length + 1} of this body has ${length} bytes, over maxMessageBytes (${maxMessageBytes}): split it into smaller messages`);
    }
    const start = at + FRAME_HEADER_BYTES;
    if (body.length - start < length) {
      throw new SyncError('E_DECODE', `message ${bounds.length + 1} of this body claims ${length} bytes but only ${body.length - start} follow`);
    }
    bounds.push([start, start + length]);
    at = start + length;
  }
  return bounds.map(([start, end]) => body.slice(start, end));
}
