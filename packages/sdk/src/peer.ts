import { EventListeners, SyncError, rethrowLater, systemClock, type Clock, type Limits, type PeerId, type Wal } from '@softadastra/sync-core';
import { createSyncEngine, type Change, type SyncEngine, type SyncProgress, type SyncSession, type SyncStatus } from '@softadastra/sync-engine';
import { createRelayConnection, relayUrlLists, type RelayConnection, type RelayOption, type RelayTransport } from './relay-connection.js';
import { Space } from './space.js';
import { EngineBackend, type SpaceBackend } from './space-backend.js';

/** Space names: they become file and database names and URL segments. */
export const SPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** What a storage option resolves to. @internal */
export interface ResolvedStorage {
  readonly peerId: PeerId;
  readonly walFor: (space: string) => Promise<Wal>;
  readonly describe: string;
}

/** The options of `createPeer` other than where data lives: the same in Node and in browsers. */
export interface PeerSyncOptions {
  /**
   * The relay to sync with, e.g. `ws://localhost:8787` (also `wss://`,
   * `http(s)://`), or several tried in turn (a failed connection attempt
   * moves to the next). Without it the peer works offline. See also
   * {@link Peer.setRelay}.
   */
  readonly relay?: RelayOption;
  /** The bearer token for the relay, or a function that returns a fresh one. */
  readonly token?: string | (() => string | Promise<string>);
  /**
   * How to reach the relay: `websocket`, `http` (long polling), or `auto`
   * (WebSocket, falling back to HTTP if it cannot open within 4 s).
   * @default 'auto'
   */
  readonly transport?: RelayTransport;
  /**
   * This peer's id. It must match the token's subject when the relay checks tokens.
   * @default the id stored with the data, else a new random one (then stored)
   */
  readonly peerId?: PeerId;
  /** Size limits; every peer of a space must use the same. */
  readonly limits?: Partial<Limits>;
  /**
   * Causal spaces: `true` for every space, or the names of those that are.
   * This peer's writes there carry what it had seen, and no peer shows one of
   * them before what its writer had seen (read-your-writes, monotonic reads,
   * writes-follow-reads across keys: a reply never appears before the
   * message it answers). Every peer honours it; it costs a few bytes per write.
   * @default false
   */
  readonly causal?: boolean | readonly string[];
  /** Time, timers and randomness (tests). */
  readonly clock?: Clock;
  /** Told about every background error (also the `error` event). */
  readonly onError?: (error: SyncError) => void;
}

/** See {@link Peer.role}. */
export type PeerRole = 'leader' | 'follower';

/** The events of a {@link Peer}. */
export interface PeerEvents {
  status: (status: SyncStatus) => void;
  /** {@link Peer.pending} changed: a write was made, or the relay acknowledged some (in any tab of a shared peer). */
  pending: (count: number) => void;
  /** This tab started to lead (tabs sharing one peer: see {@link Peer.role}). */
  role: (role: PeerRole) => void;
  change: (space: string, changes: readonly Change[]) => void;
  progress: (space: string, progress: SyncProgress) => void;
  error: (error: SyncError) => void;
}

/**
 * A local-first peer: durable storage, any number of spaces, each synced with
 * the relay. Start here.
 */
export interface Peer {
  /** This peer's id (kept with its data). */
  readonly id: PeerId;
  /**
   * `leader` when this peer holds its storage and its relay sessions itself
   * (always, in Node), `follower` in a browser tab that shares the peer of
   * another tab of the site: that tab leads, and this one reads a replica
   * and writes through it. A follower leads once the leader tab is gone
   * (the `role` event).
   */
  readonly role: PeerRole;
  /** `offline`, `connecting`, `syncing` or `synced`, over all open spaces. */
  readonly status: SyncStatus;
  /** Opens a space (its storage, and its connection to the relay). */
  space(name: string): Promise<Space>;
  /** Local writes not yet acknowledged by the relay, over all open spaces. */
  pending(): number;
  /** Resolves once every open space is synced and every local write is acknowledged by the relay. */
  synced(): Promise<void>;
  /** Drops the relay connections; writes keep working and wait. */
  offline(): void;
  /** Connects to the relay again. */
  online(): void;
  /**
   * Points the running peer at another relay (or list of relays): each
   * space's current session closes cleanly and reconnects to the new relay
   * at once; writes not yet acknowledged are sent there and acknowledged by
   * it. Offline spaces use it when they go online.
   *
   * @throws SyncError `E_INVALID_ARGUMENT` for a relay that is not a URL, or
   * when the peer was created without a relay
   */
  setRelay(relay: RelayOption): void;
  /** Listens to an event; returns a function that stops listening. */
  on<E extends keyof PeerEvents>(event: E, listener: PeerEvents[E]): () => void;
  /** Flushes every pending write to disk and closes every space. */
  close(): Promise<void>;
}

