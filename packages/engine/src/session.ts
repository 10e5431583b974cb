import {
  PROTOCOL_VERSION,
  SyncError,
  backoffDelay,
  decodeMessage,
  encodeMessage,
  encodeOperations,
  encodeOpsMessage,
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
  /** Whether the durable vector holds operations that `known` lacks. */
  remoteLacks(known: VersionVector): boolean;
  plan(remote: VersionVector, maxBatchBytes: number): SyncPlan;
  applyRemote(ops: readonly Operation[], session: Session): ApplyReport;
  digest(options: { leaves: boolean }): StateDigest;
  commit(entry: CommitEntry, source?: Session): void;
  noteAck(peer: PeerId, vv: VersionVector): void;
  reportError(error: SyncError): void;
  reportProgress(progress: SyncProgress): void;
  sessionChanged(session: Session): void;
  sessionClosed(session: Session): void;
}

/** Options of `engine.connect()`. */
export interface ConnectOptions {
  /**
   * Which `covered` claims of the remote to believe. `'all'` for peers you
   * trust; `'own-origin'` (what a relay uses for clients) only accepts the
   * remote's claims about its own operations, so a hostile client cannot make
   * this peer believe it holds operations of others that it never received.
   * @default 'all'
   */
  readonly trustCovered?: 'all' | 'own-origin';
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
}

/**
 * One sync session over one connection: the protocol of docs/protocol.md in
 * both directions (this peer sends what the remote lacks, and receives what
 * it lacks).
 * @internal
 */
export class Session {
  readonly connection: Connection;
  readonly #host: SessionHost;
  readonly #trustCovered: 'all' | 'own-origin';
  readonly #policy: ConnectOptions;
  readonly #unsubscribe: Array<() => void> = [];
  #closed = false;
  #linkUp = false;

  /** The remote's peer id, once its hello arrived. */
  remotePeer: PeerId | undefined;

  // Receiving side: what we asked for with our hello.
  #epoch: number;
  #arrived = new SeqSet();
  #durable = new SeqSet();
  #pendingCovered: { n: number; vv: VersionVector } | undefined;
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
  #sentOps = 0;
  #sentBytes = 0;

  // Digests asked of the remote.
  #nextDigestId = 1;
  readonly #digestRequests = new Map<number, { resolve: (digest: StateDigest) => void; reject: (error: SyncError) => void; timer: unknown }>();

  constructor(host: SessionHost, connection: Connection, options: ConnectOptions = {}) {
    this.#host = host;
    this.connection = connection;
    this.#trustCovered = options.trustCovered ?? 'all';
    this.#policy = options;
    this.#epoch = Math.floor(host.clock.random() * EPOCH_SPACE);
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
      case 'error':
        this.#onRemoteError(message.code, message.message, message.opIds ?? []);
        return;
      case 'digest-request': {
        const digest = this.#host.digest({ leaves: message.leaves });
        this.#send({ type: 'digest', id: message.id, ...digest });
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
    this.remotePeer = peer;
    this.#remoteEpoch = epoch;
    this.#nextN = 0;
    this.#remoteKnown = vv.clone();
    this.#dropNewOps();
    this.#behind = false;
    this.#pending.clear();
    this.#host.clock.clearTimeout(this.#coveredTimer);
    this.#coveredTimer = undefined;
    const plan = this.#host.plan(vv, this.#maxBatchBytes());
    this.#plannedOps = plan.opCount;
    this.#sentOps = 0;
    this.#sentBytes = 0;
    for (const batch of plan.batches) this.#sendOps(batch);
    this.#sendCovered(plan.covered);
    this.#flush();
    this.#host.sessionChanged(this);
  }

  #sendOps(ops: readonly Operation[]): void {
    this.#outbox.push({ kind: 'ops', ops });
    this.#queuedOps += ops.length;
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
    this.#outbox = this.#outbox.filter((item) => item.kind === 'message');
    this.#queuedOps = 0;
  }

