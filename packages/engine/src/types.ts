import type { Clock, JsonValue, Limits, Operation, PeerId, SyncError, VersionVector, Wal } from '@softadastra/sync-core';
import type { DeclaredPolicy } from '@softadastra/sync-applier';
import type { StateDigest } from '@softadastra/sync-reconciler';

/** Where one session stands. */
export type SessionStatus = 'connecting' | 'syncing' | 'synced' | 'closed';

/**
 * Where the engine stands, over all its sessions: `offline` (no session),
 * `connecting` (no link up), `syncing` (something is being exchanged or
 * awaits an acknowledgement), `synced` (every open session has nothing
 * outstanding either way).
 */
export type SyncStatus = 'offline' | 'connecting' | 'syncing' | 'synced';

/** Progress of a sync with one peer, for progress bars. */
export interface SyncProgress {
  /** The remote peer, once known. */
  readonly peer: PeerId | undefined;
  /** `send`: operations this peer sent; `receive`: operations it received. */
  readonly direction: 'send' | 'receive';
  /** Operations so far in this session round. */
  readonly ops: number;
  /** Encoded bytes so far. */
  readonly bytes: number;
  /** For `send`: how many operations this round plans in all. */
  readonly totalOps?: number;
}

/** A key whose visible value changed. */
export interface Change {
  readonly collection: string;
  readonly key: string;
  /** The new value; `undefined` when the key was deleted. */
  readonly value: JsonValue | undefined;
  /** The operation that now wins the key. */
  readonly op: Operation;
  /** Whether this peer wrote it, or it came from another peer. */
  readonly source: 'local' | 'remote';
}

/** The events of a {@link SyncEngine}. */
export interface SyncEngineEvents {
  /** Keys changed (one event per local write, or per batch applied from a peer). */
  change: (changes: readonly Change[]) => void;
  /** The aggregate status changed. */
  status: (status: SyncStatus) => void;
  /** A sync moved forward. */
  progress: (progress: SyncProgress) => void;
  /** Something went wrong in background work (never thrown, never lost). */
  error: (error: SyncError) => void;
  /** A peer acknowledged holding `vv` durably. */
  ack: (event: { readonly peer: PeerId; readonly vv: VersionVector }) => void;
  /** One session's own status changed, or it closed (`status` only tells when the aggregate does). */
  session: (session: SyncSession) => void;
}

/** Protocol timers, in milliseconds (see docs/protocol.md). */
export interface Timing {
  /**
   * Minimum wait for an acknowledgement before resending; then backoff with full jitter.
   * @default 3000
   */
  readonly resendMs: number;
  /**
   * Minimum wait without progress, while a reply is incomplete, before a new hello.
   * @default 5000
   */
  readonly gapMs: number;
  /**
   * Cap of the exponential backoff part.
   * @default 30000
   */
  readonly maxBackoffMs: number;
  /**
   * Quiet time after live pushes before sending a fresh `covered`.
   * @default 50
   */
  readonly coveredDelayMs: number;
  /**
   * Send no more while the connection buffers this many bytes; resume on `drain`.
   * @default 1048576
   */
  readonly highWaterBytes: number;
  /**
   * Most operations waiting to be sent to one peer. A peer further behind gets
   * no more live pushes: once it has taken what was sent, it gets one re-plan
   * of what it then lacks (superseded operations skipped), so memory stays
   * bounded whatever its speed.
   * @default 20000
   */
  readonly maxQueuedOps: number;
  /**
   * Most often the acknowledgements of remotes are written to the WAL (see
   * `ConnectOptions.recordAcks`): acks arriving in between share one record.
   * @default 1000
   */
  readonly recordAcksMs: number;
  /**
   * Longest wait of a received causal operation for what its writer had
   * seen, before it is applied anyway (see {@link SyncEngineOptions.causal}).
   * @default 30000
   */
  readonly causalWaitMs: number;
  /**
   * Most received causal operations held back at once; past it the oldest
   * are applied anyway, with an `E_PROTOCOL` error (memory stays bounded).
   * @default 50000
   */
  readonly maxWaitingOps: number;
  /**
   * A collection authority (`gc`) computes the stable vector at most once
   * per this many ms: acknowledgements arriving in between share one
   * computation, one WAL record and one `stable` message per session — and,
   * on every peer that collects something with it, one compaction of the log.
   * @default 10000
   */
  readonly stableDelayMs: number;
}

/**
 * Known defects that the simulator of `@softadastra/sync-testing` switches on
 * to prove it catches them: skip dedupe; send before durable; apply `covered`
 * before messages 1..n arrived; break HLC ties on the receiver's id; order
 * equal wall clocks by the *inverse* of their counters (a wrong comparison
 * that every peer shares, so they still converge — on the wrong winner);
 * give up on operations a remote has not acknowledged after 3 resends (as
 * the C++ original did), never offering them to it again.
 * @internal
 */
