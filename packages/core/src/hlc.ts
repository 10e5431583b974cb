import { SyncError } from './errors.js';
import { type PeerId, assertPeerId, isPeerId } from './peer-id.js';

/**
 * A hybrid logical clock timestamp: wall-clock milliseconds, a counter for
 * events within the same millisecond, and the peer that made it.
 *
 * @remarks
 * `(wall, counter, peer)` is a total order ({@link compareHlc}): no two
 * timestamps of different peers are equal, so last-writer-wins picks the same
 * winner on every peer, whatever the receiving peer's own id.
 */
export interface Hlc {
  /** Milliseconds since the Unix epoch, an integer in `[0, MAX_HLC_WALL]`. */
  readonly wall: number;
  /** Events within the same `wall` millisecond, an integer in `[0, MAX_HLC_COUNTER]`. */
  readonly counter: number;
  /** The peer that issued the timestamp. */
  readonly peer: PeerId;
}

/** Largest `wall` value: 2^48 − 1 ms, about the year 10889. */
export const MAX_HLC_WALL = 2 ** 48 - 1;
/** Largest `counter` value; one more event moves the clock to the next millisecond. */
export const MAX_HLC_COUNTER = 0xffff;

/**
 * Total order on timestamps: by `wall`, then `counter`, then `peer` (by UTF-16
 * code units, which for peer ids is byte order).
 *
 * @returns a negative number, zero or a positive number
 */
export function compareHlc(a: Hlc, b: Hlc): number {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  if (a.peer === b.peer) return 0;
  return a.peer < b.peer ? -1 : 1;
}

/** Whether `value` is a structurally valid {@link Hlc}. */
export function isHlc(value: unknown): value is Hlc {
  if (typeof value !== 'object' || value === null) return false;
  const h = value as Record<string, unknown>;
  return isHlcWall(h['wall']) && isHlcCounter(h['counter']) && isPeerId(h['peer']);
}

/** @internal */
export function isHlcWall(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_HLC_WALL;
}

/** @internal */
export function isHlcCounter(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_HLC_COUNTER;
}

/**
 * Sortable text form: `wall` as 12 hex digits, `counter` as 4, then the peer,
 * separated by `-`. Comparing two encodings as strings gives the same answer
 * as {@link compareHlc}.
 *
 * @example `0193a1b2c3d4-0000-relay`
 */
export function encodeHlcText(hlc: Hlc): string {
  return `${hlc.wall.toString(16).padStart(12, '0')}-${hlc.counter.toString(16).padStart(4, '0')}-${hlc.peer}`;
}

const HLC_TEXT = /^([0-9a-f]{12})-([0-9a-f]{4})-([A-Za-z0-9_-]{1,64})$/;

/**
 * Parses the text form of {@link encodeHlcText}.
 *
 * @throws SyncError `E_INVALID_HLC` when `text` is not such an encoding
 */
export function decodeHlcText(text: string): Hlc {
  const match = HLC_TEXT.exec(text);
  if (!match) throw new SyncError('E_INVALID_HLC', `not an encoded HLC timestamp: ${JSON.stringify(text.slice(0, 100))}`);
  const wall = Number.parseInt(match[1]!, 16);
  if (wall > MAX_HLC_WALL) throw new SyncError('E_INVALID_HLC', `HLC wall ${wall} is beyond the year 10889`);
  return { wall, counter: Number.parseInt(match[2]!, 16), peer: match[3]! };
}

/**
 * Sortable binary form: 6 bytes of `wall` and 2 of `counter`, big-endian,
 * then the peer id's ASCII bytes. Byte-wise comparison matches {@link compareHlc}.
 */
export function encodeHlcBinary(hlc: Hlc): Uint8Array {
  const out = new Uint8Array(8 + hlc.peer.length);
  const high = Math.floor(hlc.wall / 2 ** 32);
  const low = hlc.wall >>> 0;
  out[0] = high >>> 8;
  out[1] = high & 0xff;
  out[2] = low >>> 24;
  out[3] = (low >>> 16) & 0xff;
  out[4] = (low >>> 8) & 0xff;
  out[5] = low & 0xff;
  out[6] = hlc.counter >>> 8;
  out[7] = hlc.counter & 0xff;
  for (let i = 0; i < hlc.peer.length; i++) out[8 + i] = hlc.peer.charCodeAt(i);
  return out;
}

/**
 * Parses the binary form of {@link encodeHlcBinary}.
 *
 * @throws SyncError `E_INVALID_HLC` when `bytes` is not such an encoding
 */
export function decodeHlcBinary(bytes: Uint8Array): Hlc {
  if (bytes.length < 9 || bytes.length > 8 + 64) {
    throw new SyncError('E_INVALID_HLC', `a binary HLC timestamp has 9 to 72 bytes, got ${bytes.length}`);
  }
  const wall = (bytes[0]! * 256 + bytes[1]!) * 2 ** 32 + ((bytes[2]! << 24) >>> 0) + (bytes[3]! << 16) + (bytes[4]! << 8) + bytes[5]!;
  const counter = (bytes[6]! << 8) | bytes[7]!;
  const peer = String.fromCharCode(...bytes.subarray(8));
  if (!isPeerId(peer)) throw new SyncError('E_INVALID_HLC', 'the peer id inside a binary HLC timestamp is malformed');
  return { wall, counter, peer };
}