  /** After falling behind: send what the remote lacks now, from what it is known to hold. */
  #replan(): void {
    this.#behind = false;
    const plan = this.#host.plan(this.#remoteKnown, this.#maxBatchBytes());
    this.#plannedOps += plan.opCount;
    for (const batch of plan.batches) this.#sendOps(batch);
    this.#outbox.push({ kind: 'covered', vv: plan.covered.clone() });
  }

  #clearOutbox(): void {
    this.#outbox = [];
    this.#queuedOps = 0;
    this.#behind = false;
  }

  #onAck(vv: VersionVector): void {
    if (this.remotePeer === undefined) return;
    this.#remoteKnown.merge(vv);
    const progress = this.#pending.ack(vv);
    this.#host.noteAck(this.remotePeer, vv);
    if (progress) {
      this.#host.clock.clearTimeout(this.#resendTimer);
      this.#resendTimer = undefined;
      this.#armResendTimer();
      this.#host.sessionChanged(this);
    }
  }

  #onRemoteError(code: string, message: string, opIds: readonly OpId[]): void {
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
    const refusal = this.#policy.admit?.(ops);
    if (refusal !== undefined) {
      // Not marked as arrived: the remote resends it later, as for a lost message.
      this.#sendError(refusal.code, refusal.message);
      this.#progressed();
      return;
    }
    this.#arrived.add(n);
    this.#receivedOps += ops.length;
    this.#receivedBytes += bytes;
    const forbidden: ApplyReport['rejected'] = [];
    let allowed: readonly Operation[] = ops;
    if (this.#policy.acceptWrites === false || this.#policy.acceptOrigins === 'own') {
      const kept: Operation[] = [];
      allowed = kept;
      for (const op of ops) {
        const reason =
          this.#policy.acceptWrites === false
            ? 'this connection is read-only: its token does not grant writes'
            : op.origin !== this.remotePeer
              ? `peer ${this.remotePeer ?? '?'} may only send its own operations, not ${op.origin}'s`
              : undefined;
        if (reason === undefined) kept.push(op);
        else forbidden.push({ opId: { origin: op.origin, seq: op.seq }, error: new SyncError('E_FORBIDDEN', reason) });
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

  #onCovered(epoch: number, n: number, vv: VersionVector): void {
    if (epoch !== this.#epoch) return;
    if (this.#pendingCovered === undefined || n >= this.#pendingCovered.n) this.#pendingCovered = { n, vv };
    this.#progressed();
    this.#tryCovered();
  }

  #tryCovered(): void {
    const covered = this.#pendingCovered;
    if (covered === undefined) return;
    if (!this.#durable.hasAllUpTo(covered.n) && this.#host.plant !== 'early-covered') return;
    this.#pendingCovered = undefined;
    const epoch = this.#epoch;
    const trusted = this.#trustCovered === 'all' ? covered.vv : ownOrigin(covered.vv, this.remotePeer);
    // Never let `covered` claim operations this peer refused: they would count as held, and be lost.
    const vv = this.#refused.isEmpty() ? trusted : without(trusted, this.#refused);
    this.#host.commit({
      covered: vv,
      onDurable: () => {
        if (epoch !== this.#epoch) return;
        this.#scheduleAck();
        if (!this.#arrived.hasGap() && this.#pendingCovered === undefined) {
          this.#receiveComplete = true;
          this.#helloAttempt = 0;
          this.#host.clock.clearTimeout(this.#gapTimer);
          this.#gapTimer = undefined;
          this.#host.sessionChanged(this);
        }
      },
    });
  }

  #progressed(): void {
    // Any message of the current epoch resets the gap timer; incomplete sessions re-arm it.
    const wasComplete = this.#receiveComplete;
    if (this.#arrived.hasGap() || this.#pendingCovered !== undefined) this.#receiveComplete = false;
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
    this.#pendingCovered = undefined;
    this.#refused = new VersionVector();
    this.#receiveComplete = false;
    this.#receivedOps = 0;
    this.#receivedBytes = 0;
    this.#send({ type: 'hello', protocol: PROTOCOL_VERSION, epoch: this.#epoch, peer: this.#host.peerId, space: this.#host.space, vv: this.#host.durableVv() });
    this.#armGapTimer();
  }

  #scheduleAck(): void {
    if (this.#ackScheduled) return;
    this.#ackScheduled = true;
    queueMicrotask(() => {
      this.#ackScheduled = false;
      if (this.#linkUp && !this.#closed) this.#send({ type: 'ack', vv: this.#host.durableVv() });
    });
  }

  // ── output ───────────────────────────────────────────────────────────────

  #maxBatchBytes(): number {
    const transportLimit = Math.min(this.connection.capabilities.maxMessageBytes, this.#host.limits.maxMessageBytes);
    return Math.max(1024, Math.min(this.#host.maxBatchBytes, Math.floor(transportLimit / 2)));
  }

  #sendError(code: string, message: string, opIds?: readonly OpId[]): void {
    this.#send(opIds !== undefined && opIds.length > 0 ? { type: 'error', code, message: message.slice(0, 1000), opIds } : { type: 'error', code, message: message.slice(0, 1000) });
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
          this.#pending.setCovered(this.#nextN, item.vv);
          this.#armResendTimer();
          break;
      }
      let bytes: Uint8Array;
      try {
        bytes = message.type === 'ops' ? encodeOpsMessage(message.epoch, message.n, batchBytes(message.ops)) : encodeMessage(message);
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
  | { readonly kind: 'message'; readonly message: SyncMessage }
  | { readonly kind: 'ops'; readonly ops: readonly Operation[] }
  | { readonly kind: 'covered'; readonly vv: VersionVector };

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
  'E_TIMEOUT', 'E_RATE_LIMIT', 'E_UNAUTHORIZED', 'E_FORBIDDEN', 'E_QUOTA',
]);

function ownOrigin(vv: VersionVector, origin: PeerId | undefined): VersionVector {
  const out = new VersionVector();
  if (origin === undefined) return out;
  for (const [from, to] of vv.ranges(origin)) out.addRange(origin, from, to);
  return out;
}

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
