import {
  PROTOCOL_VERSION,
  SyncError,
  backoffDelay,
  decodeMessage,
  encodeMessage,
  encodeOperations,
  encodeOpsMessage,
  needsCodecV2,
  isPeerId,
  isSyncError,
  type Clock,
  type Connection,
  type ConnectionCloseInfo,
  type Limits,
  type OpId,
  type Operation,
  type PeerId,
  type SyncErrorCode,
  type SyncMessage,
  TokenBucket,
  VersionVector,
} from '@softadastra/sync-core';
import type { ApplyReport } from '@softadastra/sync-applier';
import { toBatches, type SyncPlan } from '@softadastra/sync-planner';
import type { StateDigest } from '@softadastra/sync-reconciler';
import type { CommitEntry } from './commit-queue.js';
import { PendingQueue } from './pending-queue.js';
import { SeqSet } from './seq-set.js';
import type { PlantedBug, SessionStatus, SyncProgress, Timing } from './types.js';

/** What a session needs from its engine. @internal */
export interface SessionHost {
  readonly peerId: PeerId;
  readonly space: string;
  readonly limits: Limits;
  readonly clock: Clock;
  readonly timing: Timing;
  readonly maxBatchOps: number;
  readonly maxBatchBytes: number;
  readonly plant: PlantedBug | undefined;
  durableVv(): VersionVector;
  /** The part of `claimed` this peer holds durably (a claim about the remote, cut to what can matter here). */
  heldOf(claimed: VersionVector): VersionVector;
  /** Whether this peer has seen (applied, durably or not) the operation. */
  holds(id: OpId): boolean;
  /** How many new seq ranges holding `ops` would add to the seen vector, per origin, at most. */
  newRanges(ops: readonly Operation[]): Map<PeerId, number>;
  /** How many seq ranges the seen vector has for `origin`. */
  rangeCount(origin: PeerId): number;
  /** Whether the durable vector holds operations that `known` lacks. */
  remoteLacks(known: VersionVector): boolean;
  plan(remote: VersionVector, maxBatchBytes: number): SyncPlan;
  applyRemote(ops: readonly Operation[], session: Session): ApplyReport;
  /**
   * Applies the received operations held back for their dependencies that
   * `claimed` (a `covered` about to be recorded) names: they are recorded
   * with it. `undefined` when none waits.
   */
  releaseClaimed(claimed: VersionVector, session: Session): { readonly report: ApplyReport; readonly withheld: VersionVector } | undefined;
  digest(options: { leaves: boolean }): StateDigest;
  commit(entry: CommitEntry, source?: Session): void;
  /** The remote acknowledged `vv`; `record`: keep it durably (see {@link ConnectOptions.recordAcks}). */
  noteAck(peer: PeerId, vv: VersionVector, record: boolean): void;
  reportError(error: SyncError): void;
  /**
   * A remote's hello, about to be served: an error refuses it (a collection
   * authority refusing a peer that must reset first, `E_HORIZON`).
   */
  admitHello(peer: PeerId, vv: VersionVector, session: Session): SyncError | undefined;
  /** The stable vector this peer published as its space's collection authority (empty before the first); `undefined` for a peer that is none. */
  currentStable(): VersionVector | undefined;
  /** The session's authority says every member holds `vv` (a `stable` message). */
  noteStable(vv: VersionVector, session: Session): void;
  /** The session's authority refused this peer's hello with `E_HORIZON`: a snapshot must be taken from it. */
  horizonReset(session: Session): void;
  /** Whether this peer must take a snapshot from its authority (see {@link SessionHost.horizonReset}). */
  resetPending(): boolean;
  /** The snapshot asked of the authority is in: `received`, the ids it sent; `claimed`, its plan's claim (what it held when it answered). */
  snapshotComplete(received: VersionVector, claimed: VersionVector): Promise<void>;
  reportProgress(progress: SyncProgress): void;
  sessionChanged(session: Session): void;
  sessionClosed(session: Session): void;
}

