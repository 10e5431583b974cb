import { SyncError, type Connection, type JsonValue, type Operation, type VersionVector } from '@softadastra/sync-core';
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
        const timer = setTimeout(() => {
          off();
          reject(new SyncError('E_TIMEOUT', `the relay of space ${this.name} did not connect in time`));
        }, options.timeoutMs ?? 10_000);
        const off = this.engine.on('status', () => {
          if (relay.status === 'connecting') return;
          clearTimeout(timer);
          off();
          resolve();
        });
      });
    }
    return relay.requestDigest(options);
  }

  /** Syncs this space over a connection of your own (another peer, another transport). */
  connect(connection: Connection, options?: ConnectOptions): SyncSession {
    return this.engine.connect(connection, options);
  }

  /** Listens to every change of the space. */
  subscribe(listener: (changes: readonly Change[]) => void): () => void {
    return this.engine.on('change', listener);
  }

  /** Local writes of this peer that the relay has not acknowledged yet. */
  pending(): number {
    const relay = this.#relay?.remotePeer;
    return relay === undefined ? this.engine.unacked('') : this.engine.unacked(relay);
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