export type PlantedBug =
  | 'skip-dedupe'
  | 'send-before-durable'
  | 'early-covered'
  | 'receiver-tiebreak'
  | 'compare-operations'
  | 'drop-after-retries'
  // merge policies: a counter that sums every write of an origin, a set whose removes win, an mv register
  // that shows one value, a map that shows only its newest write's fields
  | 'counter-sum'
  | 'set-remove-wins'
  | 'mv-lww'
  | 'map-whole'
  // causal spaces: received operations shown at once, whatever their writer had seen
  | 'ignore-deps'
  // metadata collection: a collection authority that lets a peer back from past its horizon sync as it is
  | 'skip-horizon-reset';

/** Options of {@link createSyncEngine}. */
export interface SyncEngineOptions {
  /** Where operations are made durable. */
  readonly wal: Wal;
  /**
   * This peer's id. Never reuse an id whose storage was lost.
   * @default the id stored in the WAL, else a new random one (then stored)
   */
  readonly peerId?: PeerId;
  /**
   * The space this engine syncs; peers of other spaces are refused.
   * @default 'default'
   */
  readonly space?: string;
  /**
   * Time, timers and randomness.
   * @default systemClock of core
   */
  readonly clock?: Clock;
  /** Size limits; all peers of a space must use the same. */
  readonly limits?: Partial<Limits>;
  /**
   * Told about every background error (also emitted as `error`), and about
   * warnings: `E_WAL_REPAIRED` when opening the WAL cut a torn tail (a
   * `WalRepairedError` carrying the `repair` report; the engine still opens).
   * Pass it here to hear what happens while `createSyncEngine` opens the WAL:
   * no `error` listener exists yet then.
   */
  readonly onError?: (error: SyncError) => void;
  /**
   * How far ahead of the local clock a remote timestamp may pull the HLC.
   * @default 60000
   */
  readonly maxDriftMs?: number;
  /** Batch bounds for what this peer sends. */
  readonly batch?: {
    /** @default 1000 */
    readonly maxOps?: number;
    /** @default 262144 */
    readonly maxBytes?: number;
  };
  /** Protocol timers. */
  readonly timing?: Partial<Timing>;
  /**
   * Automatic compaction: once the WAL holds more than `max(minOps, ratio × keys)`
   * operations since the last snapshot, it is compacted. `false` to disable.
   * @default { minOps: 10000, ratio: 2 }
   */
  readonly compaction?: false | { readonly minOps?: number; readonly ratio?: number };
  /**
   * A causal space: every write of this peer carries what it had seen (its
   * dependencies: per other origin, the prefix of operations it held), and
   * every peer — whatever its own setting — exposes such an operation only
   * once it holds those and the writer's earlier operations, so nobody sees
   * an effect before its cause (read-your-writes, monotonic reads,
   * writes-follow-reads across keys). Received operations wait in memory,
   * unacknowledged, until then (`waitingOps`); a `covered` from their sender
   * releases them, and after `timing.causalWaitMs` (or, the oldest, past
   * `timing.maxWaitingOps` waiting) they are applied anyway with an
   * `E_PROTOCOL` error, so a faulty peer cannot wedge a space nor fill memory.
   * Costs a few bytes per operation (repeated dependencies are one flag).
   * @default false
   */
  readonly causal?: boolean;
  /**
   * Merge policies declared per collection (see `SyncEngine.declare`):
   * `{ votes: 'counter', tags: 'set' }`. Undeclared collections are LWW for
   * this peer's own writes and take each received operation's own policy.
   */
  readonly collections?: Readonly<Record<string, DeclaredPolicy>>;
  /**
   * Makes this peer its space's collection authority (what a relay is): it
   * keeps the space's members (every peer whose hello it served, kept in the
   * WAL), computes what all of them hold durably from their acks — the
   * stable vector, written to the WAL before it is sent — and sends it in
   * `stable` messages, so that peers (and this one) drop the metadata only a
   * peer lacking it could need (set removes). A member not connected for
   * `horizonMs` stops counting; if it comes back holding other peers'
   * operations but not all of the stable vector, its hello is refused with
   * `E_HORIZON` and it resets from a snapshot (its own unsynced writes
   * written again). Every peer of such a space must sync through this
   * authority, with `gcAuthority: true` on that connection (docs/protocol.md,
   * "Metadata collection").
   */
  readonly gc?: { readonly horizonMs: number };
  /**
   * Switches on a known defect, for the simulator's self-test only: it proves
   * the simulator fails when the engine is wrong. Never set it in production.
   * @internal
   */
  readonly plant?: PlantedBug;
}

/** A session over one connection, as returned by `engine.connect()`. */
export interface SyncSession {
  /** The remote peer's id, once its hello arrived. */
  readonly remotePeer: PeerId | undefined;
  /** Where the session stands. */
  readonly status: SessionStatus;
  /** Operations sent and not yet acknowledged by the remote. */
  readonly pendingOps: number;
  /**
   * Asks the remote for the digest of its durable state (with every key and
   * winner when `leaves`), to compare with `diffDigests` of the reconciler.
   */
  requestDigest(options?: { readonly leaves?: boolean; readonly timeoutMs?: number }): Promise<StateDigest>;
  /** Ends the session and closes its connection. */
  close(): void;
}
