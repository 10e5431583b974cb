import {
  EventListeners,
  HorizonResetError,
  SyncError,
  VersionVector,
  assertPeerId,
  checkName,
  copyValue,
  compareHlc,
  createHlc,
  generatePeerId,
  isOperationType,
  isSyncError,
  opIdKey,
  validateOperation,
  resolveLimits,
  rethrowLater,
  systemClock,
  toSyncError,
  type Clock,
  type Connection,
  type Dependencies,
  type Hlc,
  type HybridClock,
  type JsonValue,
  type Limits,
  type OpId,
  type Operation,
  type OperationType,
  type PeerId,
  type Wal,
} from '@softadastra/sync-core';
import { applyBatch, type ApplyReport, type DeclaredPolicy } from '@softadastra/sync-applier';
import { planSync, type SyncPlan } from '@softadastra/sync-planner';
import {
  compareOperations,
  computeDigest,
  isTyped,
  mergeInto,
  type AnyPolicy,
  type DigestOptions,
  type OperationOrder,
  type StateDigest,
} from '@softadastra/sync-reconciler';
import { policiesFor } from './planted-policies.js';
import { CommitQueue, type CommitEntry } from './commit-queue.js';
import { equivocationInLog, recover, repairedOnOpen } from './recovery.js';
import type { Replica } from './replica.js';
import { RESET_META, STABLE_META, StabilityTracker, readStable } from './stability.js';
import { Session, type ConnectOptions, type SessionHost } from './session.js';
import type { Change, PlantedBug, SyncEngineEvents, SyncEngineOptions, SyncProgress, SyncSession, SyncStatus, Timing } from './types.js';

/** Local writes that share one commit entry. */
interface LocalBatch {
  readonly ops: Operation[];
  readonly waiters: Array<{ readonly op: Operation; readonly resolve: (op: Operation) => void; readonly reject: (error: unknown) => void }>;
}

const DEFAULT_TIMING: Timing = {
  resendMs: 3000,
  gapMs: 5000,
  maxBackoffMs: 30_000,
  coveredDelayMs: 50,
  highWaterBytes: 1024 * 1024,
  maxQueuedOps: 20_000,
  recordAcksMs: 1000,
  causalWaitMs: 30_000,
  maxWaitingOps: 50_000,
  stableDelayMs: 10_000,
};

/** A received operation held back until what its writer had seen is here (see {@link SyncEngineOptions.causal}). */
interface Waiting {
  readonly op: Operation;
  readonly source: Session;
  readonly since: number;
}

type EngineState = 'open' | 'recovering' | 'failed' | 'closing' | 'closed';

/**
 * A sync engine for one space: a local last-writer-wins store made durable
 * through a {@link Wal}, synced with other peers over any {@link Connection}.
 *
 * @remarks
 * The engine does no I/O of its own. A write is applied in memory, appended
 * to the WAL (concurrent writes share one append), and only then resolved and
 * sent; a received operation is only acknowledged once durable.
 */
export interface SyncEngine {
  /** This peer's id. */
  readonly peerId: PeerId;
  /** The space synced. */
  readonly space: string;
  /** The aggregate sync status. */
  readonly status: SyncStatus;
  /** The size limits in force (the defaults with {@link SyncEngineOptions.limits} applied). */
  readonly limits: Limits;
  /**
   * Writes a value. Resolves once the write is durable, with its operation.
   *
   * @remarks
   * Input is checked before the promise is returned: an invalid collection,
   * key or value throws synchronously (nothing is written, nothing applied),
   * so a write that is not awaited cannot fail unseen. Only what depends on
   * the engine's state arrives through the promise (`E_CLOSED`, `E_WAL_FAILED`).
   *
   * @throws SyncError (synchronously) `E_INVALID_COLLECTION`, `E_INVALID_KEY`, `E_INVALID_VALUE` or `E_TOO_LARGE`
   */
  put(collection: string, key: string, value: JsonValue): Promise<Operation>;
  /**
   * Deletes a key (writes a tombstone). Resolves once durable.
   *
   * @throws SyncError (synchronously) `E_INVALID_COLLECTION` or `E_INVALID_KEY`, as {@link SyncEngine.put}
   */
  delete(collection: string, key: string): Promise<Operation>;
  /**
   * Declares a collection's merge policy (also {@link SyncEngineOptions.collections}):
   * `'lww'` (the default of an undeclared collection) or a typed policy,
   * `'mv' | 'counter' | 'set' | 'map'`. Every peer of a space must declare a
   * collection alike: a peer rejects, with `E_POLICY`, an operation whose
   * policy is not its collection's declared one.
   *
   * @throws SyncError `E_POLICY` when the collection is declared with another policy already, or the policy is unknown
   */
  declare(collection: string, policy: DeclaredPolicy): void;
  /** The declared policy of a collection, if it was declared. */
  policyOf(collection: string): DeclaredPolicy | undefined;
  /**
   * Writes one operation of a typed collection. `payload` is called with the
   * key's current policy state (both what is durable and what is on its way)
   * and this peer's id, at the moment the write is stamped, and returns the
   * policy's payload (e.g. the reconciler's `counterIncrement(state, origin, 1)`).
   * Resolves once durable, like {@link SyncEngine.put}.
   *
   * @throws SyncError (synchronously, when the engine is open) `E_POLICY` for a collection declared otherwise, an unknown
   * type or a payload the policy refuses; `E_INVALID_COLLECTION`, `E_INVALID_KEY`, `E_INVALID_VALUE`, `E_TOO_LARGE`
   * as {@link SyncEngine.put}; whatever `payload` throws
   */
  update(collection: string, key: string, type: OperationType, payload: (state: unknown, origin: PeerId) => JsonValue): Promise<Operation>;
  /** The policy state of a typed key (both layers), or `undefined` when nothing of that type was written to it. */
  getState(collection: string, key: string, type: OperationType): unknown;
  /** Every key of a typed collection with its policy state. */
  stateEntries(collection: string, type: OperationType): Array<[string, unknown]>;
  /**
   * The current value of a key, or `undefined` (never written, or deleted).
   * For a collection declared with a typed policy, the policy's value
   * (a counter's number, a set's values, an mv register's values, a map's object). Treat it as read-only.
   */
  get(collection: string, key: string): JsonValue | undefined;
  /** Whether a key currently has a value (for a typed collection: whether anything was written to it). */
  has(collection: string, key: string): boolean;
  /** The winning operation of an LWW key, tombstones included. */
  getOperation(collection: string, key: string): Operation | undefined;
  /** Every `[key, value]` of a collection (deleted keys left out; for a typed collection, its policy values). */
  entries(collection: string): Array<[string, JsonValue]>;
  /** The names of the collections holding at least one key. */
  collections(): string[];
  /** What this peer holds durably (a copy). */
  versionVector(): VersionVector;
  /**
   * Every operation this peer holds, durable or on its way to its WAL (a
   * copy): what its state shows. Operations of causal writers held back
   * (waiting for what their writer had seen) are not in it.
   */
  heldVector(): VersionVector;
  /** How many received operations are held back, waiting for what their writer had seen (causal spaces). */
  readonly waitingOps: number;
  /**
   * The received operations held back (a copy of the list), for inspection:
   * each waits for its writer's earlier operations and its `deps`.
   */
  waitingOperations(): Operation[];
  /** A digest of the durable state, to compare with another peer's. */
  digest(options?: DigestOptions): StateDigest;
  /** Starts a sync session over a connection. */
  connect(connection: Connection, options?: ConnectOptions): SyncSession;
  /** The open sessions. */
  sessions(): SyncSession[];
  /**
   * Whether `peer` has acknowledged holding the operation durably; without
   * `peer`, whether a remote whose acks are recorded did
   * ({@link ConnectOptions.recordAcks}).
   *
   * @remarks
   * Recorded acks survive a restart: an earlier write can be asked about
   * before any session is up again. They only cover this peer's own writes,
   * and after a crash the last moments of acks may be forgotten (`false`
   * until the remote acks again — never `true` wrongly).
   */
  isAcked(id: OpId, peer: PeerId): boolean;
  isAcked(id: OpId): boolean;
  /**
   * Resolves once `peer` (or, without it, any peer: live sessions and
   * recorded acks) acknowledges the operation; at once when a recorded ack
   * already covers it, after a restart too.
   */
  whenAcked(id: OpId, peer?: PeerId): Promise<void>;
  /**
   * Local writes that `peer` has not acknowledged yet; without `peer`, the
   * local writes that no remote whose acks are recorded has acknowledged
   * ({@link ConnectOptions.recordAcks}). Known from the WAL after a restart,
   * without reconnecting; may over-count after a crash, never under-count.
   */
  unacked(peer: PeerId): number;
  unacked(): number;
  /** Waits until every write issued so far is durable. */
  flush(): Promise<void>;
  /** Replaces the WAL's records by a snapshot of the durable state. */
  compact(): Promise<void>;
  /** Listens to an event; returns a function that removes the listener. */
  on<E extends keyof SyncEngineEvents>(event: E, listener: SyncEngineEvents[E]): () => void;
  /** Flushes pending writes, ends every session and closes the WAL. */
  close(): Promise<void>;
}