/** Options of `engine.connect()`. */
export interface ConnectOptions {
  /**
   * Which `covered` claims of the remote to believe. `'all'` for peers you
   * trust; `'own-origin'` (what a relay uses for clients) only accepts the
   * remote's claim about its own operations, and only in the shape an honest
   * writer's claim has — the prefix `1..m` of its own seqs, one range — so a
   * hostile client can neither make this peer believe it holds operations of
   * others that it never received, nor fragment its vector; `'none'` believes
   * nothing (a read-only session: it cannot change this peer's state at all).
   * A session with `acceptWrites: false` is always `'none'`.
   *
   * Whatever the trust, claims about what the *remote* holds (its `hello`
   * and `ack` vectors) only ever decide what is sent to it, and — for `ack`
   * with {@link ConnectOptions.recordAcks} — what this peer records as acked
   * of its own durable writes (never more than it wrote); for a session not
   * trusted with `'all'` they are cut to what this peer holds, so a lying
   * vector costs no memory here.
   * @default 'all'
   */
  readonly trustCovered?: 'all' | 'own-origin' | 'none';
  /**
   * Whether the remote may write. A read-only remote's operations are all
   * refused with `E_FORBIDDEN` (listed in the error, so it stops resending them).
   * @default true
   */
  readonly acceptWrites?: boolean;
  /**
   * Whose operations the remote may send: `'any'`, or only `'own'` (its own
   * origin — what a relay enforces on clients, so nobody writes under another
   * peer's id). Others are refused with `E_FORBIDDEN`.
   * @default 'any'
   */
  readonly acceptOrigins?: 'any' | 'own';
  /** The peer id the remote must announce in its hello (e.g. its token's subject); another is refused with `E_FORBIDDEN`. */
  readonly expectPeer?: PeerId;
  /**
   * Asked before a batch of `ops` from the remote is applied; returning an
   * error refuses the whole message (e.g. `E_RATE_LIMIT`, `E_QUOTA`) without
   * listing its operations, so the remote keeps them and resends them later.
   */
  readonly admit?: (ops: readonly Operation[]) => SyncError | undefined;
  /**
   * Refuse new operations stamped more than this many ms ahead of this peer's
   * clock (`E_CLOCK_SKEW`, listed, so the writer keeps them and offers them
   * again in its next session — accepted once the clock has caught up). For a
   * relay facing writers directly (`acceptOrigins: 'own'`): a merge stays a
   * pure function of the operations, this only decides whether an operation
   * enters the network at all (docs/protocol.md, "Clocks").
   * @default no limit
   */
  readonly maxClockAheadMs?: number;
  /**
   * Most seq ranges an origin may have in this peer's vector: a message whose
   * operations would fragment their origin past it is refused whole
   * (`E_RATE_LIMIT`, not applied, resent later — by then the gaps have
   * usually been filled). Keeps a writer who skips seqs on purpose from
   * growing every peer's vector. Honest catch-ups stay far below (see
   * `batchCovered` of the planner).
   * @default no limit
   */
  readonly maxOriginRanges?: number;
  /**
   * Budget of the requests that cost this peer work in proportion to its state:
   * a `hello` with a new epoch (a full plan) and a `digest-request`. Past it,
   * the request is refused with `E_RATE_LIMIT` and not served.
   * @default { perSecond: 2, burst: 20 }
   */
  readonly requestBudget?: { readonly perSecond: number; readonly burst: number };
  /**
   * Whether to keep what the remote acknowledges durably, so that after a
   * restart `unacked()`, `isAcked()` and `whenAcked()` still know it without
   * reconnecting (what `pending()` of the SDK counts).
   *
   * @remarks
   * Only the part about this peer's own writes is kept, cut to what it holds
   * durably: a claim can never make this peer record more than it wrote, and
   * it costs one vector per remote peer, whatever the remote says. Records
   * are coalesced (at most one WAL record every `timing.recordAcksMs`, and
   * one at close), so after a crash the acks of the last moments may be
   * forgotten: writes then count as unacknowledged until the remote acks them
   * again — an over-count, never an under-count.
   *
   * The default records the acks of trusted remotes (`trustCovered: 'all'`,
   * what outgoing client connections use), and not those of sessions a relay
   * accepts from clients (`trustCovered` `'own-origin'` or `'none'`): a
   * client's ack claims never grow a relay's durable state.
   * @default true when `trustCovered` is `'all'` (its default), else false
   */
  readonly recordAcks?: boolean;
  /**
   * Most replies (errors, digests) waiting to be sent while the remote reads
   * too slowly. Past it the remote is disconnected (close code 4008) instead
   * of growing this peer's memory: a peer that asks and never reads.
   * @default 256
   */
  readonly maxQueuedReplies?: number;
  /**
   * The remote is the space's collection authority (a relay with a GC
   * horizon): believe its `stable` messages (collect the metadata every
   * member holds), and when it refuses this peer with `E_HORIZON`, take a
   * snapshot from it — everything it holds, then what this peer holds that
   * it superseded or collected is dropped; this peer's own writes it lacks
   * are kept and sent (docs/protocol.md, "Metadata collection"). Only for a
   * remote trusted as much as `trustCovered: 'all'`.
   * @default false
   */
  readonly gcAuthority?: boolean;
}

/** Close code when the remote asks for replies faster than it reads them. */
export const SLOW_READER_CLOSE_CODE = 4008;

/** Resends after which the planted defect `drop-after-retries` gives operations up. */
const DROP_AFTER_RESENDS = 3;

/**
 * One sync session over one connection: the protocol of docs/protocol.md in
 * both directions (this peer sends what the remote lacks, and receives what
 * it lacks).
 * @internal
 */
export class Session {
  readonly connection: Connection;
  readonly #host: SessionHost;
  readonly #trustCovered: 'all' | 'own-origin' | 'none';
  readonly #recordAcks: boolean;
  readonly #policy: ConnectOptions;
  readonly #requests: TokenBucket;
  readonly #maxQueuedReplies: number;
  /** Replies (errors, digests) in the outbox. */
  #queuedReplies = 0;
  readonly #unsubscribe: Array<() => void> = [];
  #closed = false;
  #linkUp = false;
  /** The remote's last hello was refused (`E_HORIZON`): its operations wait until it says hello again. */
  #helloRefused = false;
  /** This peer must take a snapshot from the remote, its authority (see {@link Session.startSnapshot}). */
  #wantSnapshot = false;
  /**
   * The snapshot under way: its epoch, the ids received in it, and — once the
   * authority's `stable` says so — the last message of its reply and that
   * reply's `covered` claim.
   */
  #snapshot: { readonly epoch: number; readonly received: VersionVector; end: { readonly n: number; readonly covered: VersionVector } | undefined } | undefined;

  /** The remote's peer id, once its hello arrived. */
  remotePeer: PeerId | undefined;

  // Receiving side: what we asked for with our hello.
  #epoch: number;
  #arrived = new SeqSet();
  #durable = new SeqSet();
  /** `covered` claims received, by message number, waiting for messages 1..n to be durable. */
  #pendingCovered: Array<{ n: number; vv: VersionVector }> = [];
  /** Operations of this epoch that were refused: a `covered` must not make them count as held. */
  #refused = new VersionVector();
  #receiveComplete = false;
  #gapTimer: unknown;
  #helloAttempt = 0;
  #receivedOps = 0;
  #receivedBytes = 0;
  #ackScheduled = false;

  // Sending side: what the remote asked for with its hello.
  #remoteEpoch: number | undefined;
  #nextN = 0;
  #remoteKnown = new VersionVector();
  readonly #pending = new PendingQueue();
  /**
   * What waits to be sent. New operations and `covered` get their message
   * number only when sent, so that dropping what was never sent (see
   * #catchUp) leaves no gap in the numbers.
   */
  #outbox: Outgoing[] = [];
  /** Operations waiting in the outbox as new `ops`. */
  #queuedOps = 0;
  /** Live pushes were dropped because the remote fell behind: re-plan once the outbox drains. */
  #behind = false;
  #resendTimer: unknown;
  #coveredTimer: unknown;
  #plannedOps = 0;
  /** A collection authority's plan claim for the remote's hello, until its end is sent (see {@link Session.startSnapshot}). */
  #replyEnd: VersionVector | undefined;
  #sentOps = 0;
  #sentBytes = 0;
  /** Operations given up under the planted defect `drop-after-retries` (never set otherwise). */
  readonly #givenUp = new VersionVector();

  // Digests asked of the remote.
  #nextDigestId = 1;
  readonly #digestRequests = new Map<number, { resolve: (digest: StateDigest) => void; reject: (error: SyncError) => void; timer: unknown }>();