/**
 * The peer over resolved storage: what `createPeer` of the Node and of the
 * browser entry point share. @internal
 */
export function peerOver(options: PeerSyncOptions, storage: ResolvedStorage): Peer {
  return new LocalPeer(options, storage.peerId, storage.walFor);
}

/**
 * The relay a peer syncs with, and every connection opened to it, so that
 * {@link Peer.setRelay} can move them all. @internal
 */
export class RelayLinks {
  #relay: RelayOption | undefined;
  readonly #options: PeerSyncOptions;
  readonly #connections = new Set<RelayConnection>();

  constructor(options: PeerSyncOptions) {
    this.#options = options;
    this.#relay = options.relay;
  }

  get configured(): boolean {
    return this.#relay !== undefined;
  }

  /** A function that opens the relay session of a space, or `undefined` without a relay. */
  connector(space: string, engine: SyncEngine): (() => SyncSession) | undefined {
    if (this.#relay === undefined) return undefined;
    const options = this.#options;
    return () => {
      const connection = createRelayConnection({
        relay: this.#relay ?? [],
        space,
        transport: options.transport ?? 'auto',
        fallbackAfterMs: 4_000,
        ...(options.token !== undefined ? { token: options.token } : {}),
        ...(options.clock !== undefined ? { clock: options.clock } : {}),
      });
      this.#connections.add(connection);
      connection.on('close', (info) => {
        if (info.final) this.#connections.delete(connection);
      });
      // The relay is the space's collection authority (when it collects: `--gc-horizon`).
      return engine.connect(connection, { gcAuthority: true });
    };
  }

  set(relay: RelayOption): void {
    if (this.#relay === undefined) throw new SyncError('E_INVALID_ARGUMENT', 'this peer was created without a relay: pass relay to createPeer() to sync with one');
    relayUrlLists(relay, 'check');
    this.#relay = relay;
    for (const connection of this.#connections) if (connection.state !== 'closed') connection.setRelay(relay);
  }
}

/** Opens a space on a local engine over its WAL, with its relay session. @internal */
export async function openEngineBackend(
  options: PeerSyncOptions,
  peerId: PeerId,
  wal: Wal,
  name: string,
  relays: RelayLinks,
  online: boolean,
  onError: (error: SyncError) => void,
): Promise<EngineBackend> {
  const engine = await createSyncEngine({
    wal,
    peerId,
    space: name,
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
    ...(options.causal === true || (Array.isArray(options.causal) && options.causal.includes(name)) ? { causal: true } : {}),
    onError,
  });
  return new EngineBackend(engine, relays.connector(name, engine), online, options.clock);
}

/**
 * What every peer does with its spaces once they are open: the aggregate
 * status, `pending`, `synced`, events, going offline and online, closing.
 * Subclasses say how a space is opened. @internal
 */
export abstract class BasePeer implements Peer {
  readonly id: PeerId;
  protected readonly options: PeerSyncOptions;
  protected readonly relays: RelayLinks;
  readonly #spaces = new Map<string, Promise<Space>>();
  protected readonly openSpaces: Space[] = [];
  readonly #listeners = new EventListeners<PeerEvents>(['status', 'pending', 'role', 'change', 'progress', 'error'], (error, event) => {
    if (event === 'error') rethrowLater(error);
    else this.emit('error', new SyncError('E_INTERNAL', `a ${String(event)} listener threw: ${String(error)}`, { cause: error }));
  });
  #status: SyncStatus = 'offline';
  #pending = 0;
  protected isOnline = true;
  protected closed = false;

  constructor(options: PeerSyncOptions, id: PeerId) {
    this.options = options;
    this.id = id;
    this.relays = new RelayLinks(options);
  }

  abstract get role(): PeerRole;

  /** Opens the backend of a space. */
  protected abstract openBackend(name: string): Promise<SpaceBackend>;

  get status(): SyncStatus {
    return this.#status;
  }

  space(name: string): Promise<Space> {
    if (this.closed) return Promise.reject(new SyncError('E_CLOSED', 'the peer is closed'));
    if (!SPACE_NAME.test(name)) {
      return Promise.reject(new SyncError('E_INVALID_ARGUMENT', `space name ${JSON.stringify(name)} is not valid: 1–128 characters from A–Z a–z 0–9 . _ -, starting with a letter or digit`));
    }
    let space = this.#spaces.get(name);
    if (space === undefined) {
      space = this.#openSpace(name);
      this.#spaces.set(name, space);
      space.catch(() => this.#spaces.delete(name));
    }
    return space;
  }

  async #openSpace(name: string): Promise<Space> {
    const backend = await this.openBackend(name);
    if (this.closed) {
      await backend.close();
      throw new SyncError('E_CLOSED', 'the peer closed while the space opened');
    }
    const space = new Space(name, backend);
    backend.onState(() => this.updateStatus());
    backend.onChange((changes) => {
      this.emit('change', name, changes);
      this.#updatePending();
    });
    backend.onProgress((progress) => this.emit('progress', name, progress));
    this.openSpaces.push(space);
    this.updateStatus();
    return space;
  }

  /** Reports a background error. */
  protected reportError(error: SyncError): void {
    this.options.onError?.(error);
    this.emit('error', error);
  }

  pending(): number {
    let total = 0;
    for (const space of this.openSpaces) total += space.pending();
    return total;
  }

  async synced(): Promise<void> {
    if (this.options.relay === undefined) return;
    const done = (): boolean => this.openSpaces.every((space) => space.status === 'synced' && space.pending() === 0);
    if (done()) return;
    // Awaited: the process stays alive until it settles, though the retry timers toward a relay that is down do not hold it.
    const release = (this.options.clock ?? systemClock).keepAlive?.();
    try {
      await this.#whenSynced(done);
    } finally {
      release?.();
    }
  }

  #whenSynced(done: () => boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const offs: Array<() => void> = [];
      const check = (): void => {
        if (this.closed) {
          for (const off of offs) off();
          reject(new SyncError('E_CLOSED', 'the peer closed before it was synced'));
        } else if (done()) {
          for (const off of offs) off();
          resolve();
        }
      };
      for (const space of this.openSpaces) offs.push(space.backend.onState(check));
      offs.push(this.on('status', check));
    });
  }

  offline(): void {
    this.isOnline = false;
    for (const space of this.openSpaces) space.backend.disconnect();
    this.updateStatus();
  }

  online(): void {
    this.isOnline = true;
    for (const space of this.openSpaces) space.backend.reconnect();
    this.updateStatus();
  }

  setRelay(relay: RelayOption): void {
    this.relays.set(relay);
  }

  on<E extends keyof PeerEvents>(event: E, listener: PeerEvents[E]): () => void {
    return this.#listeners.on(event, listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const spaces = await Promise.allSettled([...this.#spaces.values()]);
    for (const result of spaces) if (result.status === 'fulfilled') await result.value.backend.close();
    this.updateStatus();
  }

  protected updateStatus(): void {
    let status: SyncStatus = 'offline';
    const statuses = this.openSpaces.map((space) => space.status);
    if (statuses.includes('syncing')) status = 'syncing';
    else if (statuses.includes('connecting')) status = 'connecting';
    else if (statuses.length > 0 && statuses.every((s) => s === 'synced')) status = 'synced';
    if (status !== this.#status) {
      this.#status = status;
      this.emit('status', status);
    }
    this.#updatePending();
  }

  #updatePending(): void {
    const pending = this.pending();
    if (pending === this.#pending) return;
    this.#pending = pending;
    this.emit('pending', pending);
  }

  protected emit<E extends keyof PeerEvents>(event: E, ...args: Parameters<PeerEvents[E]>): void {
    this.#listeners.emit(event, ...args);
  }
}

/** A peer that holds its storage and its relay sessions itself. */
class LocalPeer extends BasePeer {
  readonly #walFor: (space: string) => Promise<Wal>;

  constructor(options: PeerSyncOptions, id: PeerId, walFor: (space: string) => Promise<Wal>) {
    super(options, id);
    this.#walFor = walFor;
  }

  get role(): PeerRole {
    return 'leader';
  }

  protected async openBackend(name: string): Promise<SpaceBackend> {
    return openEngineBackend(this.options, this.id, await this.#walFor(name), name, this.relays, this.isOnline, (error) => this.reportError(error));
  }
}
