import { SyncError, VersionVector, setLongTimeout, systemClock, type Clock, type Connection, type JsonValue, type Limits, type OpId, type Operation, type OperationType, type PeerId } from '@softadastra/sync-core';
import type { Change, ConnectOptions, DeclaredPolicy, SyncEngine, SyncProgress, SyncSession, SyncStatus } from '@softadastra/sync-engine';
import type { DigestOptions, StateDigest } from '@softadastra/sync-reconciler';
import { intentPayload, intentType, type TypedIntent } from './typed-intent.js';

/** Options of `space.remoteDigest()`. */
export interface RemoteDigestOptions {
  readonly leaves?: boolean;
  readonly timeoutMs?: number;
}

/**
 * What a {@link Space} and its collections stand on: a local engine with its
 * relay session, or (tabs sharing one peer) the leading tab reached over a
 * BroadcastChannel. @internal
 */
export interface SpaceBackend {
  /** The engine behind the space now: on a follower tab, its read replica. */
  readonly engine: SyncEngine;
  /** The peer's id: the origin of its writes, in every tab. */
  readonly peerId: PeerId;
  readonly limits: Limits;
  readonly status: SyncStatus;
  put(collection: string, key: string, value: JsonValue): Promise<Operation>;
  delete(collection: string, key: string): Promise<Operation>;
  /**
   * Declares a collection's merge policy on the engine(s) behind the space:
   * every engine it stands on now and later (a follower tab's replica, the
   * leading tab's engine, a newly elected leader's).
   *
   * @throws SyncError `E_POLICY` when the collection is declared with another policy already
   */
  declare(collection: string, policy: DeclaredPolicy): void;
  /**
   * Writes one operation of a typed collection; its payload is computed from
   * the key's state where the write is stamped (in the leading tab, for a follower).
   */
  update(collection: string, key: string, intent: TypedIntent): Promise<Operation>;
  /** The raw policy state of a typed key, or `undefined` when nothing of that type was written to it. */
  getState(collection: string, key: string, type: OperationType): unknown;
  /** Every key of a typed collection with its raw policy state. */
  stateEntries(collection: string, type: OperationType): Array<[string, unknown]>;
  get(collection: string, key: string): JsonValue | undefined;
  has(collection: string, key: string): boolean;
  getOperation(collection: string, key: string): Operation | undefined;
  entries(collection: string): Array<[string, JsonValue]>;
  collections(): string[];
  versionVector(): VersionVector;
  digest(options?: DigestOptions): StateDigest;
  /** Every change of the space, local and remote (`source: 'local'` for this peer's writes). */
  onChange(listener: (changes: readonly Change[]) => void): () => void;
  /** Status, pending count or acks may have changed. */
  onState(listener: () => void): () => void;
  /** Progress of long syncs. */
  onProgress(listener: (progress: SyncProgress) => void): () => void;
  pending(): number;
  isAcked(op: OpId): boolean;
  whenAcked(op: OpId): Promise<void>;
  remoteDigest(options: RemoteDigestOptions): Promise<StateDigest>;
  connect(connection: Connection, options?: ConnectOptions): SyncSession;
  /** Drops the relay connection (going offline). */
  disconnect(): void;
  /** Connects to the relay again (back online). */
  reconnect(): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** The reads of a space, straight from an engine (the local one, or a follower tab's replica). @internal */
export abstract class EngineReads {
  abstract readonly engine: SyncEngine;

  get(collection: string, key: string): JsonValue | undefined {
    return this.engine.get(collection, key);
  }
  has(collection: string, key: string): boolean {
    return this.engine.has(collection, key);
  }
  getOperation(collection: string, key: string): Operation | undefined {
    return this.engine.getOperation(collection, key);
  }
  entries(collection: string): Array<[string, JsonValue]> {
    return this.engine.entries(collection);
  }
  getState(collection: string, key: string, type: OperationType): unknown {
    return this.engine.getState(collection, key, type);
  }
  stateEntries(collection: string, type: OperationType): Array<[string, unknown]> {
    return this.engine.stateEntries(collection, type);
  }
  collections(): string[] {
    return this.engine.collections();
  }
  versionVector(): VersionVector {
    return this.engine.versionVector();
  }
  digest(options?: DigestOptions): StateDigest {
    return this.engine.digest(options);
  }
}

/** A space over a local engine, synced with the relay by a session of its own. @internal */
export class EngineBackend extends EngineReads implements SpaceBackend {
  readonly engine: SyncEngine;
  readonly #connectRelay: (() => SyncSession) | undefined;
  #relay: SyncSession | undefined;
  /** This peer's own writes that the relay acknowledged, since this engine opened. */
  readonly #relayAcked = new VersionVector();

  readonly #keepAlive: (() => () => void) | undefined;
  /** Those waiting in whenAcked for the relay session to say who it is. */
  readonly #eventWaiters = new Set<() => void>();
  #closed = false;

  constructor(engine: SyncEngine, connectRelay: (() => SyncSession) | undefined, online: boolean, clock: Clock = systemClock) {
    super();
    this.engine = engine;
    this.#keepAlive = clock.keepAlive?.bind(clock);
    this.#connectRelay = connectRelay;
    if (connectRelay !== undefined && online) this.#relay = connectRelay();
    engine.on('ack', ({ peer, vv }) => {
      if (peer !== this.#relay?.remotePeer) return;
      for (const [from, to] of vv.ranges(engine.peerId)) this.#relayAcked.addRange(engine.peerId, from, to);
    });
  }

  /** The ranges of this peer's own seqs the relay acknowledged since the engine opened (what other tabs are told). */
  relayAckedRanges(): Array<readonly [number, number]> {
    return this.#relayAcked.ranges(this.engine.peerId);
  }

  get peerId(): PeerId {
    return this.engine.peerId;
  }
  get limits(): Limits {
    return this.engine.limits;
  }
  /**
   * With a relay: where the relay session stands (other sessions, such as
   * other tabs', do not make a space synced); without one: the engine's.
   */
  get status(): SyncStatus {
    if (this.#connectRelay === undefined) return this.engine.status;
    const status = this.#relay?.status;
    return status === undefined || status === 'closed' ? 'offline' : status;
  }
  /** The relay's peer id, once a session with it has said hello. */
  get relayPeer(): PeerId | undefined {
    return this.#relay?.remotePeer;
  }
  put(collection: string, key: string, value: JsonValue): Promise<Operation> {
    return this.engine.put(collection, key, value);
  }
  delete(collection: string, key: string): Promise<Operation> {
    return this.engine.delete(collection, key);
  }
  declare(collection: string, policy: DeclaredPolicy): void {
    this.engine.declare(collection, policy);
  }
  update(collection: string, key: string, intent: TypedIntent): Promise<Operation> {
    return this.engine.update(collection, key, intentType(intent), (state, origin) => intentPayload(intent, state, origin));
  }
  onChange(listener: (changes: readonly Change[]) => void): () => void {
    return this.engine.on('change', listener);
  }
  onProgress(listener: (progress: SyncProgress) => void): () => void {
    return this.engine.on('progress', listener);
  }
  onState(listener: () => void): () => void {
    const offs = [this.engine.on('status', listener), this.engine.on('ack', listener), this.engine.on('session', listener)];
    return () => {
      for (const off of offs) off();
    };
  }
  pending(): number {
    const relay = this.#relay?.remotePeer;
    return relay === undefined ? this.engine.unacked() : this.engine.unacked(relay);
  }
  isAcked(op: OpId): boolean {
    const relay = this.#relay?.remotePeer;
    return relay === undefined ? this.engine.isAcked(op) : this.engine.isAcked(op, relay);
  }
  async whenAcked(op: OpId): Promise<void> {
    if (this.#connectRelay === undefined) return this.engine.whenAcked(op);
    // Only the relay's ack counts, not that of another session (another tab's, say): until the
    // relay session has said who it is, wait for it, unless an ack recorded from a relay already covers the write.
    for (;;) {
      if (this.#closed) throw new SyncError('E_CLOSED', 'the space was closed before the relay acknowledged the write');
      const relay = this.#relay?.remotePeer;
      if (relay !== undefined) return this.engine.whenAcked(op, relay);
      if (this.engine.isAcked(op)) return;
      await this.#nextEvent();
    }
  }

  /**
   * Resolves at the engine's next status, ack or session event, or when the
   * space closes; the process stays alive meanwhile, as while an ack is awaited.
   */
  #nextEvent(): Promise<void> {
    const release = this.#keepAlive?.();
    return new Promise<void>((resolve) => {
      const offs = [this.engine.on('status', done), this.engine.on('ack', done), this.engine.on('session', done)];
      const waiters = this.#eventWaiters;
      waiters.add(done);
      function done(): void {
        for (const off of offs) off();
        waiters.delete(done);
        release?.();
        resolve();
      }
    });
  }

  async remoteDigest(options: RemoteDigestOptions): Promise<StateDigest> {
    const relay = this.#relay;
    if (relay === undefined) throw new SyncError('E_CLOSED', `space ${this.engine.space} is not connected to a relay`);
    if (relay.status === 'connecting') {
      // Just (re)connecting: wait for the link rather than fail.
      await new Promise<void>((resolve, reject) => {
        // A long timer: a timeout past 2^31−1 ms must not fire at once.
        const timer = setLongTimeout(() => {
          off();
          reject(new SyncError('E_TIMEOUT', `the relay of space ${this.engine.space} did not connect in time`));
        }, options.timeoutMs ?? 10_000);
        const off = this.engine.on('status', () => {
          if (relay.status === 'connecting') return;
          timer.cancel();
          off();
          resolve();
        });
      });
    }
    return relay.requestDigest(options);
  }

  connect(connection: Connection, options?: ConnectOptions): SyncSession {
    return this.engine.connect(connection, { recordAcks: false, ...options });
  }
  disconnect(): void {
    this.#relay?.close();
    this.#relay = undefined;
  }
  reconnect(): void {
    if (this.#relay === undefined && this.#connectRelay !== undefined) this.#relay = this.#connectRelay();
  }
  flush(): Promise<void> {
    return this.engine.flush();
  }
  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of [...this.#eventWaiters]) wake();
    await this.engine.flush();
    await this.engine.close();
  }
}
