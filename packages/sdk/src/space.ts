import { SyncError, isOperationType, type Connection, type JsonValue, type OpId, type OperationType, type VersionVector } from '@softadastra/sync-core';
import type { Change, ConnectOptions, SyncEngine, SyncSession, SyncStatus } from '@softadastra/sync-engine';
import { diffDigests, type DigestDiff, type DigestOptions, type StateDigest } from '@softadastra/sync-reconciler';
import { Collection, type CollectionOptions } from './collection.js';
import type { RemoteDigestOptions, SpaceBackend } from './space-backend.js';
import {
  CounterCollection,
  MapCollection,
  MvCollection,
  SetCollection,
  type CounterCollectionOptions,
  type MapCollectionOptions,
  type MvCollectionOptions,
  type SetCollectionOptions,
} from './typed-collection.js';

/** The merge policy of a collection: last-writer-wins (the default) or a typed one. */
export type CollectionType = 'lww' | OperationType;

type AnyCollection = Collection<JsonValue> | CounterCollection | SetCollection<JsonValue> | MvCollection<JsonValue> | MapCollection;

/**
 * One space of a peer: its collections, its sync with the relay, and the
 * tools to compare it with another peer.
 */
export class Space {
  readonly name: string;
  readonly #backend: SpaceBackend;
  /** The collections opened without a validator, reused by later calls. */
  readonly #collections = new Map<string, AnyCollection>();
  /** The policy each collection name was opened with in this space. */
  readonly #types = new Map<string, CollectionType>();

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
   * A collection of this space: last-writer-wins values by default, or a
   * typed collection whose keys merge by their own policy.
   *
   * @remarks
   * - no `type` (or `'lww'`): {@link Collection}, a value per key, the last write wins;
   * - `'counter'`: {@link CounterCollection}, numbers every peer increments and decrements;
   * - `'set'`: {@link SetCollection}, add-wins sets of JSON values;
   * - `'mv'`: {@link MvCollection}, multi-value registers that keep concurrent writes as conflicts;
   * - `'map'`: {@link MapCollection}, objects merged field by field.
   *
   * A typed collection is declared on the space's engine (and, when tabs
   * share a peer, on every tab's and every future leader's): every peer of a
   * space must open a collection with the same type. The same name reopened
   * with the same type and no validator gives the same object.
   *
   * @param name - the collection's name
   * @param options - `type`: the merge policy @default 'lww'; `validate`: a function or a Standard Schema
   * checking local writes (set elements, mv values, map fields; counters take none)
   * @throws SyncError `E_POLICY` when this space opened the name with another type (or its engine declares it
   * otherwise); `E_INVALID_COLLECTION` for a bad name of a typed collection; `E_INVALID_ARGUMENT` for a
   * validator on a counter, or an unknown type
   */
  collection(name: string, options: CounterCollectionOptions): CounterCollection;
  collection<T = JsonValue>(name: string, options: SetCollectionOptions<T>): SetCollection<T>;
  collection<T = JsonValue>(name: string, options: MvCollectionOptions<T>): MvCollection<T>;
  collection<T extends object = { [field: string]: JsonValue }>(name: string, options: MapCollectionOptions<T>): MapCollection<T>;
  collection<T = JsonValue>(name: string, options?: CollectionOptions<T>): Collection<T>;
  collection(
    name: string,
    options: CollectionOptions<unknown> | CounterCollectionOptions | SetCollectionOptions<unknown> | MvCollectionOptions<unknown> | MapCollectionOptions<object> = {},
  ): AnyCollection {
    const type: unknown = options.type ?? 'lww';
    if (type !== 'lww' && !isOperationType(type)) {
      throw new SyncError('E_INVALID_ARGUMENT', `collection ${JSON.stringify(name)}: unknown type ${JSON.stringify(String(type))} (known: lww, counter, set, mv, map)`);
    }
    const known = this.#types.get(name);
    if (known !== undefined && known !== type) {
      throw new SyncError('E_POLICY', `collection ${JSON.stringify(name)} was opened as ${known} in space ${this.name}: it cannot be opened as ${type} too (every peer must open a collection with one type)`);
    }
    if (type === 'counter' && options.validate !== undefined) {
      throw new SyncError('E_INVALID_ARGUMENT', `collection ${JSON.stringify(name)}: a counter takes amounts, not values — there is nothing for validate to check`);
    }
    if (options.validate === undefined) {
      const cached = this.#collections.get(name);
      if (cached !== undefined) return cached;
    }
    // Declared first: a refusal (E_POLICY, a bad name) leaves nothing behind.
    if (type !== 'lww') this.#backend.declare(name, type);
    this.#types.set(name, type);
    const ackOf = (op: OpId): Promise<void> => this.#backend.whenAcked(op);
    let collection: AnyCollection;
    switch (type) {
      case 'lww':
        collection = new Collection<JsonValue>(this.#backend, name, options as CollectionOptions<JsonValue>, ackOf);
        break;
      case 'counter':
        collection = new CounterCollection(this.#backend, name, ackOf);
        break;
      case 'set':
        collection = new SetCollection<JsonValue>(this.#backend, name, options as SetCollectionOptions<JsonValue>, ackOf);
        break;
      case 'mv':
        collection = new MvCollection<JsonValue>(this.#backend, name, options as MvCollectionOptions<JsonValue>, ackOf);
        break;
      case 'map':
        collection = new MapCollection(this.#backend, name, options as MapCollectionOptions<{ [field: string]: JsonValue }>, ackOf);
        break;
    }
    if (options.validate === undefined) this.#collections.set(name, collection);
    return collection;
  }

  /** The type a collection name was opened with in this space, if it was. */
  collectionType(name: string): CollectionType | undefined {
    return this.#types.get(name);
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