  constructor(host: SessionHost, connection: Connection, options: ConnectOptions = {}) {
    this.#host = host;
    this.connection = connection;
    this.#trustCovered = options.acceptWrites === false ? 'none' : (options.trustCovered ?? 'all');
    this.#recordAcks = options.recordAcks ?? this.#trustCovered === 'all';
    this.#policy = options;
    const budget = options.requestBudget ?? DEFAULT_REQUEST_BUDGET;
    this.#requests = new TokenBucket(budget.perSecond, budget.burst, host.clock.now());
    this.#maxQueuedReplies = options.maxQueuedReplies ?? 256;
    this.#epoch = Math.floor(host.clock.random() * EPOCH_SPACE);
    this.#wantSnapshot = options.gcAuthority === true && host.resetPending();
    this.#unsubscribe.push(
      connection.on('open', () => this.#onOpen()),
      connection.on('message', (bytes) => this.#onMessage(bytes)),
      connection.on('close', (info) => this.#onClose(info)),
      connection.on('drain', () => this.#flush()),
      connection.on('error', (error) => host.reportError(error)),
    );
    if (connection.state === 'open') this.#onOpen();
  }

  /** Where this session stands. */
  get status(): SessionStatus {
    if (this.#closed) return 'closed';
    if (!this.#linkUp) return 'connecting';
    return this.#receiveComplete && this.#pending.isEmpty && this.#remoteEpoch !== undefined ? 'synced' : 'syncing';
  }

  /** Operations sent to the remote and not yet acknowledged. */
  get pendingOps(): number {
    return this.#pending.size;
  }

  /**
   * Asks the remote for the digest of its durable state, to compare with this
   * peer's (`diffDigests` of the reconciler).
   *
   * @throws SyncError `E_CLOSED` when the link is down, `E_TIMEOUT` without an answer in time
   */
  requestDigest(options: { readonly leaves?: boolean; readonly timeoutMs?: number } = {}): Promise<StateDigest> {
    if (!this.#linkUp || this.#closed) return Promise.reject(new SyncError('E_CLOSED', 'the session is not connected: cannot ask the remote for its digest'));
    const id = this.#nextDigestId++;
    return new Promise((resolve, reject) => {
      const timer = this.#host.clock.setTimeout(() => {
        this.#digestRequests.delete(id);
        reject(new SyncError('E_TIMEOUT', `peer ${this.remotePeer ?? '?'} did not send its digest in time`));
      }, options.timeoutMs ?? 10_000);
      this.#digestRequests.set(id, { resolve, reject, timer });
      this.#send({ type: 'digest-request', id, leaves: options.leaves ?? false });
    });
  }

  /** Closes the session and its connection. */
  close(): void {
    if (this.#closed) return;
    this.#stop();
    this.#closed = true;
    for (const [id, request] of this.#digestRequests) {
      this.#host.clock.clearTimeout(request.timer);
      request.reject(new SyncError('E_CLOSED', 'the session closed before the digest arrived'));
      this.#digestRequests.delete(id);
    }
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe.length = 0;
    if (this.connection.state !== 'closed') this.connection.close(1000, 'session closed');
    this.#host.sessionClosed(this);
  }

  /**
   * Asks the remote again for everything this peer lacks (after the engine
   * reopened its WAL, whose state may differ from what the last hello said).
   * The sending side carries on: the remote's own request still stands.
   */
  restart(): void {
    if (!this.#linkUp || this.#closed) return;
    this.#rehello();
    this.#host.sessionChanged(this);
  }

  /** Tells the remote what every member of the space holds (this peer being its collection authority). */
  sendStable(vv: VersionVector): void {
    if (!this.#linkUp || this.#closed || this.remotePeer === undefined || this.#helloRefused) return;
    this.#send({ type: 'stable', vv: vv.clone() });
  }

  /** Whether the remote is this peer's collection authority (`gcAuthority`). */
  get isAuthority(): boolean {
    return this.#policy.gcAuthority === true;
  }

  /**
   * Asks the authority for a snapshot: a hello that says this peer holds
   * nothing, so that everything the authority holds is sent, and what it
   * did not send can be told apart (see `SessionHost.snapshotComplete`).
   */
  startSnapshot(): void {
    if (!this.isAuthority || this.#closed) return;
    this.#wantSnapshot = true;
    if (this.#linkUp && this.#snapshot === undefined) {
      this.#rehello();
      this.#host.sessionChanged(this);
    }
  }

  /**
   * Pushes operations that just became durable winners (local or from a third
   * peer) to the remote, when it has asked for them and does not hold them;
   * and, whenever the durable vector holds something the remote is not known
   * to hold (superseded operations too), schedules a fresh `covered`.
   */
  push(ops: readonly Operation[]): void {
    if (!this.#linkUp || this.#remoteEpoch === undefined) return;
    if (this.#behind) return; // the re-plan after the backlog drains covers these
    const known = this.#remoteKnown;
    const fresh = ops.every((op) => !known.has(op)) ? ops : ops.filter((op) => !known.has(op));
    if (fresh.length > 0) {
      if (this.#queuedOps + fresh.length > this.#host.timing.maxQueuedOps) {
        this.#catchUp();
        return;
      }
      for (const batch of toBatches(fresh, this.#host.maxBatchOps, this.#maxBatchBytes())) this.#sendOps(batch);
      this.#plannedOps += fresh.length;
    } else if (!this.#host.remoteLacks(this.#remoteKnown)) {
      return;
    }
    // When pushes go quiet, a fresh covered accounts for superseded operations.
    this.#host.clock.clearTimeout(this.#coveredTimer);
    this.#coveredTimer = this.#host.clock.setTimeout(() => {
      this.#coveredTimer = undefined;
      if (this.#linkUp && this.#remoteEpoch !== undefined) this.#sendCovered(this.#host.durableVv());
    }, this.#host.timing.coveredDelayMs);
    this.#flush();
  }

  // ── link events ──────────────────────────────────────────────────────────

  #onOpen(): void {
    if (this.#closed) return;
    this.#stop();
    this.#linkUp = true;
    this.#helloRefused = false;
    // Sending side: wait for the remote's hello.
    this.#remoteEpoch = undefined;
    this.#clearOutbox();
    this.#pending.clear();
    // Receiving side: a new hello with a new epoch.
    this.#helloAttempt = 0;
    this.#rehello();
    this.#host.sessionChanged(this);
  }

  #onClose(info: ConnectionCloseInfo): void {
    this.#stop();
    this.#linkUp = false;
    this.#clearOutbox();
    if (info.final) this.close();
    else this.#host.sessionChanged(this);
  }

  #stop(): void {
    const clock = this.#host.clock;
    clock.clearTimeout(this.#gapTimer);
    clock.clearTimeout(this.#resendTimer);
    clock.clearTimeout(this.#coveredTimer);
    this.#gapTimer = this.#resendTimer = this.#coveredTimer = undefined;
  }

  #onMessage(bytes: Uint8Array): void {
    if (this.#closed || !this.#linkUp) return;
    let message: SyncMessage;
    try {
      message = decodeMessage(bytes, { limits: this.#host.limits });
    } catch (error) {
      const syncError = isSyncError(error) ? error : new SyncError('E_DECODE', 'undecodable message', { cause: error });
      this.#host.reportError(new SyncError(syncError.code, `from ${this.remotePeer ?? 'a peer'}: ${syncError.message}`, { cause: error }));
      this.#sendError(syncError.code, syncError.message);
      return;
    }
    switch (message.type) {
      case 'hello':
        this.#onHello(message.protocol, message.epoch, message.peer, message.space, message.vv);
        return;
      case 'ops':
        this.#onOps(message.epoch, message.n, message.ops, bytes.length);
        return;
      case 'covered':
        this.#onCovered(message.epoch, message.n, message.vv);
        return;
      case 'ack':
        this.#onAck(message.vv);
        return;
      case 'stable':
        if (!this.isAuthority || this.remotePeer === undefined) return;
        if (!message.vv.isEmpty()) this.#host.noteStable(message.vv, this);
        if (message.reply !== undefined && this.#snapshot !== undefined && message.reply.epoch === this.#snapshot.epoch) {
          this.#snapshot.end = { n: message.reply.n, covered: message.reply.covered };
          this.#snapshotIn();
        }
        return;
      case 'error':
        this.#onRemoteError(message.code, message.message, message.opIds ?? []);
        return;
      case 'digest-request': {
        if (!this.#requests.tryTake(1, this.#host.clock.now())) {
          this.#sendError('E_RATE_LIMIT', 'too many digest requests on this connection: ask again later');
          return;
        }
        const digest = this.#host.digest({ leaves: message.leaves });
        this.#reply({ type: 'digest', id: message.id, ...digest });
        return;
      }
      case 'digest': {
        const request = this.#digestRequests.get(message.id);
        if (request === undefined) return;
        this.#digestRequests.delete(message.id);
        this.#host.clock.clearTimeout(request.timer);
        const { root, count, buckets, leaves } = message;
        request.resolve(leaves === undefined ? { root, count, buckets } : { root, count, buckets, leaves });
        return;
      }
    }
  }

  // ── sending side ─────────────────────────────────────────────────────────

  #onHello(protocol: number, epoch: number, peer: string, space: string, vv: VersionVector): void {
    if (protocol !== PROTOCOL_VERSION) {
      this.#sendError('E_VERSION', `protocol ${protocol} is not supported; this peer speaks ${PROTOCOL_VERSION}`);
      this.#host.reportError(new SyncError('E_VERSION', `peer ${peer} speaks protocol ${protocol}, this peer ${PROTOCOL_VERSION}: upgrade the older one`));
      return;
    }
    if (space !== this.#host.space) {
      this.#sendError('E_PROTOCOL', `this peer serves space ${JSON.stringify(this.#host.space)}, not ${JSON.stringify(space)}`);
      return;
    }
    if (!isPeerId(peer) || peer === this.#host.peerId) {
      this.#sendError('E_PROTOCOL', peer === this.#host.peerId ? 'a peer cannot sync with itself (same peer id)' : 'invalid peer id in hello');
      return;
    }
    if (this.#policy.expectPeer !== undefined && peer !== this.#policy.expectPeer) {
      this.#sendError('E_FORBIDDEN', `this connection is for peer ${this.#policy.expectPeer}, not ${peer}: use the peer id your token was issued for`);
      return;
    }
    if (this.remotePeer === peer && this.#remoteEpoch !== undefined && !isNewerEpoch(epoch, this.#remoteEpoch)) {
      // A duplicated or replayed hello: answering it would restart numbering under an epoch the remote has left.
      return;
    }
    if (!this.#requests.tryTake(1, this.#host.clock.now())) {
      // Each hello costs a plan over the state: a remote asking too often waits (its gap timer asks again).
      this.#sendError('E_RATE_LIMIT', 'too many hellos on this connection: each one re-plans the whole sync; slow down');
      return;
    }
    const refusal = this.#host.admitHello(peer, vv, this);
    const wasRefused = this.#helloRefused;
    this.#helloRefused = refusal !== undefined;
    if (refusal !== undefined) {
      this.#sendError(refusal.code, refusal.message);
      return;
    }
    // What it sent while refused was dropped: ask again for what it holds and this peer lacks.
    if (wasRefused) this.#rehello();
    const known = this.#trustCovered === 'all' ? vv.clone() : this.#host.heldOf(vv);
    if (this.#host.plant === 'drop-after-retries') known.merge(this.#givenUp);
    this.remotePeer = peer;
    this.#remoteEpoch = epoch;
    this.#nextN = 0;
    this.#remoteKnown = known;
    this.#dropNewOps();
    this.#behind = false;
    this.#pending.clear();
    this.#host.clock.clearTimeout(this.#coveredTimer);
    this.#coveredTimer = undefined;
    const plan = this.#host.plan(known, this.#maxBatchBytes());
    this.#plannedOps = plan.opCount;
    this.#sentOps = 0;
    this.#sentBytes = 0;
    this.#queuePlan(plan);
    this.#sendCovered(plan.covered);
    // A collection authority tells every (re)connecting member what is stable (one sent earlier may have been
    // lost), and where the reply to this hello ends — for a peer taking a snapshot (see #snapshotIn).
    this.#replyEnd = this.#host.currentStable() === undefined ? undefined : plan.covered.clone();
    if (this.#replyEnd !== undefined) this.#outbox.push({ kind: 'reply-end', covered: this.#replyEnd });
    this.#flush();
    this.#host.sessionChanged(this);
  }

  #sendOps(ops: readonly Operation[]): void {
    this.#outbox.push({ kind: 'ops', ops });
    this.#queuedOps += ops.length;
  }

  /** The batches of a plan, each but the last followed by the part of `covered` it settles. */
  #queuePlan(plan: SyncPlan): void {
    plan.batches.forEach((batch, i) => {
      this.#sendOps(batch);
      const settled = plan.batchCovered[i];
      if (settled !== undefined && !settled.isEmpty()) this.#outbox.push({ kind: 'covered', vv: settled, partial: true });
    });
  }

  #sendCovered(vv: VersionVector): void {
    // While behind, pushes were dropped: a covered now would claim them. The re-plan brings its own.
    if (this.#behind) return;
    this.#outbox.push({ kind: 'covered', vv: vv.clone() });
    this.#flush();
  }

  /**
   * The remote cannot keep up with live pushes: drop what waits to be sent
   * (it was never numbered, so no gap appears) and, once the outbox has
   * drained, send what the remote then lacks in one re-plan — superseded
   * operations skipped. Memory stays bounded whatever the remote's speed.
   */
  #catchUp(): void {
    this.#dropNewOps();
    this.#behind = true;
    this.#flush();
  }

  #dropNewOps(): void {
    this.#outbox = this.#outbox.filter((item) => item.kind === 'message' || item.kind === 'ack');
    this.#queuedOps = 0;
  }

  /** After falling behind: send what the remote lacks now, from what it is known to hold. */
  #replan(): void {
    this.#behind = false;
    // What is in flight is not planned again: it is pending, and resent by number if it was lost.
    const plan = this.#host.plan(this.#remoteKnown.clone().merge(this.#pending.inFlight()), this.#maxBatchBytes());
    this.#plannedOps += plan.opCount;
    this.#queuePlan(plan);
    this.#outbox.push({ kind: 'covered', vv: plan.covered.clone() });
    // The reply to the hello now ends after this re-plan (its claim stays the plan's: what was held then).
    if (this.#replyEnd !== undefined) this.#outbox.push({ kind: 'reply-end', covered: this.#replyEnd });
  }

  #clearOutbox(): void {
    this.#outbox = [];
    this.#queuedOps = 0;
    this.#queuedReplies = 0;
    this.#behind = false;
  }

  #onAck(claimed: VersionVector): void {
    if (this.remotePeer === undefined) return;
    // A claim: what it can matter for here is what this peer holds (see ConnectOptions.trustCovered).
    const vv = this.#trustCovered === 'all' ? claimed : this.#host.heldOf(claimed);
    this.#remoteKnown.merge(vv);
    const progress = this.#pending.ack(vv);
    this.#host.noteAck(this.remotePeer, vv, this.#recordAcks);
    if (progress) {
      this.#host.clock.clearTimeout(this.#resendTimer);
      this.#resendTimer = undefined;
      this.#armResendTimer();
      this.#host.sessionChanged(this);
    }
  }

  #onRemoteError(code: string, message: string, opIds: readonly OpId[]): void {
    if (code === 'E_HORIZON' && this.isAuthority && this.#snapshot === undefined) this.#host.horizonReset(this);
    this.#pending.reject(opIds);
    const known = KNOWN_CODES.has(code) ? (code as SyncErrorCode) : 'E_PROTOCOL';
    const about = opIds.length > 0 ? ` (${opIds.length} operation${opIds.length > 1 ? 's' : ''}, first ${opIds[0]!.origin}:${opIds[0]!.seq})` : '';
    this.#host.reportError(new SyncError(known, `peer ${this.remotePeer ?? '?'} reported ${code}: ${message}${about}`));
    this.#host.sessionChanged(this);
  }

  #armResendTimer(): void {
    if (this.#resendTimer !== undefined || this.#pending.isEmpty) return;
    const { maxBackoffMs } = this.#host.timing;
    // On a reliable link nothing is lost while it is up (a drop brings a new hello): a resend there
    // only helps against a remote that is slow to acknowledge, and adds to its load — wait longer.
    const resendMs = this.connection.capabilities.reliable ? Math.max(10 * this.#host.timing.resendMs, 30_000) : this.#host.timing.resendMs;
    const delay = resendMs + backoffDelay(this.#pending.attempt, this.#host.clock.random(), resendMs, Math.max(maxBackoffMs, resendMs));
    this.#resendTimer = this.#host.clock.setTimeout(() => {
      this.#resendTimer = undefined;
      if (!this.#linkUp || this.#remoteEpoch === undefined || this.#pending.isEmpty) return;
      this.#pending.attempt++;
      if (this.#host.plant === 'drop-after-retries' && this.#pending.attempt >= DROP_AFTER_RESENDS) {
        // The planted defect: unacknowledged operations are given up for good, as if the remote had them.
        for (const { ops } of this.#pending.unacked()) for (const op of ops) this.#givenUp.add(op);
        this.#remoteKnown.merge(this.#givenUp);
        this.#pending.clear();
        return;
      }
      // Resend each unacknowledged message under its own number, then the covered.
      for (const { n, ops } of this.#pending.unacked()) this.#outbox.push({ kind: 'message', message: { type: 'ops', epoch: this.#remoteEpoch, n, ops } });
      const covered = this.#pending.covered;
      if (covered !== undefined) this.#outbox.push({ kind: 'message', message: { type: 'covered', epoch: this.#remoteEpoch, n: covered.n, vv: covered.vv } });
      this.#flush();
      this.#armResendTimer();
    }, delay);
  }

  // ── receiving side ───────────────────────────────────────────────────────

  #onOps(epoch: number, n: number, ops: readonly Operation[], bytes: number): void {
    if (epoch !== this.#epoch) return; // a reply to an older hello
    // A remote refused for `E_HORIZON` resets before anything it sends counts (it is resent after its next hello).
    if (this.#helloRefused) return;
    if (this.#arrived.has(n)) {
      // A duplicated or resent message already processed: only the ack may be missing.
      if (this.#durable.has(n)) this.#scheduleAck();
      return;
    }
    if (this.remotePeer === undefined && (this.#policy.acceptOrigins === 'own' || this.#policy.expectPeer !== undefined)) {
      // Whose operations these are cannot be checked before the remote's hello (lost, or not yet
      // processed): treat the message as lost; it is resent, or our gap timer asks again.
      return;
    }
    const refusal = this.#policy.admit?.(ops) ?? this.#fragmentationRefusal(ops);
    if (refusal !== undefined) {
      // Not marked as arrived: the remote resends it later, as for a lost message.
      this.#sendError(refusal.code, refusal.message);
      this.#progressed();
      return;
    }
    this.#arrived.add(n);
    if (this.#snapshot !== undefined) for (const op of ops) if (isPeerId(op.origin) && Number.isSafeInteger(op.seq) && op.seq > 0) this.#snapshot.received.add(op);
    this.#receivedOps += ops.length;
    this.#receivedBytes += bytes;
    const forbidden: ApplyReport['rejected'] = [];
    let allowed: readonly Operation[] = ops;
    const maxAhead = this.#policy.maxClockAheadMs;
    if (this.#policy.acceptWrites === false || this.#policy.acceptOrigins === 'own' || maxAhead !== undefined) {
      const kept: Operation[] = [];
      allowed = kept;
      const latest = maxAhead === undefined ? Number.POSITIVE_INFINITY : this.#host.clock.now() + maxAhead;
      for (const op of ops) {
        const reason =
          this.#policy.acceptWrites === false
            ? 'this connection is read-only: its token does not grant writes'
            : this.#policy.acceptOrigins === 'own' && op.origin !== this.remotePeer
              ? `peer ${this.remotePeer ?? '?'} may only send its own operations, not ${op.origin}'s`
              : undefined;
        if (reason !== undefined) {
          forbidden.push({ opId: { origin: op.origin, seq: op.seq }, error: new SyncError('E_FORBIDDEN', reason) });
        } else if (typeof op.hlc?.wall === 'number' && op.hlc.wall > latest && !this.#host.holds(op)) {
          // Only what is new: an operation already held was accepted when it first arrived.
          const ahead = op.hlc.wall - (latest - maxAhead!);
          forbidden.push({
            opId: { origin: op.origin, seq: op.seq },
            error: new SyncError('E_CLOCK_SKEW', `operation stamped ${Math.round(ahead / 1000)} s ahead of this peer's clock (limit ${Math.round(maxAhead! / 1000)} s): the writer's clock is wrong — fix it; the operation is kept by its writer and accepted once this clock reaches its time`),
          });
        } else kept.push(op);
      }
    }
    const applied = this.#host.applyRemote(allowed, this);
    const report = forbidden.length === 0 ? applied : { ...applied, rejected: [...forbidden, ...applied.rejected] };
    for (const { opId } of report.rejected) if (opId !== undefined) this.#refused.add(opId);
    for (const op of report.applied) this.#remoteKnown.add(op);
    for (const op of report.superseded) this.#remoteKnown.add(op);
    for (const id of report.duplicates) this.#remoteKnown.add(id);
    if (report.rejected.length > 0) this.#rejectBack(report);
    const accepted = report.superseded.length === 0 ? report.applied : [...report.applied, ...report.superseded];
    this.#host.commit(
      {
        ops: accepted,
        onDurable: () => {
          this.#durable.add(n);
          this.#tryCovered();
          this.#scheduleAck();
        },
      },
      this,
    );
    this.#host.reportProgress({ peer: this.remotePeer, direction: 'receive', ops: this.#receivedOps, bytes: this.#receivedBytes });
    this.#progressed();
  }

  /** `maxOriginRanges`: refuses a message that would fragment an origin's seq ranges past the limit. */
  #fragmentationRefusal(ops: readonly Operation[]): SyncError | undefined {
    const max = this.#policy.maxOriginRanges;
    if (max === undefined) return undefined;
    for (const [origin, added] of this.#host.newRanges(ops)) {
      if (added > 0 && this.#host.rangeCount(origin) + added > max) {
        return new SyncError('E_RATE_LIMIT', `these operations would split the seqs of ${origin} into more than ${max} ranges here: send them in seq order (this message is resent later)`);
      }
    }
    return undefined;
  }

  #rejectBack(report: ApplyReport): void {
    // One error message per code, listing the refused operations.
    const byCode = new Map<string, { message: string; ids: OpId[] }>();
    for (const { opId, error } of report.rejected) {
      let group = byCode.get(error.code);
      if (group === undefined) {
        group = { message: error.message, ids: [] };
        byCode.set(error.code, group);
      }
      if (opId !== undefined) group.ids.push(opId);
      if (error.code === 'E_EQUIVOCATION') this.#host.reportError(error);
    }
    for (const [code, group] of byCode) this.#sendError(code, group.message, group.ids);
  }

  #onCovered(epoch: number, n: number, claimed: VersionVector): void {
    if (epoch !== this.#epoch) return;
    // What may be believed is decided now (see ConnectOptions.trustCovered); an untrusted claim that
    // says nothing believable still counts as the end of a reply.
    const vv = this.#trustCovered === 'all' ? claimed : this.#trustCovered === 'own-origin' ? ownPrefix(claimed, this.remotePeer) : new VersionVector();
    // Claims wait, by number, for messages 1..n (a catch-up sends one after every batch). Merged when
    // there are too many: a claim held for longer is still true.
    const pending = this.#pendingCovered;
    const at = pending.findIndex((c) => c.n >= n);
    if (at >= 0 && pending[at]!.n === n) pending[at]!.vv.merge(vv);
    else pending.splice(at < 0 ? pending.length : at, 0, { n, vv });
    if (pending.length > MAX_PENDING_COVERED) {
      const [first, second] = pending.splice(0, 2);
      pending.unshift({ n: second!.n, vv: second!.vv.merge(first!.vv) });
    }
    this.#progressed();
    this.#tryCovered();
  }

  #tryCovered(): void {
    const pending = this.#pendingCovered;
    let ready = 0;
    while (ready < pending.length && (this.#durable.hasAllUpTo(pending[ready]!.n) || this.#host.plant === 'early-covered')) ready++;
    if (ready === 0) return;
    const claims = pending.splice(0, ready);
    const claimed = claims.length === 1 ? claims[0]!.vv : claims.reduce((all, c) => all.merge(c.vv), new VersionVector());
    const epoch = this.#epoch;
    // Never let `covered` claim operations this peer refused: they would count as held, and be lost.
    let vv = this.#refused.isEmpty() ? claimed : without(claimed, this.#refused);
    // Operations of causal writers waiting for their dependencies, which this claim names, are recorded
    // with it once the claim brings what they depend on; the others keep waiting and are cut out of the
    // claim (see SyncEngineOptions.causal).
    const released = vv.isEmpty() ? undefined : this.#host.releaseClaimed(vv, this);
    if (released !== undefined && !released.withheld.isEmpty()) vv = without(vv, released.withheld);
    const releasedOps = released === undefined ? [] : [...released.report.applied, ...released.report.superseded];
    for (const op of releasedOps) this.#remoteKnown.add(op);
    this.#host.commit({
      ...(releasedOps.length === 0 ? {} : { ops: releasedOps }),
      ...(vv.isEmpty() ? {} : { covered: vv }),
      onDurable: () => {
        if (epoch !== this.#epoch) return;
        this.#scheduleAck();
        if (!this.#arrived.hasGap() && this.#pendingCovered.length === 0) {
          this.#snapshotIn();
          if (this.#snapshot !== undefined) return;
          this.#receiveComplete = true;
          this.#helloAttempt = 0;
          this.#host.clock.clearTimeout(this.#gapTimer);
          this.#gapTimer = undefined;
          this.#host.sessionChanged(this);
        }
      },
    });
  }

  /**
   * Hands a snapshot over once the whole reply to the snapshot hello is
   * durable: its messages up to the one the authority's `stable` named, and
   * the claim of its plan — what the authority held when it answered. Every
   * operation of that claim it still held unsuperseded was sent in those
   * messages (a plan, or the re-plan of one that fell behind): as this peer
   * acknowledges only what the snapshot brought, nothing it held before
   * counts as known to the authority. So what the claim names and the
   * snapshot did not bring was superseded or collected there. (Until the
   * end is in, the receiving side does not count as complete: a lost
   * `stable` brings a new snapshot hello.)
   */
  #snapshotIn(): void {
    const snapshot = this.#snapshot;
    if (snapshot?.end === undefined || snapshot.epoch !== this.#epoch || !this.#durable.hasAllUpTo(snapshot.end.n)) return;
    this.#snapshot = undefined;
    this.#wantSnapshot = false;
    void this.#host.snapshotComplete(snapshot.received, snapshot.end.covered);
  }

  #progressed(): void {
    // Any message of the current epoch resets the gap timer; incomplete sessions re-arm it.
    const wasComplete = this.#receiveComplete;
    if (this.#arrived.hasGap() || this.#pendingCovered.length > 0) this.#receiveComplete = false;
    this.#host.clock.clearTimeout(this.#gapTimer);
    this.#gapTimer = undefined;
    if (!this.#receiveComplete) this.#armGapTimer();
    if (wasComplete !== this.#receiveComplete) this.#host.sessionChanged(this);
  }

  #armGapTimer(): void {
    if (this.#gapTimer !== undefined || !this.#linkUp) return;
    const { gapMs, maxBackoffMs } = this.#host.timing;
    const delay = gapMs + backoffDelay(this.#helloAttempt, this.#host.clock.random(), gapMs, maxBackoffMs);
    this.#gapTimer = this.#host.clock.setTimeout(() => {
      this.#gapTimer = undefined;
      if (!this.#linkUp || this.#receiveComplete) return;
      // No progress for too long while incomplete: ask again from our current vector.
      this.#helloAttempt++;
      this.#rehello();
    }, delay);
  }

  /** Starts the receiving side over: a hello with a new epoch and the current durable vector. */
  #rehello(): void {
    this.#host.clock.clearTimeout(this.#gapTimer);
    this.#gapTimer = undefined;
    this.#epoch = (this.#epoch + 1) % EPOCH_SPACE;
    this.#arrived = new SeqSet();
    this.#durable = new SeqSet();
    this.#pendingCovered = [];
    this.#refused = new VersionVector();
    this.#receiveComplete = false;
    this.#receivedOps = 0;
    this.#receivedBytes = 0;
    // A hello still waiting to be sent asks under an epoch just left: only the new one matters.
    this.#outbox = this.#outbox.filter((item) => item.kind !== 'message' || item.message.type !== 'hello');
    // A snapshot hello says nothing is held: the authority sends all it has (docs/protocol.md, "Metadata collection").
    this.#snapshot = this.#wantSnapshot ? { epoch: this.#epoch, received: new VersionVector(), end: undefined } : undefined;
    const vv = this.#snapshot === undefined ? this.#host.durableVv() : new VersionVector();
    this.#send({ type: 'hello', protocol: PROTOCOL_VERSION, epoch: this.#epoch, peer: this.#host.peerId, space: this.#host.space, vv });
    this.#armGapTimer();
  }

  /** Sends an ack soon: operations of this session's remote just became durable outside a message (released causal ones). */
  acknowledgeSoon(): void {
    this.#scheduleAck();
  }

  #scheduleAck(): void {
    if (this.#ackScheduled) return;
    this.#ackScheduled = true;
    queueMicrotask(() => {
      this.#ackScheduled = false;
      if (!this.#linkUp || this.#closed) return;
      // One ack waits at most: it carries the durable vector when sent, which covers every earlier one.
      if (!this.#outbox.some((item) => item.kind === 'ack')) this.#outbox.push({ kind: 'ack' });
      this.#flush();
    });
  }

  // ── output ───────────────────────────────────────────────────────────────

  #maxBatchBytes(): number {
    const transportLimit = Math.min(this.connection.capabilities.maxMessageBytes, this.#host.limits.maxMessageBytes);
    return Math.max(1024, Math.min(this.#host.maxBatchBytes, Math.floor(transportLimit / 2)));
  }

  #sendError(code: string, message: string, opIds?: readonly OpId[]): void {
    this.#reply(opIds !== undefined && opIds.length > 0 ? { type: 'error', code, message: message.slice(0, 1000), opIds } : { type: 'error', code, message: message.slice(0, 1000) });
  }

  /**
   * Queues a reply to something the remote sent. Replies count against
   * `maxQueuedReplies`: a remote that keeps asking while it does not read is
   * disconnected rather than allowed to grow this peer's memory.
   */
  #reply(message: SyncMessage): void {
    if (this.#queuedReplies >= this.#maxQueuedReplies) {
      this.#host.reportError(new SyncError('E_RATE_LIMIT', `peer ${this.remotePeer ?? '?'} sends requests faster than it reads the replies (${this.#queuedReplies} waiting): disconnected it`));
      this.#clearOutbox();
      this.connection.close(SLOW_READER_CLOSE_CODE, 'reading too slowly: too many replies waiting');
      return;
    }
    this.#queuedReplies++;
    this.#outbox.push({ kind: 'message', message, reply: true });
    this.#flush();
  }

  #send(message: SyncMessage): void {
    this.#outbox.push({ kind: 'message', message });
    this.#flush();
  }

  /** Numbers what is new, encodes and sends, while the transport's buffer has room. */
  #flush(): void {
    const highWater = this.#host.timing.highWaterBytes;
    while (this.#linkUp && this.connection.bufferedAmount < highWater) {
      const item = this.#outbox.shift();
      if (item === undefined) {
        if (this.#behind && this.#remoteEpoch !== undefined) this.#replan();
        if (this.#outbox.length === 0) break;
        continue;
      }
      let message: SyncMessage;
      switch (item.kind) {
        case 'message':
          message = item.message;
          if (item.reply === true) this.#queuedReplies--;
          break;
        case 'ack':
          // While a snapshot is taken, only what it brought: the authority then sends again whatever else it
          // holds (a re-plan, a push), rather than count on what this peer held before (see #snapshotIn).
          message = { type: 'ack', vv: this.#snapshot === undefined ? this.#host.durableVv() : this.#snapshot.received.intersection(this.#host.durableVv()) };
          break;
        case 'reply-end':
          this.#replyEnd = undefined;
          message = { type: 'stable', vv: (this.#host.currentStable() ?? new VersionVector()).clone(), reply: { epoch: this.#remoteEpoch!, n: this.#nextN, covered: item.covered } };
          break;
        case 'ops': {
          this.#queuedOps -= item.ops.length;
          const n = ++this.#nextN;
          message = { type: 'ops', epoch: this.#remoteEpoch!, n, ops: item.ops };
          this.#pending.addMessage(n, item.ops);
          this.#armResendTimer();
          break;
        }
        case 'covered':
          message = { type: 'covered', epoch: this.#remoteEpoch!, n: this.#nextN, vv: item.vv };
          // A batch's partial claim is not resent: the final covered, which holds it, is.
          if (item.partial !== true) {
            this.#pending.setCovered(this.#nextN, item.vv);
            this.#armResendTimer();
          }
          break;
      }
      let bytes: Uint8Array;
      try {
        bytes = message.type === 'ops' ? encodeOpsMessage(message.epoch, message.n, batchBytes(message.ops), needsCodecV2(message.ops)) : encodeMessage(message);
      } catch (error) {
        this.#host.reportError(isSyncError(error) ? error : new SyncError('E_INTERNAL', 'cannot encode a message', { cause: error }));
        continue;
      }
      try {
        this.connection.send(bytes);
      } catch (error) {
        if (isSyncError(error) && error.code === 'E_TOO_LARGE' && message.type === 'ops') {
          // Cannot ever go through this transport: report it and stop retrying it.
          this.#pending.reject(message.ops);
          this.#host.reportError(new SyncError('E_TOO_LARGE', `a message of ${bytes.length} bytes exceeds what the transport to ${this.remotePeer ?? 'the remote'} accepts`, { cause: error }));
          continue;
        }
        // A transport that breaks its contract (throws anything but a SyncError) is a bug
        // to show, not a link going down to hide; either way the protocol recovers on the next open.
        if (!isSyncError(error)) this.#host.reportError(new SyncError('E_INTERNAL', `the transport to ${this.remotePeer ?? 'the remote'} threw from send(): ${String(error)}`, { cause: error }));
        this.#clearOutbox();
        return;
      }
      if (message.type === 'ops') {
        this.#sentOps += message.ops.length;
        this.#sentBytes += bytes.length;
        this.#host.reportProgress({ peer: this.remotePeer, direction: 'send', ops: this.#sentOps, bytes: this.#sentBytes, totalOps: this.#plannedOps });
      }
    }
  }
}

/** Something waiting to be sent: a finished message, or new operations / a covered numbered when sent. */
type Outgoing =
  | { readonly kind: 'message'; readonly message: SyncMessage; readonly reply?: boolean }
  | { readonly kind: 'ops'; readonly ops: readonly Operation[] }
  | { readonly kind: 'covered'; readonly vv: VersionVector; readonly partial?: boolean }
  | { readonly kind: 'ack' }
  /** The end of the reply to the remote's hello, as a `stable` message (a collection authority's). */
  | { readonly kind: 'reply-end'; readonly covered: VersionVector };

/** Encoded batches, shared by every session a batch is pushed to (the relay's fan-out). */
const batches = new WeakMap<readonly Operation[], Uint8Array>();

function batchBytes(ops: readonly Operation[]): Uint8Array {
  let bytes = batches.get(ops);
  if (bytes === undefined) {
    bytes = encodeOperations(ops);
    batches.set(ops, bytes);
  }
  return bytes;
}

const KNOWN_CODES = new Set<string>([
  'E_INVALID_OP', 'E_INVALID_ORIGIN', 'E_INVALID_SEQ', 'E_INVALID_HLC', 'E_INVALID_COLLECTION', 'E_INVALID_KEY',
  'E_INVALID_KIND', 'E_INVALID_VALUE', 'E_TOO_LARGE', 'E_DECODE', 'E_EQUIVOCATION', 'E_PROTOCOL', 'E_VERSION',
  'E_TIMEOUT', 'E_RATE_LIMIT', 'E_UNAUTHORIZED', 'E_FORBIDDEN', 'E_QUOTA', 'E_CLOCK_SKEW', 'E_POLICY',
  'E_HORIZON',
]);

/**
 * What an untrusted remote's `covered` may say: its own seqs `1..m`. An honest
 * writer's own seqs are a contiguous prefix (written in order, each durable
 * before it is sent), so anything else is not a claim an honest peer makes.
 */
function ownPrefix(vv: VersionVector, origin: PeerId | undefined): VersionVector {
  const out = new VersionVector();
  if (origin === undefined) return out;
  const prefix = vv.contiguous(origin);
  if (prefix > 0) out.addRange(origin, 1, prefix);
  return out;
}

const DEFAULT_REQUEST_BUDGET = { perSecond: 2, burst: 20 };

/** Claims waiting for their messages, at most (more are merged). */
const MAX_PENDING_COVERED = 64;

const EPOCH_SPACE = 2 ** 31;

/** Serial-number comparison (RFC 1982) of epochs, which count up modulo 2^31. */
function isNewerEpoch(epoch: number, than: number): boolean {
  const distance = (epoch - than + EPOCH_SPACE) % EPOCH_SPACE;
  return distance > 0 && distance < EPOCH_SPACE / 2;
}

/** The operations of `vv` that are not in `minus`. */
function without(vv: VersionVector, minus: VersionVector): VersionVector {
  const out = new VersionVector();
  for (const range of vv.missingFrom(minus)) out.addRange(range.origin, range.from, range.to);
  return out;
}
