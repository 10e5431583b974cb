import { type Connection, type JsonValue, type OpId, type VersionVector } from '@softadastra/sync-core';
import type { Change, ConnectOptions, SyncEngine, SyncSession, SyncStatus } from '@softadastra/sync-engine';
import { diffDigests, type DigestDiff, type DigestOptions, type StateDigest } from '@softadastra/sync-reconciler';
import { Collection, type CollectionOptions } from './collection.js';
import type { RemoteDigestOptions, SpaceBackend } from './space-backend.js';

/**
 * One space of a peer: its collections, its sync with the relay, and the
 * tools to compare it with another peer.
 */
export class Space {
  readonly name: string;
  readonly #backend: SpaceBackend;
  readonly #collections = new Map<string, Collection<JsonValue>>();

  /** @internal */
  constructor(name: string, backend: SpaceBackend) {
    this.name = name;
    this.#backend = backend;
  }

  /**
   * The engine behind the space, for what the presets do not cover.
   *
   * @remarks
   * In a tab that follows another (tabs sharing one peer, see `peer.role`),
   * this is the tab's read replica: reads and events are the shared state,
   * but writes through it stay in this tab. Write through collections.
   */
  get engine(): SyncEngine {
    return this.#backend.engine;
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
    const collection = new Collection<T>(this.#backend, name, options, (op) => this.#backend.whenAcked(op));
    if (options.validate === undefined) this.#collections.set(name, collection as unknown as Collection<JsonValue>);
    return collection;
  }

  /** The names of the collections holding data. */
  collections(): string[] {
    return this.#backend.collections();
  }

  /** Where the sync of this space stands. */
  get status(): SyncStatus {
    return this.#backend.status;
  }

  /** What this peer holds durably in this space. */
  versionVector(): VersionVector {
    return this.#backend.versionVector();
  }

  /** A digest of this space's durable state (`leaves: true` to name every key). */
  digest(options?: DigestOptions): StateDigest {
    return this.#backend.digest(options);
  }

  /**
   * Where this space differs from another peer's digest: the buckets, and
   * the exact keys when the other digest has leaves.
   */
  diff(other: StateDigest): DigestDiff {
    return diffDigests(this.#backend.digest(other.leaves !== undefined ? { leaves: true } : {}), other);
  }

  /**
   * Asks the relay for its digest of this space.
   *
   * @throws SyncError `E_CLOSED` when not connected, `E_TIMEOUT` without an answer
   */
  remoteDigest(options: RemoteDigestOptions = {}): Promise<StateDigest> {
    return this.#backend.remoteDigest(options);
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
    return this.#backend.connect(connection, options);
  }

  /** Listens to every change of the space. */
  subscribe(listener: (changes: readonly Change[]) => void): () => void {
    return this.#backend.onChange(listener);
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
    return this.#backend.pending();
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
    return this.#backend.isAcked(op);
  }

  /** @internal What the space stands on. */
  get backend(): SpaceBackend {
    return this.#backend;
  }
}
