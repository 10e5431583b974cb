import type { OpId, Operation } from './operation.js';
import type { PeerId } from './peer-id.js';
import type { VersionVector } from './version-vector.js';

/** Version of the sync protocol spoken in `hello` (docs/protocol.md). */
export const PROTOCOL_VERSION = 1;

/**
 * Opens (or re-opens) a session, in both directions: "here is what I have;
 * send me what I lack, tagged with `epoch`".
 */
export interface HelloMessage {
  readonly type: 'hello';
  /** The protocol version the sender speaks. */
  readonly protocol: number;
  /**
   * Names this request: the reply (`ops`, `covered`) carries it, so replies to
   * an older hello are told apart and ignored. A new hello uses a new epoch.
   */
  readonly epoch: number;
  /** The sender's peer id. */
  readonly peer: PeerId;
  /** The space to sync. */
  readonly space: string;
  /** Every operation the sender holds durably. */
  readonly vv: VersionVector;
}

/**
 * A batch of operations; the `n`-th message (1, 2, 3…) sent in reply to the
 * hello of `epoch`. Decoded operations are not yet validated.
 */
export interface OpsMessage {
  readonly type: 'ops';
  readonly epoch: number;
  readonly n: number;
  readonly ops: readonly Operation[];
}

/**
 * "With messages 1..n of this epoch you have everything I had up to `vv`":
 * lets the receiver count operations it will never get because they were
 * superseded. Applied only once all of 1..n have arrived.
 */
export interface CoveredMessage {
  readonly type: 'covered';
  readonly epoch: number;
  readonly n: number;
  readonly vv: VersionVector;
}

/** What the sender holds durably: the receiver may forget what it sent that is in `vv`. */
export interface AckMessage {
  readonly type: 'ack';
  readonly vv: VersionVector;
}

/**
 * From the space's collection authority (a relay with a GC horizon): "every
 * member of this space holds `vv` durably". Metadata that only mattered to a
 * peer lacking part of `vv` — a set remove whose remove and named adds are all
 * in it — may be collected. Believed only from a session marked as the
 * authority (`gcAuthority` of `engine.connect()`); see docs/protocol.md,
 * "Metadata collection".
 */
export interface StableMessage {
  readonly type: 'stable';
  readonly vv: VersionVector;
  /**
   * Sent right after a reply to a hello: that reply's `epoch`, the number
   * `n` of its last `ops` message and its `covered` claim — so that a peer
   * taking a snapshot knows when all of it is in, and what it claimed.
   */
  readonly reply?: { readonly epoch: number; readonly n: number; readonly covered: VersionVector };
}

/** A typed rejection, e.g. of malformed operations. */
export interface ErrorMessage {
  readonly type: 'error';
  /** A {@link SyncErrorCode} (other implementations may send codes unknown here). */
  readonly code: string;
  readonly message: string;
  /** The operations rejected, when the error is about operations. */
  readonly opIds?: readonly OpId[];
}

/** Asks the remote for the digest of its durable state (to find where two peers differ). */
export interface DigestRequestMessage {
  readonly type: 'digest-request';
  /** Echoed in the answer. */
  readonly id: number;
  /** Ask for every key and its winner, not only the hashes. */
  readonly leaves: boolean;
}

/** The digest of the sender's durable state (see `computeDigest` of the reconciler). */
export interface DigestMessage {
  readonly type: 'digest';
  /** The id of the request answered. */
  readonly id: number;
  /** 16 hex digits. */
  readonly root: string;
  readonly count: number;
  /** 256 hashes of 16 hex digits. */
  readonly buckets: readonly string[];
  /** Every key with its winner's op id `origin:seq`, when asked for. */
  readonly leaves?: ReadonlyArray<{ readonly collection: string; readonly key: string; readonly winner: string }>;
}

/** Every message of the sync protocol. */
export type SyncMessage = HelloMessage | OpsMessage | CoveredMessage | AckMessage | StableMessage | ErrorMessage | DigestRequestMessage | DigestMessage;

/** The `type` of a {@link SyncMessage}. */
export type SyncMessageType = SyncMessage['type'];
