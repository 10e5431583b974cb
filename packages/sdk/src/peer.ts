import { EventListeners, SyncError, rethrowLater, systemClock, type Clock, type Limits, type PeerId, type Wal } from '@softadastra/sync-core';
import { createSyncEngine, type Change, type SyncProgress, type SyncStatus } from '@softadastra/sync-engine';
import { createRelayConnection, relayUrlLists, type RelayConnection, type RelayOption, type RelayTransport } from './relay-connection.js';
import { Space } from './space.js';
import { EngineBackend } from './space-backend.js';

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
  /** Time, timers and randomness (tests). */
  readonly clock?: Clock;
  /** Told about every background error (also the `error` event). */
  readonly onError?: (error: SyncError) => void;
}

/** The events of a {@link Peer}. */
export interface PeerEvents {
  status: (status: SyncStatus) => void;
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
  return new PeerImpl(options, storage.peerId, storage.walFor);
}

class PeerImpl implements Peer {
  readonly id: PeerId;
  readonly #options: PeerSyncOptions;
  readonly #walFor: (space: string) => Promise<Wal>;
  readonly #spaces = new Map<string, Promise<Space>>();
  readonly #open: Space[] = [];
  readonly #listeners = new EventListeners<PeerEvents>(['status', 'change', 'progress', 'error'], (error, event) => {
    if (event === 'error') rethrowLater(error);
    else this.#emit('error', new SyncError('E_INTERNAL', `a ${String(event)} listener threw: ${String(error)}`, { cause: error }));
  });
  #status: SyncStatus = 'offline';
  #relay: RelayOption | undefined;
  readonly #relayConnections = new Set<RelayConnection>();
  #online = true;
  #closed = false;

  constructor(options: PeerSyncOptions, id: PeerId, walFor: (space: string) => Promise<Wal>) {
    this.#options = options;
    this.id = id;
    this.#walFor = walFor;
    this.#relay = options.relay;
  }

  get status(): SyncStatus {
    return this.#status;
  }

  space(name: string): Promise<Space> {
    if (this.#closed) return Promise.reject(new SyncError('E_CLOSED', 'the peer is closed'));
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
    const options = this.#options;
    const engine = await createSyncEngine({
      wal: await this.#walFor(name),
      peerId: this.id,
      space: name,
      ...(options.limits !== undefined ? { limits: options.limits } : {}),
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
      onError: (error) => {
        options.onError?.(error);
        this.#emit('error', error);
      },
    });
    const connect =
      this.#relay === undefined
        ? undefined
        : () => {
            const connection = createRelayConnection({
              relay: this.#relay ?? [],
              space: name,
              transport: options.transport ?? 'auto',
              fallbackAfterMs: 4_000,
              ...(options.token !== undefined ? { token: options.token } : {}),
              ...(options.clock !== undefined ? { clock: options.clock } : {}),
            });
            this.#relayConnections.add(connection);
            connection.on('close', (info) => {
              if (info.final) this.#relayConnections.delete(connection);
            });
            return engine.connect(connection);
          };
    const space = new Space(name, new EngineBackend(engine, connect, this.#online));
    engine.on('status', () => this.#updateStatus());
    engine.on('change', (changes) => this.#emit('change', name, changes));
    engine.on('progress', (progress) => this.#emit('progress', name, progress));
    this.#open.push(space);
    this.#updateStatus();
    return space;
  }

  pending(): number {
    let total = 0;
    for (const space of this.#open) total += space.pending();
    return total;
  }

  async synced(): Promise<void> {
    if (this.#options.relay === undefined) return;
    const done = (): boolean => this.#open.every((space) => space.status === 'synced' && space.pending() === 0);
    if (done()) return;
    // Awaited: the process stays alive until it settles, though the retry timers toward a relay that is down do not hold it.
    const release = (this.#options.clock ?? systemClock).keepAlive?.();
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
        if (this.#closed) {
          for (const off of offs) off();
          reject(new SyncError('E_CLOSED', 'the peer closed before it was synced'));
        } else if (done()) {
          for (const off of offs) off();
          resolve();
        }
      };
      for (const space of this.#open) offs.push(space.backend.onState(check));
      offs.push(this.on('status', check));
    });
  }

  offline(): void {
    this.#online = false;
    for (const space of this.#open) space.backend.disconnect();
    this.#updateStatus();
  }

  online(): void {
    this.#online = true;
    for (const space of this.#open) space.backend.reconnect();
    this.#updateStatus();
  }

  setRelay(relay: RelayOption): void {
    if (this.#relay === undefined) throw new SyncError('E_INVALID_ARGUMENT', 'this peer was created without a relay: pass relay to createPeer() to sync with one');
    relayUrlLists(relay, 'check');
    this.#relay = relay;
    for (const connection of this.#relayConnections) if (connection.state !== 'closed') connection.setRelay(relay);
  }

  on<E extends keyof PeerEvents>(event: E, listener: PeerEvents[E]): () => void {
    return this.#listeners.on(event, listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const spaces = await Promise.allSettled([...this.#spaces.values()]);
    for (const result of spaces) {
      if (result.status !== 'fulfilled') continue;
      await result.value.backend.close();
    }
    this.#updateStatus();
  }

  #updateStatus(): void {
    let status: SyncStatus = 'offline';
    const statuses = this.#open.map((space) => space.status);
    if (statuses.includes('syncing')) status = 'syncing';
    else if (statuses.includes('connecting')) status = 'connecting';
    else if (statuses.length > 0 && statuses.every((s) => s === 'synced')) status = 'synced';
    if (status !== this.#status) {
      this.#status = status;
      this.#emit('status', status);
    }
  }

  #emit<E extends keyof PeerEvents>(event: E, ...args: Parameters<PeerEvents[E]>): void {
    this.#listeners.emit(event, ...args);
  }
}
