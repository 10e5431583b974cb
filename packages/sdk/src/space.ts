import { SyncError, setLongTimeout, type Connection, type JsonValue, type OpId, type Operation, type VersionVector } from '@softadastra/sync-core';
import type { Change, ConnectOptions, SyncEngine, SyncSession, SyncStatus } from '@softadastra/sync-engine';
import { diffDigests, type DigestDiff, type DigestOptions, type StateDigest } from '@softadastra/sync-reconciler';
import { Collection, type CollectionOptions } from './collection.js';

/**
 * One space of a peer: its collections, its sync with the relay, and the
 * tools to compare it with another peer.
 */
export class Space {
  readonly name: string;
  /** The engine behind the space, for what the presets do not cover. */
  readonly engine: SyncEngine;
  #relay: SyncSession | undefined;
  readonly #connectRelay: (() => SyncSession) | undefined;
  readonly #collections = new Map<string, Collection<JsonValue>>();

  /** @internal */
  constructor(name: string, engine: SyncEngine, connectRelay: (() => SyncSession) | undefined, online: boolean) {
    this.name = name;
    this.engine = engine;
    this.#connectRelay = connectRelay;
    if (connectRelay !== undefined && online) this.#relay = connectRelay();
  }

  /**
   * A typed collection.
   *
   * @param name - the collection's name
   * @param options - `validate`: a function or a Standard Schema checking local writes
   */
  collection<T = JsonValue>(name: string, options: CollectionOptions<T> = {}): Collection<T> {
    if (options.validate === undefined) {
      const cached = this.#collections.get(name);
      if (cached !== undefined) return cached as unknown as Collection<T>;
    }
    const collection = new Collection<T>(this.engine, name, options, (op) => this.#acked(op));
    if (options.validate === undefined) this.#collections.set(name, collection as unknown as Collection<JsonValue>);
    return collection;
  }

  /** The names of the collections holding data. */
  collections(): string[] {
    return this.engine.collections();
  }

  /** Where the sync of this space stands. */
  get status(): SyncStatus {
    return this.engine.status;
  }

  /** What this peer holds durably in this space. */
  versionVector(): VersionVector {
    return this.engine.versionVector();
  }

  /** A digest of this space's durable state (`leaves: true` to name every key). */
  digest(options?: DigestOptions): StateDigest {
    return this.engine.digest(options);
  }

  /**
   * Where this space differs from another peer's digest: the buckets, and
   * the exact keys when the other digest has leaves.
   */
  diff(other: StateDigest): DigestDiff {
    return diffDigests(this.engine.digest(other.leaves !== undefined ? { leaves: true } : {}), other);
  }

  /**
   * Asks the relay for its digest of this space.
   *
   * @throws SyncError `E_CLOSED` when not connected, `E_TIMEOUT` without an answer
   */
  async remoteDigest(options: { readonly leaves?: boolean; readonly timeoutMs?: number } = {}): Promise<StateDigest> {
    const relay = this.#relay;
    if (relay === undefined) throw new SyncError('E_CLOSED', `space ${this.name} is not connected to a relay`);
    if (relay.status === 'connecting') {
      // Just (re)connecting: wait for the link rather than fail.
      await new Promise<void>((resolve, reject) => {
        // A long timer: a timeout past 2^31−1 ms must not fire at once.
        const timer = setLongTimeout(() => {
          off();
          reject(new SyncError('E_TIMEOUT', `the relay of space ${this.name} did not connect in time`));
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

  /**
   * Syncs this space over a connection of your own (another peer, another transport).
   *
   * @remarks
   * Unlike `engine.connect()`, acks of such a session are not recorded by
   * default (`recordAcks: false`): {@link Space.pending} and
   * {@link Space.isAcked} keep meaning "on the relay". Pass `recordAcks: true`
   * to count this remote as a relay.
   */
  connect(connection: Connection, options?: ConnectOptions): SyncSession {
    return this.engine.connect(connection, { recordAcks: false, ...options });
  }

  /** Listens to every change of the space. */
  subscribe(listener: (changes: readonly Change[]) => void): () => void {
    return this.engine.on('change', listener);
  }

  /**
   * Local writes of this peer that the relay has not acknowledged yet.
   *
   * @remarks
   * The relay's acks are kept with the data, so this is right after a restart
   * and while offline too, without reconnecting. After a crash (not a
   * `close()`), acks of the last second may be forgotten: those writes count
   * as pending until the relay acks them again — an over-count, never an
   * under-count.
   */
  pending(): number {
    const relay = this.#relay?.remotePeer;
    return relay === undefined ? this.engine.unacked() : this.engine.unacked(relay);
  }

  /**
   * Whether the relay has acknowledged holding a write of this peer durably
   * (pass the operation a write resolved with, or its `{ origin, seq }`).
   *
   * @remarks
   * Answers from the acks kept with the data: after a restart too, before
   * the relay is reached again. As for {@link Space.pending}, an ack of the
   * last second before a crash may be forgotten (`false` until the relay acks
   * again), never the other way round. Op ids are per space, hence here and
   * not on the peer. To wait for it, use the write handle's `acked`.
   */
  isAcked(op: OpId): boolean {
    const relay = this.#relay?.remotePeer;
    return relay === undefined ? this.engine.isAcked(op) : this.engine.isAcked(op, relay);
  }

  /** @internal Drops the relay connection (going offline). */
  disconnect(): void {
    this.#relay?.close();
    this.#relay = undefined;
  }

  /** @internal Connects to the relay again (back online). */
  reconnect(): void {
    if (this.#relay === undefined && this.#connectRelay !== undefined) this.#relay = this.#connectRelay();
  }

  /** @internal Whether a relay connection exists. */
  get hasRelay(): boolean {
    return this.#relay !== undefined;
  }

  #acked(op: Operation): Promise<void> {
    const relay = this.#relay?.remotePeer;
    return relay === undefined ? this.engine.whenAcked(op) : this.engine.whenAcked(op, relay);
  }
}
