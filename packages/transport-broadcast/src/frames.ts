import { isPeerId } from '@softadastra/sync-core';

/**
 * The frames tabs exchange over the channel: structured-cloned plain objects.
 *
 * @remarks
 * Every frame names its sender (`from`, and `inst`, the sender hub's random
 * instance id, so two tabs that claim one id are told apart), its addressee
 * (`to`) and the connection (`cid`, chosen by the dialer). Hubs ignore frames
 * addressed to another id. A `data` frame carries one message of the
 * `Connection` (the core's encoded bytes, as a `Uint8Array`) and its number
 * in its direction (`seq`, 1, 2, 3…). Nothing received is trusted:
 * {@link readFrame} checks every field.
 *
 * @internal
 */

/** Marks frames of this transport; anything else on the channel is ignored. */
export const FRAME_MARK = 'softadastra-broadcast';
/** The frame format version. */
export const FRAME_VERSION = 1;

/** Longest connection or instance id accepted. */
const MAX_TOKEN_LENGTH = 64;
/** Longest close reason accepted (a WebSocket close reason's bound). */
export const MAX_REASON_LENGTH = 123;
const TOKEN = /^[A-Za-z0-9_-]+$/;

interface Routing {
  readonly from: string;
  readonly inst: string;
  readonly to: string;
  readonly cid: string;
}

/** One frame, checked. */
export type Frame =
  | (Routing & { readonly kind: 'hello'; readonly toInst?: undefined })
  | (Routing & { readonly kind: 'accept' | 'refuse' | 'ping' | 'pong'; readonly toInst: string; readonly reason?: string })
  | (Routing & { readonly kind: 'data'; readonly toInst: string; readonly seq: number; readonly bytes: Uint8Array })
  | (Routing & { readonly kind: 'close'; readonly toInst: string; readonly code: number; readonly reason: string });

/** What {@link readFrame} makes of something that arrived on the channel. */
export type FrameReading =
  | { readonly ok: true; readonly frame: Frame }
  /** Not a frame of this transport (another user of the channel name): ignored silently. */
  | { readonly ok: false; readonly foreign: true }
  /** Marked as ours but malformed; `routing` when at least who and which connection could be read. */
  | { readonly ok: false; readonly foreign: false; readonly problem: string; readonly routing?: Routing };

/** The wire object of a frame (what is posted). */
export function frameObject(frame: Frame): Record<string, unknown> {
  return { mark: FRAME_MARK, v: FRAME_VERSION, ...frame };
}

/**
 * Reads what arrived on the channel, trusting nothing.
 *
 * @param data - the `data` of a channel `message` event
 * @param maxMessageBytes - larger `data` payloads are malformed
 */
export function readFrame(data: unknown, maxMessageBytes: number): FrameReading {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { ok: false, foreign: true };
  const raw = data as Record<string, unknown>;
  if (raw.mark !== FRAME_MARK) return { ok: false, foreign: true };
  const bad = (problem: string, routing?: Routing): FrameReading => (routing === undefined ? { ok: false, foreign: false, problem } : { ok: false, foreign: false, problem, routing });
  if (raw.v !== FRAME_VERSION) return bad(`frame version ${describe(raw.v)} is not ${FRAME_VERSION}`);
  const { from, to, inst, cid, kind } = raw;
  if (!isPeerId(from)) return bad(`'from' is not a peer id: ${describe(from)}`);
  if (!isPeerId(to)) return bad(`'to' is not a peer id: ${describe(to)}`);
  if (!isToken(inst)) return bad(`'inst' is not an instance id: ${describe(inst)}`);
  if (!isToken(cid)) return bad(`'cid' is not a connection id: ${describe(cid)}`);
  const routing: Routing = { from, to, inst, cid };
  if (kind === 'hello') return { ok: true, frame: { ...routing, kind } };
  const { toInst } = raw;
  if (!isToken(toInst)) return bad(`'toInst' of a ${describe(kind)} frame is not an instance id: ${describe(toInst)}`, routing);
  switch (kind) {
    case 'accept':
    case 'refuse':
    case 'ping':
    case 'pong': {
      const reason = raw.reason;
      if (reason !== undefined && !isReason(reason)) return bad(`'reason' is not a string of at most ${MAX_REASON_LENGTH} characters`, routing);
      return { ok: true, frame: reason === undefined ? { ...routing, kind, toInst } : { ...routing, kind, toInst, reason } };
    }
    case 'data': {
      const { seq, bytes } = raw;
      if (!Number.isSafeInteger(seq) || (seq as number) < 1) return bad(`'seq' of a data frame is not a positive integer: ${describe(seq)}`, routing);
      if (!isUint8Array(bytes)) return bad(`the payload of data frame ${String(seq)} is not a Uint8Array but ${describe(bytes)}`, routing);
      if (bytes.byteLength > maxMessageBytes) return bad(`data frame ${String(seq)} carries ${bytes.byteLength} bytes, over maxMessageBytes (${maxMessageBytes})`, routing);
      return { ok: true, frame: { ...routing, kind, toInst, seq: seq as number, bytes: ownBytes(bytes) } };
    }
    case 'close': {
      const { code, reason } = raw;
      if (!Number.isInteger(code) || (code as number) < 1000 || (code as number) > 4999) return bad(`'code' of a close frame is not a close code: ${describe(code)}`, routing);
      if (!isReason(reason)) return bad(`'reason' of a close frame is not a string of at most ${MAX_REASON_LENGTH} characters`, routing);
      return { ok: true, frame: { ...routing, kind, toInst, code: code as number, reason } };
    }
    default:
      return bad(`unknown frame kind ${describe(kind)}`, routing);
  }
}

function isToken(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TOKEN_LENGTH && TOKEN.test(value);
}

function isReason(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_REASON_LENGTH;
}

/** A Uint8Array of any realm (a structured clone lands in the receiver's realm, but a test may inject anything). */
function isUint8Array(value: unknown): value is Uint8Array {
  return ArrayBuffer.isView(value) && Object.prototype.toString.call(value) === '[object Uint8Array]';
}

/** A plain Uint8Array of this realm owning its whole buffer: the clone when it is one, else a copy. */
function ownBytes(bytes: Uint8Array): Uint8Array {
  const whole = bytes instanceof Uint8Array && bytes.constructor === Uint8Array && bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return whole ? bytes : new Uint8Array(bytes);
}

/** A plain Uint8Array posted as is: a view on a larger buffer would clone the whole buffer. */
export function postableBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return (value as { constructor?: { name?: string } }).constructor?.name ?? 'an object';
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value;
}