/**
 * Opens a sync engine: replays the WAL (state, version vector, clock, next
 * sequence number) and returns once it is ready.
 *
 * @param options - see {@link SyncEngineOptions}
 */
export async function createSyncEngine(options: SyncEngineOptions): Promise<SyncEngine> {
  const engine = new Engine(options);
  await engine.open();
  return engine;
}

class Engine implements SyncEngine, SessionHost {
  readonly space: string;
  readonly limits: Limits;
  readonly clock: Clock;
  readonly timing: Timing;
  readonly maxBatchOps: number;
  readonly maxBatchBytes: number;
  readonly plant: PlantedBug | undefined;
  peerId!: PeerId;
  #order: OperationOrder = compareOperations;
  readonly #policies: (type: OperationType) => AnyPolicy;
  /** Declared merge policies, by collection (see {@link SyncEngine.declare}). */
  readonly #declared = new Map<string, DeclaredPolicy>();
  readonly #policyOf = (collection: string): DeclaredPolicy | undefined => this.#declared.get(collection);

  readonly #wal: Wal;
  readonly #options: SyncEngineOptions;
  readonly #emitter: EventListeners<SyncEngineEvents>;
  readonly #sessions = new Set<Session>();
  /** What each remote acknowledged (live, and recorded ones from the WAL). */
  readonly #acked = new Map<PeerId, VersionVector>();
  /**
   * The acks kept durably (ConnectOptions.recordAcks): per remote, the part
   * about this peer's own durable writes. Written to the WAL's meta under
   * `acked:<peer>`, coalesced; `#ackRecordDirty` are the remotes not written yet.
   */
  readonly #recordedAcks = new Map<PeerId, VersionVector>();
  readonly #ackRecordDirty = new Set<PeerId>();
  #ackRecordTimer: unknown;
  /** The session each received batch came from (not pushed back to it). */
  readonly #sources = new WeakMap<CommitEntry, Session>();
  #ackWaiters: Array<{ id: OpId; peer: PeerId | undefined; resolve: () => void; reject: (e: unknown) => void }> = [];
  /** The clock's keep-alive hold, taken while `#ackWaiters` is not empty (see {@link Clock.keepAlive}). */
  #releaseHold: (() => void) | undefined;
  #replica!: Replica;
  #queue!: CommitQueue;
  #hlc!: HybridClock;
  #nextSeq = 1;
  #meta: Record<string, string> = {};
  #state: EngineState = 'recovering';
  #ready: Promise<void> = Promise.resolve();
  #status: SyncStatus = 'offline';
  #opsSinceSnapshot = 0;
  /** Counts changes of the durable state (digest cache key). */
  #stateVersion = 0;
  readonly #digests: { version: number; plain: StateDigest | undefined; leaves: StateDigest | undefined } = { version: -1, plain: undefined, leaves: undefined };
  #compacting = false;
  /** Local writes waiting for the next WAL append (see #queueLocal). */
  #localBatch: LocalBatch | undefined;
  /** Received operations of causal writers whose dependencies are not held yet, by `origin:seq`. */
  readonly #waiting = new Map<string, Waiting>();
  #waitTimer: unknown;
  /** The members and stable vector of this space, when this peer is its collection authority (option `gc`). */
  readonly #stability: StabilityTracker | undefined;
  /** The sessions whose remote counts as a connected member, with that member. */
  readonly #memberSessions = new Map<Session, PeerId>();
  #stableTimer: unknown;
  #expiryTimer: unknown;
  #stableResendTimer: unknown;
  /**
   * This peer must take a snapshot from its collection authority (it was
   * refused with `E_HORIZON`; kept in the WAL's meta until it is done).
   */
  #resetPending = false;
  /** The greatest stable vector this peer knows (its authority's, or its own as one), kept in the WAL's meta. */
  #knownStable: VersionVector | undefined;