/** What {@link HybridClock.receive} reports when a remote stamp is too far ahead. */
export interface HlcDriftEvent {
  /** The remote timestamp that was ahead. */
  readonly remote: Hlc;
  /** The local physical clock reading at the time. */
  readonly physical: number;
  /** How far ahead the remote stamp was, in milliseconds. */
  readonly driftMs: number;
  /** The configured limit that was exceeded. */
  readonly maxDriftMs: number;
}

/** Options of {@link createHlc}. */
export interface HlcOptions {
  /** The peer whose events this clock stamps. */
  readonly peerId: PeerId;
  /**
   * The physical clock in milliseconds since the epoch.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * How far ahead of the local physical clock a remote stamp may pull this
   * clock, in milliseconds. A stamp further ahead still counts (the operation
   * that carries it is never rejected for it), but the clock only moves up to
   * the limit and {@link HlcOptions.onDrift} is told.
   * @default 60000
   */
  readonly maxDriftMs?: number;
  /** Told when a remote stamp is further ahead than `maxDriftMs`. */
  readonly onDrift?: (event: HlcDriftEvent) => void;
  /** A timestamp already issued or seen (e.g. the highest one in the WAL); the clock starts above it. */
  readonly last?: Hlc;
}

/** A hybrid logical clock; see {@link createHlc}. */
export interface HybridClock {
  /** The peer whose events this clock stamps. */
  readonly peerId: PeerId;
  /** A new timestamp for a local event, strictly greater than every one before. */
  now(): Hlc;
  /**
   * Moves the clock past a timestamp seen in a remote operation (within the
   * drift limit) and returns the clock's new value.
   */
  receive(remote: Hlc): Hlc;
  /** The latest timestamp issued or received, without advancing the clock. */
  peek(): Hlc;
}

/**
 * Makes a hybrid logical clock.
 *
 * @remarks
 * Timestamps are strictly increasing even when the physical clock jumps back
 * (the clock holds its last `wall` and counts up) and when the counter
 * overflows (the clock borrows the next millisecond). Remote timestamps pull
 * the clock forward so that a write made after seeing another one sorts
 * after it — up to `maxDriftMs`, so that one peer with a broken clock cannot
 * drag everybody into the future.
 *
 * @param options - see {@link HlcOptions}
 */
export function createHlc(options: HlcOptions): HybridClock {
  assertPeerId(options.peerId);
  const peerId = options.peerId;
  const physicalNow = options.now ?? Date.now;
  const maxDriftMs = options.maxDriftMs ?? 60_000;
  if (!(maxDriftMs >= 0)) throw new SyncError('E_INVALID_ARGUMENT', `maxDriftMs must be >= 0, got ${maxDriftMs}`);
  let wall = 0;
  let counter = 0;
  if (options.last) {
    if (!isHlc(options.last)) throw new SyncError('E_INVALID_HLC', 'createHlc: `last` is not a valid HLC timestamp');
    wall = options.last.wall;
    counter = options.last.counter;
  }

  const read = (): number => {
    const value = physicalNow();
    if (!Number.isFinite(value) || value < 0) return 0;
    return Math.min(Math.floor(value), MAX_HLC_WALL);
  };

  const advance = (nextWall: number, nextCounter: number): Hlc => {
    if (nextCounter > MAX_HLC_COUNTER) {
      nextWall += 1;
      nextCounter = 0;
    }
    if (nextWall > MAX_HLC_WALL) {
      throw new SyncError('E_INVALID_HLC', 'the hybrid clock reached its largest value (year 10889); check the system clock');
    }
    wall = nextWall;
    counter = nextCounter;
    return { wall, counter, peer: peerId };
  };

  return {
    peerId,
    now(): Hlc {
      const physical = read();
      if (physical > wall) return advance(physical, 0);
      return advance(wall, counter + 1);
    },
    receive(remote: Hlc): Hlc {
      const physical = read();
      let remoteWall = remote.wall;
      let remoteCounter = remote.counter;
      const limit = physical + maxDriftMs;
      if (remoteWall > limit) {
        options.onDrift?.({ remote, physical, driftMs: remoteWall - physical, maxDriftMs });
        remoteWall = limit;
        remoteCounter = 0;
      }
      const nextWall = Math.max(wall, physical, remoteWall);
      if (nextWall === wall && nextWall === remoteWall) return advance(nextWall, Math.max(counter, remoteCounter) + 1);
      if (nextWall === wall) return advance(nextWall, counter + 1);
      if (nextWall === remoteWall) return advance(nextWall, remoteCounter + 1);
      return advance(nextWall, 0);
    },
    peek(): Hlc {
      return { wall, counter, peer: peerId };
    },
  };
}