  constructor(options: SyncEngineOptions) {
    this.#options = options;
    this.#wal = options.wal;
    this.space = options.space ?? 'default';
    this.limits = resolveLimits(options.limits);
    this.clock = options.clock ?? systemClock;
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    this.maxBatchOps = Math.min(options.batch?.maxOps ?? 1000, this.limits.maxBatchOps);
    this.maxBatchBytes = options.batch?.maxBytes ?? 256 * 1024;
    this.plant = options.plant;
    this.#policies = policiesFor(options.plant);
    this.#stability = options.gc === undefined ? undefined : new StabilityTracker(options.gc.horizonMs);
    for (const [collection, policy] of Object.entries(options.collections ?? {})) this.declare(collection, policy);
    this.#emitter = new EventListeners<SyncEngineEvents>(['change', 'status', 'progress', 'error', 'ack', 'session'], (error, event) => {
      // A throwing error listener must not loop back into the error event.
      if (event === 'error') rethrowLater(error);
      else this.reportError(toSyncError(error, 'E_INTERNAL', `a ${String(event)} listener threw`));
    });
    if (options.peerId !== undefined) assertPeerId(options.peerId);
    if (typeof this.space !== 'string' || this.space.length === 0) throw new SyncError('E_INVALID_ARGUMENT', 'space must be a non-empty string');
  }

  async open(): Promise<void> {
    // The id decides the order only under the planted tie-break defect; it is known after replay otherwise.
    if (this.plant === 'receiver-tiebreak') this.#order = tiebreakOnReceiver(() => this.peerId);
    if (this.plant === 'compare-operations') this.#order = counterInverted;
    const recovered = await recover(this.#wal, this.#order, this.#policies);
    const stored = recovered.meta;
    if (stored['space'] !== undefined && stored['space'] !== this.space) {
      await this.#wal.close();
      throw new SyncError('E_INVALID_ARGUMENT', `this WAL holds space ${JSON.stringify(stored['space'])}, not ${JSON.stringify(this.space)}: open it with that space or use another storage`);
    }
    this.peerId = this.#options.peerId ?? stored['peerId'] ?? generatePeerId();
    try {
      this.#install(recovered);
    } catch (error) {
      await this.#wal.close();
      throw error;
    }
    this.#state = 'open';
    if (stored['peerId'] !== this.peerId || stored['space'] !== this.space) {
      // Persist who we are before anything is written under this id.
      await this.#commit({ meta: { peerId: this.peerId, space: this.space } });
    }
  }

  #install(recovered: Awaited<ReturnType<typeof recover>>): void {
    this.#stateVersion++;
    this.#replica = recovered.replica;
    this.#meta = recovered.meta;
    this.#opsSinceSnapshot = recovered.opsSinceSnapshot;
    this.#nextSeq = this.#replica.durableVv.max(this.peerId) + 1;
    this.#resetPending = this.#meta[RESET_META] === '1';
    this.#loadRecordedAcks();
    this.#stability?.load(this.#meta, this.clock.now());
    // What was collected before stays collected (a replay of the log brings the removes back).
    this.#knownStable = readStable(this.#meta);
    if (this.#knownStable !== undefined) this.#replica.durable.collect(this.#knownStable.intersection(this.#replica.durableVv));
    const maxHlc = recovered.maxHlc;
    let replaying = true;
    this.#hlc = createHlc({
      peerId: this.peerId,
      now: () => this.clock.now(),
      ...(this.#options.maxDriftMs !== undefined ? { maxDriftMs: this.#options.maxDriftMs } : {}),
      onDrift: (event) => {
        if (replaying) {
          // The log itself is ahead of this clock: say so once, in words that fit (docs/protocol.md, "Clocks").
          this.reportError(
            new SyncError(
              'E_CLOCK_SKEW',
              `this peer's log holds operations stamped ${Math.round(event.driftMs / 1000)} s ahead of its clock (the newest by ${event.remote.peer}); new writes are stamped at most ${event.maxDriftMs} ms past the clock, so they lose to those operations on their keys. If this clock was wrong when they were written, they stay unacknowledged until a relay's clock reaches them (docs/protocol.md, "Clocks")`,
            ),
          );
        } else {
          this.reportError(new SyncError('E_INVALID_HLC', `a remote timestamp from ${event.remote.peer} is ${event.driftMs} ms ahead of this clock (limit ${event.maxDriftMs} ms): its clock or ours is wrong`));
        }
      },
    });
    if (maxHlc !== undefined) this.#hlc.receive(maxHlc);
    replaying = false;
    this.#queue = new CommitQueue(this.#wal, (entries) => this.#onCommitted(entries), (error) => this.#onWalFailure(error));
    this.#localBatch = undefined;
    if (recovered.equivocations.length > 0) this.reportError(equivocationInLog(recovered.equivocations, this.peerId));
    if (recovered.repair !== undefined) this.reportError(repairedOnOpen(recovered.repair, this.peerId));
  }

  // ── writes ────────────────────────────────────────────────────────────────

  put(collection: string, key: string, value: JsonValue): Promise<Operation> {
    // Checked (and copied) before anything else: bad input throws here, even when nobody awaits the write.
    const stored = this.#checkWrite(collection, key, 'put', value);
    return this.#write(collection, key, 'put', stored);
  }

  delete(collection: string, key: string): Promise<Operation> {
    this.#checkWrite(collection, key, 'del', undefined);
    return this.#write(collection, key, 'del', undefined);
  }

  declare(collection: string, policy: DeclaredPolicy): void {
    const collectionError = checkName(collection, 'collection', this.limits.maxCollectionBytes, 'E_INVALID_COLLECTION');
    if (collectionError) throw new SyncError(collectionError[0], collectionError[1]);
    if (policy !== 'lww' && !isOperationType(policy)) {
      throw new SyncError('E_POLICY', `collection ${JSON.stringify(collection)}: unknown merge policy ${JSON.stringify(String(policy))} (known: lww, mv, counter, set, map)`);
    }
    const known = this.#declared.get(collection);
    if (known !== undefined && known !== policy) {
      throw new SyncError('E_POLICY', `collection ${JSON.stringify(collection)} is declared ${known} already; it cannot become ${policy} (every peer of a space must declare it alike)`);
    }
    this.#declared.set(collection, policy);
  }

  policyOf(collection: string): DeclaredPolicy | undefined {
    return this.#declared.get(collection);
  }

  update(collection: string, key: string, type: OperationType, payload: (state: unknown, origin: PeerId) => JsonValue): Promise<Operation> {
    this.#checkNames(collection, key);
    if (!isOperationType(type)) throw new SyncError('E_POLICY', `unknown merge policy ${JSON.stringify(String(type))} (known: mv, counter, set, map)`);
    const declared = this.#declared.get(collection);
    if (declared !== undefined && declared !== type) {
      throw new SyncError('E_POLICY', `collection ${JSON.stringify(collection)} is declared ${declared}: it takes no ${type} writes`);
    }
    if (typeof payload !== 'function') throw new SyncError('E_INVALID_ARGUMENT', 'update needs a function (state, origin) => payload');
    if (this.#state !== 'open') return this.#whenWritable().then(() => this.update(collection, key, type, payload));
    const policy = this.#policies(type);
    const state: unknown = this.#replica.getTyped(type, collection, key)?.state ?? policy.empty();
    const copied = copyValue(payload(state, this.peerId), this.limits);
    if (!copied.ok) throw copied.error;
    const check = policy.validatePayload(copied.value);
    if (!check.ok) throw new SyncError('E_POLICY', `a ${type} write to ${JSON.stringify(collection)}/${JSON.stringify(key)}: ${check.error.message}`, { cause: check.error });
    return this.#write(collection, key, 'put', check.value as JsonValue, type);
  }

  /**
   * Validates a local write synchronously and returns the value to store (a
   * copy, so later changes by the caller cannot reach it).
   *
   * @throws SyncError `E_INVALID_COLLECTION`, `E_INVALID_KEY`, `E_INVALID_VALUE`, `E_TOO_LARGE`
   */
  #checkWrite(collection: string, key: string, kind: 'put' | 'del', value: JsonValue | undefined): JsonValue | undefined {
    this.#checkNames(collection, key);
    const declared = this.#declared.size === 0 ? undefined : this.#declared.get(collection);
    if (declared !== undefined && declared !== 'lww') {
      throw new SyncError('E_POLICY', `collection ${JSON.stringify(collection)} is declared ${declared}: write it through its ${declared} operations, not ${kind === 'put' ? 'put' : 'delete'}`);
    }
    if (kind === 'del') return undefined;
    // Checked and copied in one walk.
    const checked = copyValue(value, this.limits);
    if (!checked.ok) throw checked.error;
    return checked.value;
  }

  /** @throws SyncError `E_INVALID_COLLECTION`, `E_INVALID_KEY` */
  #checkNames(collection: string, key: string): void {
    const collectionError = checkName(collection, 'collection', this.limits.maxCollectionBytes, 'E_INVALID_COLLECTION');
    if (collectionError) throw new SyncError(collectionError[0], collectionError[1]);
    const keyError = checkName(key, 'key', this.limits.maxKeyBytes, 'E_INVALID_KEY');
    if (keyError) throw new SyncError(keyError[0], keyError[1]);
  }

  /** Stamps, applies and queues a write already validated by {@link #checkWrite}. */
  #write(collection: string, key: string, kind: 'put' | 'del', stored: JsonValue | undefined, type?: OperationType): Promise<Operation> {
    if (this.#state !== 'open') return this.#whenWritable().then(() => this.#write(collection, key, kind, stored, type));
    const seq = this.#nextSeq++;
    const hlc = this.#hlc.now();
    const origin = this.peerId;
    let op: Operation;
    if (this.#options.causal === true) {
      const deps = this.#dependencies();
      op =
        kind === 'del'
          ? { origin, seq, hlc, collection, key, deps, kind }
          : type === undefined
            ? { origin, seq, hlc, collection, key, deps, kind, value: stored as JsonValue }
            : { origin, seq, hlc, collection, key, deps, kind, type, value: stored as JsonValue };
    } else {
      // Object literals of one shape each (the hot path of every LWW write).
      op =
        kind === 'del'
          ? { origin, seq, hlc, collection, key, kind }
          : type === undefined
            ? { origin, seq, hlc, collection, key, kind, value: stored as JsonValue }
            : { origin, seq, hlc, collection, key, kind, type, value: stored as JsonValue };
    }
    // A new id: it cannot be a duplicate; it wins unless a remote write is stamped in the future.
    this.#replica.seen.add(op);
    if (mergeInto(this.#replica, op, this.#order) === 'won') this.#emitChanges([op], 'local');
    if (this.plant === 'send-before-durable') for (const session of this.#sessions) session.push([op]);
    return new Promise((resolve, reject) => this.#queueLocal(op, resolve, reject));
  }

  /**
   * What this peer has seen of every other origin, as the contiguous prefix
   * it holds (a gap is rare and only makes the claim smaller): the
   * dependencies of a causal write. The same object while nothing changes,
   * so consecutive writes share it on the wire.
   */
  #dependencies(): Dependencies {
    const seen = this.#replica.seen;
    const previous = this.#lastDeps;
    const ends = new Map<PeerId, number>();
    let same = previous !== undefined;
    for (const [origin, list] of seen.entries()) {
      if (origin === this.peerId || list[0] !== 1) continue;
      const end = list[1]!;
      ends.set(origin, end);
      if (same && previous![origin] !== end) same = false;
    }
    if (same && Object.keys(previous!).length === ends.size) return previous!;
    // In origin order, as the codec writes them: one operation, one form.
    const deps: Record<PeerId, number> = {};
    for (const origin of [...ends.keys()].sort()) deps[origin] = ends.get(origin)!;
    this.#lastDeps = deps;
    return deps;
  }

  #lastDeps: Dependencies | undefined;

  /**
   * Adds a local write to the batch of local writes waiting for the WAL: one
   * queue entry (and one record) for every write issued before the next
   * append starts, however many there are.
   */
  #queueLocal(op: Operation, resolve: (op: Operation) => void, reject: (error: unknown) => void): void {
    let batch = this.#localBatch;
    if (batch === undefined) {
      const created: LocalBatch = { ops: [], waiters: [] };
      batch = created;
      this.#localBatch = created;
      this.commit({
        ops: created.ops,
        seal: () => {
          if (this.#localBatch === created) this.#localBatch = undefined;
        },
        onDurable: () => {
          for (const waiter of created.waiters) waiter.resolve(waiter.op);
        },
        onFailed: (error) => {
          if (this.#localBatch === created) this.#localBatch = undefined;
          for (const waiter of created.waiters) waiter.reject(error);
        },
      });
    }
    batch.ops.push(op);
    batch.waiters.push({ op, resolve, reject });
  }

  #commit(entry: Omit<CommitEntry, 'onDurable' | 'onFailed'>, source?: Session): Promise<void> {
    return new Promise((resolve, reject) => {
      this.commit({ ...entry, onDurable: resolve, onFailed: reject }, source);
    });
  }

  async #whenWritable(): Promise<void> {
    if (this.#state === 'recovering') await this.#ready;
    if (this.#state === 'open') return;
    if (this.#state === 'failed') throw new SyncError('E_WAL_FAILED', 'the WAL failed and could not be reopened; see the error event for the cause');
    throw new SyncError('E_CLOSED', 'the engine is closed');
  }

  async flush(): Promise<void> {
    await this.#queue.idle();
  }

  // ── reads ─────────────────────────────────────────────────────────────────

  get(collection: string, key: string): JsonValue | undefined {
    const type = this.#declaredType(collection);
    if (type !== undefined) return this.#typedValue(type, collection, key);
    const op = this.#replica.get(collection, key);
    return op?.kind === 'put' ? op.value : undefined;
  }

  has(collection: string, key: string): boolean {
    const type = this.#declaredType(collection);
    if (type !== undefined) return this.#replica.getTyped(type, collection, key) !== undefined;
    return this.#replica.get(collection, key)?.kind === 'put';
  }

  getState(collection: string, key: string, type: OperationType): unknown {
    return this.#replica.getTyped(type, collection, key)?.state;
  }

  stateEntries(collection: string, type: OperationType): Array<[string, unknown]> {
    const out: Array<[string, unknown]> = [];
    for (const typed of this.#replica.typedEntries(type, collection)) out.push([typed.key, typed.state]);
    return out;
  }

  /** The typed policy declared for a collection, if any (`undefined` for LWW and undeclared). */
  #declaredType(collection: string): OperationType | undefined {
    if (this.#declared.size === 0) return undefined;
    const declared = this.#declared.get(collection);
    return declared === undefined || declared === 'lww' ? undefined : declared;
  }

  /** The policy value of a typed key; `undefined` when nothing was written to it. */
  #typedValue(type: OperationType, collection: string, key: string): JsonValue | undefined {
    const typed = this.#replica.getTyped(type, collection, key);
    return typed === undefined ? undefined : (this.#policies(type).value(typed.state) as JsonValue);
  }

  getOperation(collection: string, key: string): Operation | undefined {
    return this.#replica.get(collection, key);
  }

  entries(collection: string): Array<[string, JsonValue]> {
    const out: Array<[string, JsonValue]> = [];
    const type = this.#declaredType(collection);
    if (type !== undefined) {
      const policy = this.#policies(type);
      for (const typed of this.#replica.typedEntries(type, collection)) out.push([typed.key, policy.value(typed.state) as JsonValue]);
      return out;
    }
    for (const [key, op] of this.#replica.collectionEntries(collection)) if (op.kind === 'put') out.push([key, op.value]);
    return out;
  }

  collections(): string[] {
    return [...new Set([...this.#replica.durable.collections(), ...this.#replica.overlay.collections()])];
  }

  versionVector(): VersionVector {
    return this.#replica.durableVv.clone();
  }

  heldVector(): VersionVector {
    return this.#replica.seen.clone();
  }

  get waitingOps(): number {
    return this.#waiting.size;
  }

  waitingOperations(): Operation[] {
    return [...this.#waiting.values()].map((entry) => entry.op);
  }

  digest(options?: DigestOptions): StateDigest {
    // Cached until the durable state changes: a digest walks every key, and peers may ask often.
    const leaves = options?.leaves === true;
    const custom = options !== undefined && Object.keys(options).some((name) => name !== 'leaves');
    if (custom) return computeDigest(this.#replica.durable.winners(), options);
    const cache = this.#digests;
    if (cache.version !== this.#stateVersion) {
      cache.version = this.#stateVersion;
      cache.plain = undefined;
      cache.leaves = undefined;
    }
    if (leaves) return (cache.leaves ??= computeDigest(this.#replica.durable.winners(), { leaves: true }));
    return (cache.plain ??= cache.leaves === undefined ? computeDigest(this.#replica.durable.winners(), options) : withoutLeaves(cache.leaves));
  }

  // ── sessions ──────────────────────────────────────────────────────────────

  connect(connection: Connection, options?: ConnectOptions): SyncSession {
    if (this.#state === 'closing' || this.#state === 'closed') throw new SyncError('E_CLOSED', 'the engine is closed');
    const session = new Session(this, connection, options);
    this.#sessions.add(session);
    this.sessionChanged(session);
    return session;
  }

  sessions(): SyncSession[] {
    return [...this.#sessions];
  }

  durableVv(): VersionVector {
    return this.#replica.durableVv.clone();
  }

  heldOf(claimed: VersionVector): VersionVector {
    return claimed.intersection(this.#replica.durableVv);
  }

  holds(id: OpId): boolean {
    return this.#replica.seen.has(id);
  }

  newRanges(ops: readonly Operation[]): Map<PeerId, number> {
    const seen = this.#replica.seen;
    const byOrigin = new Map<PeerId, number[]>();
    for (const op of ops) {
      if (typeof op.origin !== 'string' || typeof op.seq !== 'number') continue;
      let seqs = byOrigin.get(op.origin);
      if (seqs === undefined) byOrigin.set(op.origin, (seqs = []));
      seqs.push(op.seq);
    }
    const out = new Map<PeerId, number>();
    for (const [origin, seqs] of byOrigin) {
      seqs.sort((a, b) => a - b);
      let added = 0;
      for (let i = 0; i < seqs.length; i++) {
        const seq = seqs[i]!;
        // A run of consecutive seqs in the message adds one range at most.
        if (i > 0 && seqs[i - 1]! >= seq - 1) continue;
        if (seen.wouldFragment({ origin, seq })) added++;
      }
      out.set(origin, added);
    }
    return out;
  }

  rangeCount(origin: PeerId): number {
    return this.#replica.seen.rangeCount(origin);
  }

  remoteLacks(known: VersionVector): boolean {
    return !known.dominates(this.#replica.durableVv);
  }

  plan(remote: VersionVector, maxBatchBytes: number): SyncPlan {
    return planSync({ local: this.#replica.durableVv, remote, winners: this.#replica.durable, maxBatchOps: this.maxBatchOps, maxBatchBytes });
  }

  applyRemote(ops: readonly Operation[], session: Session): ApplyReport {
    if ((this.#waiting.size === 0 && !ops.some(hasDependencies)) || this.plant === 'ignore-deps') return this.#apply(ops, session);
    // Operations of causal writers wait until what their writer had seen is held here.
    const now: Operation[] = [];
    for (const input of ops) {
      if (!hasDependencies(input)) {
        now.push(input);
        continue;
      }
      const verdict = validateOperation(input, this.limits);
      // Invalid or already held: the applier reports it as for any operation.
      if (!verdict.ok || this.#replica.seen.has(verdict.op) || this.#dependenciesHeld(verdict.op)) {
        now.push(input);
        continue;
      }
      const id = opIdKey(verdict.op);
      if (!this.#waiting.has(id)) this.#waiting.set(id, { op: verdict.op, source: session, since: this.clock.now() });
    }
    if (this.#waiting.size > this.timing.maxWaitingOps) this.#overflowWaiting();
    let report = this.#apply(now, session);
    // What this message brought may complete what waits from the same sender: it joins this message's
    // record. Waiting operations of other senders are released once this record is durable (#onCommitted),
    // so that on disk nothing ever precedes what its writer had seen.
    for (;;) {
      const ready: Operation[] = [];
      for (const [id, entry] of this.#waiting) {
        if (entry.source !== session || !this.#dependenciesHeld(entry.op)) continue;
        this.#waiting.delete(id);
        ready.push(entry.op);
      }
      if (ready.length === 0) break;
      report = joinReports(report, this.#apply(ready, session));
    }
    this.#armWaitTimer();
    return report;
  }

  releaseClaimed(claimed: VersionVector, session: Session): { readonly report: ApplyReport; readonly withheld: VersionVector } | undefined {
    if (this.#waiting.size === 0) return undefined;
    const candidates = new Map<string, Operation>();
    const candidateIds = new VersionVector();
    for (const [id, entry] of this.#waiting) {
      if (!claimed.has(entry.op)) continue;
      candidates.set(id, entry.op);
      candidateIds.add(entry.op);
    }
    if (candidates.size === 0) return undefined;
    // The rest of the claim is held from now on (it is recorded with what is released): what the released
    // operations depend on is then in the state in effect, and said to be held, before anyone sees them.
    for (const range of claimed.missingFrom(candidateIds)) this.#replica.seen.addRange(range.origin, range.from, range.to);
    // A claim may be partial (a catch-up settles origin after origin): what it names whose dependencies are
    // still missing keeps waiting, and is cut out of the claim, or the claim would count it as held.
    let report = EMPTY_REPORT;
    for (;;) {
      const ready: Operation[] = [];
      for (const [id, op] of candidates) {
        if (!this.#dependenciesHeld(op)) continue;
        candidates.delete(id);
        this.#waiting.delete(id);
        ready.push(op);
      }
      if (ready.length === 0) break;
      // Applied pass by pass: what depends on these is ready in the next one.
      report = joinReports(report, this.#apply(ready, session));
    }
    const withheld = new VersionVector();
    for (const op of candidates.values()) withheld.add(op);
    return { report, withheld };
  }

  /** Whether `op`'s writer's earlier operations and its dependencies are all held here. */
  #dependenciesHeld(op: Operation): boolean {
    const seen = this.#replica.seen;
    if (op.seq > 1 && !holdsPrefix(seen, op.origin, op.seq - 1)) return false;
    const deps = op.deps;
    if (deps !== undefined) for (const origin of Object.keys(deps)) if (!holdsPrefix(seen, origin, deps[origin]!)) return false;
    return true;
  }

  /**
   * Applies and records every waiting operation now ready (or picked by
   * `force`), pass after pass, each group with the session it came from
   * (acknowledged to it once durable).
   */
  #releaseWaiting(force?: (entry: Waiting) => boolean): void {
    for (;;) {
      const bySource = new Map<Session, Operation[]>();
      for (const [id, entry] of this.#waiting) {
        if (this.#replica.seen.has(entry.op)) {
          this.#waiting.delete(id);
          continue;
        }
        if (force?.(entry) !== true && !this.#dependenciesHeld(entry.op)) continue;
        this.#waiting.delete(id);
        let list = bySource.get(entry.source);
        if (list === undefined) bySource.set(entry.source, (list = []));
        list.push(entry.op);
      }
      if (bySource.size === 0) break;
      for (const [source, ops] of bySource) {
        const report = this.#apply(ops, source);
        const accepted = report.superseded.length === 0 ? report.applied : [...report.applied, ...report.superseded];
        if (accepted.length > 0) this.commit({ ops: accepted, onDurable: () => source.acknowledgeSoon() }, source);
      }
    }
    this.#armWaitTimer();
  }

  /**
   * Memory stays bounded: past `timing.maxWaitingOps` waiting operations, the
   * oldest are applied anyway (as by the timer below), and said so.
   */
  #overflowWaiting(): void {
    const excess = this.#waiting.size - this.timing.maxWaitingOps;
    const oldest = new Set([...this.#waiting.values()].sort((a, b) => a.since - b.since).slice(0, excess));
    queueMicrotask(() => {
      // After the message being applied is queued for the WAL: it may hold what these depend on.
      this.#releaseWaiting((entry) => oldest.has(entry));
      this.reportError(new SyncError('E_PROTOCOL', `more than ${this.timing.maxWaitingOps} operations of causal writers waited for what their writer had seen: the ${excess} oldest were applied without it`));
    });
  }

  /** The safety valve: what waits longer than `timing.causalWaitMs` is applied anyway, and said so. */
  #armWaitTimer(): void {
    if (this.#waitTimer !== undefined || this.#waiting.size === 0 || this.#state !== 'open') return;
    this.#waitTimer = this.clock.setTimeout(
      () => {
        this.#waitTimer = undefined;
        if (this.#state !== 'open') return;
        const limit = this.clock.now() - this.timing.causalWaitMs;
        let forced = 0;
        let first: Operation | undefined;
        this.#releaseWaiting((entry) => {
          if (entry.since > limit) return false;
          forced++;
          first ??= entry.op;
          return true;
        });
        if (first !== undefined) {
          this.reportError(
            new SyncError(
              'E_PROTOCOL',
              `${forced} operation(s) of causal writers (first ${first.origin}:${first.seq}) waited ${Math.round(this.timing.causalWaitMs / 1000)} s for what their writer had seen and were applied without it: a peer on the way holds them without their dependencies`,
            ),
          );
        }
      },
      Math.min(this.timing.causalWaitMs, 2 ** 31 - 1),
    );
  }

  #apply(ops: readonly Operation[], session: Session): ApplyReport {
    const seen = this.plant === 'skip-dedupe' ? new VersionVector() : this.#replica.seen;
    const report = applyBatch(
      { store: this.#replica, seen },
      ops,
      this.#declared.size === 0 ? { limits: this.limits, order: this.#order } : { limits: this.limits, order: this.#order, policyOf: this.#policyOf },
    );
    if (this.plant === 'send-before-durable') for (const other of this.#sessions) if (other !== session) other.push(report.applied);
    let max: Hlc | undefined;
    for (const list of [report.applied, report.superseded]) {
      for (const op of list) if (max === undefined || compareHlc(op.hlc, max) > 0) max = op.hlc;
    }
    if (max !== undefined) this.#hlc.receive(max);
    if (report.applied.length > 0) this.#emitChanges(report.applied, 'remote');
    return report;
  }

  commit(entry: CommitEntry, source?: Session): void {
    if (source !== undefined && entry.ops !== undefined && entry.ops.length > 0) this.#sources.set(entry, source);
    this.#queue.enqueue(entry);
  }

  #onCommitted(entries: readonly CommitEntry[]): void {
    const replica = this.#replica;
    let committed = 0;
    let coveredGrew = false;
    for (const entry of entries) {
      if (entry.ops !== undefined) for (const op of entry.ops) replica.commit(op);
      if (entry.covered !== undefined) {
        replica.durableVv.merge(entry.covered);
        replica.seen.merge(entry.covered);
        coveredGrew = true;
      }
      if (entry.meta !== undefined) Object.assign(this.#meta, entry.meta);
      committed += entry.ops?.length ?? 0;
    }
    this.#opsSinceSnapshot += committed;
    if (committed > 0) this.#stateVersion++;
    if ((committed > 0 || coveredGrew) && this.#sessions.size > 0) {
      // Push the operations that are durable winners now to every session but the one they came
      // from; every session also learns that the durable vector grew (superseded ops, covered).
      for (const session of this.#sessions) {
        const out: Operation[] = [];
        for (const entry of entries) {
          if (entry.ops === undefined || this.#sources.get(entry) === session) continue;
          for (const op of entry.ops) if (replica.durable.getById(op) === op) out.push(op);
        }
        session.push(out);
      }
    }
    if (committed > 0) this.#maybeCompact();
    if (this.#waiting.size > 0 && (committed > 0 || coveredGrew)) this.#releaseWaiting();
  }

  noteAck(peer: PeerId, vv: VersionVector, record: boolean): void {
    const acked = this.#ackedOf(peer);
    acked.merge(vv);
    if (this.#stability !== undefined) {
      this.#stability.acked(peer, vv);
      this.#scheduleStable();
    }
    if (record) this.#recordAck(peer, vv);
    if (this.#ackWaiters.length > 0) {
      this.#ackWaiters = this.#ackWaiters.filter((waiter) => {
        if ((waiter.peer === undefined || waiter.peer === peer) && acked.has(waiter.id)) {
          waiter.resolve();
          return false;
        }
        return true;
      });
      this.#holdWhileAwaited();
    }
    this.#emitter.emit('ack', { peer, vv });
  }

  #ackedOf(peer: PeerId): VersionVector {
    let acked = this.#acked.get(peer);
    if (acked === undefined) {
      acked = new VersionVector();
      this.#acked.set(peer, acked);
    }
    return acked;
  }

  /** The part of `vv` about this peer's own durable writes: all a recorded ack may say. */
  #ownHeld(vv: VersionVector): VersionVector {
    const own = new VersionVector();
    for (const [from, to] of this.#replica.durableVv.ranges(this.peerId)) own.addRange(this.peerId, from, to);
    return vv.intersection(own);
  }

  #recordAck(peer: PeerId, vv: VersionVector): void {
    const claim = this.#ownHeld(vv);
    if (claim.isEmpty()) return;
    let recorded = this.#recordedAcks.get(peer);
    if (recorded === undefined) {
      recorded = new VersionVector();
      this.#recordedAcks.set(peer, recorded);
    }
    if (recorded.dominates(claim)) return;
    recorded.merge(claim);
    this.#ackRecordDirty.add(peer);
    if (this.#ackRecordTimer === undefined && this.#state === 'open') {
      this.#ackRecordTimer = this.clock.setTimeout(() => {
        this.#ackRecordTimer = undefined;
        this.#writeRecordedAcks().catch(() => undefined);
      }, this.timing.recordAcksMs);
    }
  }

  /** Writes the recorded acks not written yet: one WAL record, meta only. */
  async #writeRecordedAcks(): Promise<void> {
    if (this.#ackRecordDirty.size === 0 || (this.#state !== 'open' && this.#state !== 'closing')) return;
    const meta: Record<string, string> = {};
    const peers = [...this.#ackRecordDirty];
    for (const peer of peers) meta[ACK_META_PREFIX + peer] = JSON.stringify(this.#recordedAcks.get(peer)!.toJSON());
    this.#ackRecordDirty.clear();
    try {
      await this.#commit({ meta });
    } catch (error) {
      // Not written: try again with the next ack or at close (the WAL failure itself is reported).
      for (const peer of peers) this.#ackRecordDirty.add(peer);
      throw error;
    }
  }

  /** Takes the recorded acks from the WAL's meta, cut to what this peer holds of its own. */
  #loadRecordedAcks(): void {
    for (const [name, json] of Object.entries(this.#meta)) {
      if (!name.startsWith(ACK_META_PREFIX)) continue;
      const peer = name.slice(ACK_META_PREFIX.length);
      let vv: VersionVector;
      try {
        vv = this.#ownHeld(VersionVector.fromJSON(JSON.parse(json)));
      } catch {
        continue; // unreadable: as if never recorded (an over-count, the safe direction)
      }
      const recorded = this.#recordedAcks.get(peer);
      if (recorded === undefined) this.#recordedAcks.set(peer, vv.clone());
      else recorded.merge(vv);
      this.#ackedOf(peer).merge(vv);
    }
  }

  isAcked(id: OpId, peer?: PeerId): boolean {
    if (peer !== undefined) return this.#acked.get(peer)?.has(id) ?? false;
    for (const vv of this.#recordedAcks.values()) if (vv.has(id)) return true;
    return false;
  }

  whenAcked(id: OpId, peer?: PeerId): Promise<void> {
    if (peer !== undefined ? this.isAcked(id, peer) : [...this.#acked.values()].some((vv) => vv.has(id))) return Promise.resolve();
    if (this.#state === 'closed') return Promise.reject(new SyncError('E_CLOSED', 'the engine is closed'));
    return new Promise((resolve, reject) => {
      this.#ackWaiters.push({ id: { origin: id.origin, seq: id.seq }, peer, resolve, reject });
      this.#holdWhileAwaited();
    });
  }

  /**
   * Keeps the process alive while someone awaits an acknowledgement, and
   * only then: the retry timers of a peer whose relay is down are unref'd,
   * so without this hold `await write.acked` would let Node exit with the
   * promise unsettled (docs/design.md: offline writes wait forever), and with
   * a hold taken for good an idle peer would never let a script end.
   */
  #holdWhileAwaited(): void {
    if (this.#ackWaiters.length > 0) this.#releaseHold ??= this.clock.keepAlive?.();
    else {
      this.#releaseHold?.();
      this.#releaseHold = undefined;
    }
  }

  unacked(peer?: PeerId): number {
    const written = this.#nextSeq - 1;
    if (written === 0) return 0;
    let acked: VersionVector | undefined;
    if (peer !== undefined) acked = this.#acked.get(peer);
    else for (const vv of this.#recordedAcks.values()) acked = acked === undefined ? vv.clone() : acked.merge(vv);
    if (acked === undefined) return written;
    const mine = new VersionVector().addRange(this.peerId, 1, written);
    let count = 0;
    for (const range of mine.missingFrom(acked)) count += range.to - range.from + 1;
    return count;
  }

  reportError(error: SyncError): void {
    try {
      this.#options.onError?.(error);
    } catch {
      // A throwing onError must not break the engine.
    }
    this.#emitter.emit('error', error);
  }

  reportProgress(progress: SyncProgress): void {
    this.#emitter.emit('progress', progress);
  }

  sessionChanged(session: Session): void {
    if (this.#memberSessions.size > 0 && session.status !== 'syncing' && session.status !== 'synced') this.#memberLeft(session);
    if (this.#emitter.count('session') > 0) this.#emitter.emit('session', session);
    let status: SyncStatus = 'offline';
    for (const session of this.#sessions) {
      const s = session.status;
      if (s === 'syncing') {
        status = 'syncing';
        break;
      }
      if (s === 'synced') status = 'synced';
      else if (s === 'connecting' && status === 'offline') status = 'connecting';
    }
    if (status !== this.#status) {
      this.#status = status;
      this.#emitter.emit('status', status);
    }
  }

  sessionClosed(session: Session): void {
    this.#sessions.delete(session);
    this.sessionChanged(session);
  }

  get status(): SyncStatus {
    return this.#status;
  }

  on<E extends keyof SyncEngineEvents>(event: E, listener: SyncEngineEvents[E]): () => void {
    return this.#emitter.on(event, listener);
  }

  #emitChanges(ops: readonly Operation[], source: 'local' | 'remote'): void {
    if (this.#emitter.count('change') === 0) return;
    const changes: Change[] = ops.map((op) => ({
      collection: op.collection,
      key: op.key,
      value: op.kind === 'del' ? undefined : op.type === undefined ? op.value : this.#typedValue(op.type, op.collection, op.key),
      op,
      source,
    }));
    this.#emitter.emit('change', changes);
  }

  // ── metadata collection (docs/protocol.md, "Metadata collection") ───────

  admitHello(peer: PeerId, vv: VersionVector, session: Session): SyncError | undefined {
    const stability = this.#stability;
    if (stability === undefined) return undefined;
    const refusal = stability.admit(peer, vv);
    if (refusal !== undefined && this.plant !== 'skip-horizon-reset') return refusal;
    if (this.#memberSessions.get(session) !== peer) {
      this.#memberLeft(session);
      this.#memberSessions.set(session, peer);
      // A new member is written at once: forgotten in a crash, it would have to reset when it comes back.
      if (stability.connected(peer, this.clock.now())) this.#commit({ meta: stability.meta() }).catch(() => undefined);
    }
    return undefined;
  }

  #memberLeft(session: Session): void {
    const peer = this.#memberSessions.get(session);
    if (peer === undefined) return;
    this.#memberSessions.delete(session);
    this.#stability?.disconnected(peer, this.clock.now());
    this.#scheduleStable();
  }

  #scheduleStable(): void {
    if (this.#stableTimer !== undefined || this.#state !== 'open') return;
    this.#stableTimer = this.clock.setTimeout(() => {
      this.#stableTimer = undefined;
      void this.#publishStable();
    }, this.timing.stableDelayMs);
  }

  /** Forgets members past the horizon, and publishes the stable vector if it grew: durable first, then collected and sent. */
  async #publishStable(): Promise<void> {
    const stability = this.#stability;
    if (stability === undefined || this.#state !== 'open') return;
    const now = this.clock.now();
    const expired = stability.expire(now);
    const next = stability.next(this.#replica.durableVv, now);
    this.clock.clearTimeout(this.#expiryTimer);
    const due = stability.nextExpiry(now);
    // Any horizon: a delay past 2^31−1 ms is re-armed, not fired at once.
    this.#expiryTimer = due === undefined ? undefined : this.clock.setTimeout(() => this.#scheduleStable(), Math.min(due, 2 ** 31 - 1));
    if (next === undefined && !expired) return;
    if (next !== undefined) stability.propose(next);
    if (next !== undefined) this.#knownStable = next;
    const durable = await this.#persistCollecting(stability.meta(next), next);
    if (next === undefined || !stability.settle(next, durable)) return;
    for (const session of this.#sessions) session.sendStable(next);
    this.#resendStable(next, 0);
  }

  /**
   * Sends `stable` again to the sessions over links that may lose it (a
   * reliable link delivers it or drops, and the next hello brings it), a few
   * times with backoff, while it is the latest: a peer that missed it would
   * hold metadata the others dropped until the next one.
   */
  #resendStable(stable: VersionVector, attempt: number): void {
    if (attempt === 0) this.clock.clearTimeout(this.#stableResendTimer);
    if (attempt >= STABLE_RESENDS || ![...this.#sessions].some((session) => !session.connection.capabilities.reliable)) return;
    this.#stableResendTimer = this.clock.setTimeout(() => {
      this.#stableResendTimer = undefined;
      if (this.#state !== 'open' || this.#stability?.published !== stable) return;
      for (const session of this.#sessions) if (!session.connection.capabilities.reliable) session.sendStable(stable);
      this.#resendStable(stable, attempt + 1);
    }, this.timing.stableDelayMs * 2 ** attempt);
  }

  currentStable(): VersionVector | undefined {
    return this.#stability?.published;
  }

  noteStable(vv: VersionVector): void {
    if (this.#state !== 'open') return;
    const known = this.#knownStable;
    // Collected again even when known: what arrived since (a remove it names) goes now.
    if (known !== undefined && known.dominates(vv)) {
      void this.#persistCollecting({}, known);
      return;
    }
    // Two stable vectors of one authority: all of both is held by every member.
    const next = known === undefined ? vv.clone() : known.clone().merge(vv);
    this.#knownStable = next;
    void this.#persistCollecting({ [STABLE_META]: JSON.stringify(next.toJSON()) }, next);
  }

  /**
   * Writes `meta` and collects what `stable` makes useless of what this peer
   * holds durably (so that a late copy is deduplicated), in one step of the
   * WAL: when something is collected, a compaction whose snapshot carries
   * the meta — so a replay gives back exactly this state (replaying the
   * removes and collecting at the end could keep or drop a redundant remove
   * otherwise than when it arrived); else one meta record.
   *
   * @returns whether it became durable (a failure is reported)
   */
  async #persistCollecting(meta: Readonly<Record<string, string>>, stable: VersionVector | undefined): Promise<boolean> {
    try {
      await this.#queue.exclusive(async () => {
        const replica = this.#replica;
        const collected = stable === undefined ? 0 : replica.durable.collect(stable.intersection(replica.durableVv)).length;
        if (collected > 0) this.#stateVersion++;
        if (collected > 0 && this.#wal.capabilities.compaction) {
          await this.#wal.compact({ ops: [...replica.durable.winners()], vv: replica.durableVv.clone(), meta: { ...this.#meta, ...meta } });
          this.#opsSinceSnapshot = 0;
        } else if (Object.keys(meta).length > 0) {
          await this.#wal.append({ ops: [], meta });
        }
        Object.assign(this.#meta, meta);
      });
      return true;
    } catch (error) {
      // The log's state is unknown after a failed append or compaction: reopen and replay, as for any write.
      this.#onWalFailure(error);
      return false;
    }
  }



  resetPending(): boolean {
    return this.#resetPending;
  }

  horizonReset(session: Session): void {
    if (this.#state !== 'open') return;
    if (this.#resetPending) {
      session.startSnapshot();
      return;
    }
    this.#resetPending = true;
    // Written first: a crash before the snapshot is done must not leave what the authority collected.
    this.#commit({ meta: { [RESET_META]: '1' } }).then(
      () => {
        for (const other of this.#sessions) if (other.isAuthority) other.startSnapshot();
      },
      () => {
        this.#resetPending = false;
      },
    );
  }

  /**
   * The authority's snapshot is in: every typed operation held here that it
   * claims (so it had it) without having sent it (so it superseded or
   * collected it: a set add a collected remove removed, say) is dropped, and
   * the log compacted without them, in one step. This peer's own writes the
   * authority lacks stay, and are sent as usual; nothing this peer holds is
   * forgotten from its vector, so what it acknowledged stays true.
   */
  async snapshotComplete(received: VersionVector, claimed: VersionVector): Promise<void> {
    if (!this.#resetPending || this.#state !== 'open') return;
    if (!this.#wal.capabilities.compaction) {
      this.reportError(new SyncError('E_HORIZON', `peer ${this.peerId} must reset from its collection authority, but its WAL cannot replace its log (no compaction)`));
      return;
    }
    const before = this.#visibleWinners();
    let dropped = 0;
    try {
      await this.#queue.exclusive(async () => {
        const durable = this.#replica.durable;
        const stale = [...durable.winners()].filter((op) => isTyped(op) && claimed.has(op) && !received.has(op));
        for (const op of stale) if (durable.removeIfWinner(op)) dropped++;
        const meta = { ...this.#meta };
        delete meta[RESET_META];
        await this.#wal.compact({ ops: [...durable.winners()], vv: this.#replica.durableVv.clone(), meta });
        this.#meta = meta;
        this.#opsSinceSnapshot = 0;
        this.#stateVersion++;
        this.#resetPending = false;
      });
    } catch (error) {
      // Still pending (in the WAL's meta too): taken again on the next refusal or restart.
      this.reportError(toSyncError(error, 'E_WAL_FAILED', 'the snapshot from the collection authority could not be applied; it is taken again'));
      return;
    }
    this.reportError(new HorizonResetError(this.peerId, dropped));
    this.#emitReplaced(before);
  }

  /** Every visible winner, by `collection␀key`. */
  #visibleWinners(): Map<string, Operation> {
    const out = new Map<string, Operation>();
    for (const op of this.#replica.durable.winners()) out.set(`${op.collection}\u0000${op.key}`, op);
    for (const op of this.#replica.overlay.winners()) out.set(`${op.collection}\u0000${op.key}`, op);
    return out;
  }

  /** Tells listeners about keys whose winner differs from `before` (the state was replaced). */
  #emitReplaced(before: Map<string, Operation>): void {
    const changed: Operation[] = [];
    for (const op of this.#replica.durable.winners()) {
      const id = `${op.collection}\u0000${op.key}`;
      if (before.get(id) !== op) changed.push(op);
      before.delete(id);
    }
    if (changed.length > 0) this.#emitChanges(changed, 'local');
    if (before.size > 0 && this.#emitter.count('change') > 0) {
      this.#emitter.emit('change', [...before.values()].map((op) => ({ collection: op.collection, key: op.key, value: undefined, op, source: 'local' as const })));
    }
  }

  // ── failure, compaction, close ────────────────────────────────────────────

  #onWalFailure(error: unknown): void {
    const cause = isSyncError(error) ? error : toSyncError(error, 'E_WAL_FAILED', 'the WAL failed');
    this.reportError(new SyncError('E_WAL_FAILED', `the WAL failed (${cause.message}); reopening it and replaying the log`, { cause: error }));
    if (this.#state !== 'open') return;
    this.#state = 'recovering';
    this.#ready = this.#reopen();
  }

  async #reopen(): Promise<void> {
    const before = this.#visibleWinners();
    try {
      try {
        await this.#wal.close();
      } catch {
        // Closing a failed WAL may fail too; the reopen below is what matters.
      }
      const recovered = await recover(this.#wal, this.#order, this.#policies);
      this.#install(recovered);
      this.#state = 'open';
    } catch (error) {
      this.#state = 'failed';
      this.reportError(toSyncError(error, 'E_WAL_FAILED', 'the WAL could not be reopened after a failure; the engine stopped'));
      return;
    }
    // Tell listeners about keys that differ from what they saw, then re-sync every session.
    this.#emitReplaced(before);
    for (const session of this.#sessions) session.restart();
  }

  #maybeCompact(): void {
    const policy = this.#options.compaction;
    if (policy === false || this.#compacting || !this.#wal.capabilities.compaction) return;
    const minOps = policy?.minOps ?? 10_000;
    const ratio = policy?.ratio ?? 2;
    if (this.#opsSinceSnapshot < Math.max(minOps, ratio * this.#replica.durable.size)) return;
    this.compact().catch((error: unknown) => this.reportError(toSyncError(error, 'E_WAL_FAILED', 'automatic compaction failed')));
  }

  async compact(): Promise<void> {
    if (this.#compacting) return;
    await this.#whenWritable();
    this.#compacting = true;
    try {
      await this.#queue.exclusive(async () => {
        const replica = this.#replica;
        await this.#wal.compact({ ops: [...replica.durable.winners()], vv: replica.durableVv.clone(), meta: { ...this.#meta } });
        this.#opsSinceSnapshot = 0;
      });
    } finally {
      this.#compacting = false;
    }
  }

  async close(): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'closing') return;
    const wasOpen = this.#state === 'open';
    this.#state = 'closing';
    if (wasOpen) await this.#queue.idle();
    for (const session of [...this.#sessions]) session.close();
    this.clock.clearTimeout(this.#ackRecordTimer);
    this.#ackRecordTimer = undefined;
    this.clock.clearTimeout(this.#stableTimer);
    this.clock.clearTimeout(this.#expiryTimer);
    this.clock.clearTimeout(this.#stableResendTimer);
    this.#stableTimer = this.#expiryTimer = this.#stableResendTimer = undefined;
    if (wasOpen) await this.#writeRecordedAcks().catch(() => undefined);
    // When each member was last seen (its sessions just closed), so that the horizon counts from then after a reopen.
    if (wasOpen && this.#stability !== undefined) await this.#commit({ meta: this.#stability.meta() }).catch(() => undefined);
    for (const waiter of this.#ackWaiters) waiter.reject(new SyncError('E_CLOSED', 'the engine closed before the acknowledgement arrived'));
    this.#ackWaiters = [];
    this.#holdWhileAwaited();
    this.#state = 'closed';
    await this.#wal.close();
    this.#emitter.clear();
  }
}

/** Times a collection authority sends a stable vector again over links that may lose it. */
const STABLE_RESENDS = 5;

/** The WAL meta key under which the acks of a remote are recorded: `acked:<peer id>`. */
const ACK_META_PREFIX = 'acked:';

/** A digest with leaves, as it would be computed without them. */
function withoutLeaves(digest: StateDigest): StateDigest {
  return { root: digest.root, count: digest.count, buckets: digest.buckets };
}

/**
 * The planted defect `receiver-tiebreak`: equal clocks are decided in favour
 * of the receiving peer's own writes, so peers disagree on the winner.
 */
function tiebreakOnReceiver(receiver: () => PeerId): OperationOrder {
  return (a, b) => {
    if (a.hlc.wall !== b.hlc.wall) return a.hlc.wall < b.hlc.wall ? -1 : 1;
    if (a.hlc.counter !== b.hlc.counter) return a.hlc.counter < b.hlc.counter ? -1 : 1;
    if (a.origin === b.origin) return a.seq === b.seq ? 0 : a.seq < b.seq ? -1 : 1;
    const me = receiver();
    if (a.origin === me) return 1;
    if (b.origin === me) return -1;
    return compareOperations(a, b);
  };
}

/**
 * The planted defect `compare-operations`: within one wall-clock millisecond
 * the *lower* counter wins. Every peer shares the mistake, so they converge —
 * on a winner that is not the newest write.
 */
const counterInverted: OperationOrder = (a, b) => {
  if (a.hlc.wall === b.hlc.wall && a.hlc.counter !== b.hlc.counter) return a.hlc.counter < b.hlc.counter ? 1 : -1;
  return compareOperations(a, b);
};

function hasDependencies(op: Operation): boolean {
  return (op as { readonly deps?: unknown }).deps !== undefined;
}

/** Whether `vv` holds every seq 1..`seq` of `origin`. */
function holdsPrefix(vv: VersionVector, origin: PeerId, seq: number): boolean {
  return seq <= 0 || vv.contiguous(origin) >= seq;
}

const EMPTY_REPORT: ApplyReport = { applied: [], superseded: [], duplicates: [], rejected: [] };

function joinReports(a: ApplyReport, b: ApplyReport): ApplyReport {
  return {
    applied: [...a.applied, ...b.applied],
    superseded: [...a.superseded, ...b.superseded],
    duplicates: [...a.duplicates, ...b.duplicates],
    rejected: [...a.rejected, ...b.rejected],
  };
}
