import {
  DEFAULT_LIMITS,
  OPERATION_TYPES,
  SyncError,
  compareHlc,
  VersionVector,
  checkName,
  checkValue,
  generatePeerId,
  isSyncError,
  operationFromJson,
  operationToJson,
  systemClock,
  toSyncError,
  type Connection,
  type JsonValue,
  type Limits,
  type OpId,
  type Operation,
  type OperationType,
  type PeerId,
  type Wal,
} from '@softadastra/sync-core';
import { createSyncEngine, type Change, type DeclaredPolicy, type SyncEngine, type SyncProgress, type SyncSession, type SyncStatus } from '@softadastra/sync-engine';
import { compareOperations, policyFor, type StateDigest } from '@softadastra/sync-reconciler';
import { createBroadcastHub, type BroadcastChannelConstructor, type BroadcastChannelLike, type BroadcastConnection, type BroadcastHub } from '@softadastra/transport-broadcast';
import { createMemoryWal } from '@softadastra/wal-memory';
import { BasePeer, SPACE_NAME, openEngineBackend, type PeerRole, type PeerSyncOptions } from '../peer.js';
import { EngineReads, type EngineBackend, type RemoteDigestOptions, type SpaceBackend } from '../space-backend.js';
import { checkIntent, intentType, type TypedIntent } from '../typed-intent.js';
import { busObject, parseBusMessage, type BusMessage, type RequestCall, type SpaceState } from './bus.js';

/** What the shared-tab peer uses of `navigator.locks` (the Web Locks API). */
export interface TabLocks {
  request(name: string, callback: (lock: unknown) => Promise<void>): Promise<unknown>;
}

/** How the tabs of a site find each other; the defaults are the browser's. */
export interface SharedTabsOptions {
  /** @default navigator.locks */
  readonly locks?: TabLocks;
  /** @default globalThis.BroadcastChannel */
  readonly BroadcastChannel?: BroadcastChannelConstructor;
  /** This tab's id on the bus. @default a new random id */
  readonly tabId?: PeerId;
  /** Heartbeat of the sync sessions between tabs (see transport-broadcast). @default 1000 */
  readonly heartbeatMs?: number;
  /** Silence after which a tab's session is probed (see transport-broadcast). @default 3000 */
  readonly timeoutMs?: number;
}

interface PendingRequest {
  readonly call: RequestCall;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: unknown) => void;
  sentTo: PeerId | undefined;
}

/** How long a new leader retries opening a WAL whose Web Lock the old leader has not released yet. */
const WAL_LOCK_RETRY_MS = 10_000;
/** How long `space()` in a follower tab waits for its replica to catch up with the leader before it resolves anyway (and keeps syncing). */
const CATCH_UP_MS = 10_000;
/** How often, at most, the leader tells the other tabs a space's state (status, pending, acks). */
const STATE_COALESCE_MS = 15;
/** How long a follower's write waits for its own replica to hold it before resolving anyway (it is durable). */
const HELD_WAIT_MS = 3_000;

/**
 * A peer shared by the tabs of one site (one storage name): one IndexedDB
 * store, one peer id, one relay connection per space. The tab that holds the
 * Web Lock `softadastra-tabs:<name>` leads: it opens the WALs and the relay
 * sessions, and serves the others. The others are followers: each space is a
 * read replica kept up to date by a sync session with the leader over
 * transport-broadcast, and writes go to the leader over the tab bus, resolving
 * once durable there. When the leader tab goes away, its lock is released and
 * the next tab in the lock's queue leads: it replays the WALs and every
 * follower sends its unanswered requests to it.
 *
 * @internal
 */
export class SharedTabPeer extends BasePeer {
  readonly #name: string;
  readonly #walFor: (space: string) => Promise<Wal>;
  readonly #tab: PeerId;
  readonly #tabs: SharedTabsOptions;
  readonly #Channel: BroadcastChannelConstructor;
  readonly #bus: BroadcastChannelLike;
  readonly #limits: Limits;
  #role: PeerRole = 'follower';
  #leader: PeerId | undefined;
  readonly #backends = new Map<string, TabSpaceBackend>();
  readonly #leading = new Map<string, Promise<EngineBackend>>();
  readonly #hubs = new Map<string, BroadcastHub>();
  readonly #lastState = new Map<string, string>();
  readonly #requests = new Map<number, PendingRequest>();
  #nextRequest = 1;
  #releaseLock: (() => void) | undefined;
  readonly #known: Promise<void>;
  #markKnown: () => void = () => undefined;
  #whoTimer: unknown;
  #wantOnline = true;

  constructor(options: PeerSyncOptions, id: PeerId, walFor: (space: string) => Promise<Wal>, name: string, tabs: SharedTabsOptions) {
    super(options, id);
    this.#name = name;
    this.#walFor = walFor;
    this.#tabs = tabs;
    this.#tab = tabs.tabId ?? generatePeerId();
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    const Channel = tabs.BroadcastChannel ?? (globalThis as { BroadcastChannel?: BroadcastChannelConstructor }).BroadcastChannel;
    const locks = tabs.locks ?? (globalThis as { navigator?: { locks?: TabLocks } }).navigator?.locks;
    if (Channel === undefined || locks === undefined) {
      throw new SyncError('E_INVALID_ARGUMENT', 'tabs sharing one peer need BroadcastChannel and the Web Locks API (navigator.locks): pass tabs: false to give this tab a peer of its own');
    }
    this.#Channel = Channel;
    this.#known = new Promise<void>((resolve) => (this.#markKnown = resolve));
    this.#bus = new Channel(`softadastra-tabs:${name}`);
    this.#bus.addEventListener('message', (event) => this.#onBus(event.data));
    locks
      .request(`softadastra-tabs:${name}`, () => new Promise<void>((release) => this.#lead(release)))
      .catch((error: unknown) => this.reportError(new SyncError('E_INTERNAL', `the tab election lock failed: ${String(error)}`, { cause: error })));
    this.#ask();
  }

  /** Resolves once this tab knows who leads (itself, or another tab that answered). */
  get ready(): Promise<void> {
    return this.#known;
  }

  get role(): PeerRole {
    return this.#role;
  }

  /** This tab's id on the bus. */
  get tabId(): PeerId {
    return this.#tab;
  }

  protected async openBackend(name: string): Promise<SpaceBackend> {
    await this.#known;
    const backend = new TabSpaceBackend(name, this.id, this.#limits, (error) => this.reportError(error));
    this.#backends.set(name, backend);
    try {
      if (this.#role === 'follower') {
        await this.request({ call: 'open', space: name });
        if (this.#role === 'follower') {
          const replica = await createSyncEngine({
            wal: createMemoryWal(),
            peerId: generatePeerId(),
            space: name,
            limits: this.#limits,
            ...(this.options.clock !== undefined ? { clock: this.options.clock } : {}),
            onError: (error) => this.reportError(error),
          });
          if (this.#role === 'follower') {
            const follower = new FollowerSpace(this, backend, replica, this.#hub(name));
            backend.follow(follower);
            // Opened like a local store: with the data in it, once the leader has sent what it holds.
            await follower.caughtUp(CATCH_UP_MS);
          } else await replica.close();
        }
      }
      // Leading now (from the start, or since): this tab serves the space itself.
      if (!backend.attached) backend.lead(await this.#leaderEngine(name));
    } catch (error) {
      this.#backends.delete(name);
      throw error;
    }
    return backend;
  }

  override offline(): void {
    this.#wantOnline = false;
    if (this.#role === 'leader') super.offline();
    else void this.request({ call: 'online', online: false }).catch(() => undefined);
  }

  override online(): void {
    this.#wantOnline = true;
    if (this.#role === 'leader') super.online();
    else void this.request({ call: 'online', online: true }).catch(() => undefined);
  }

  override async close(): Promise<void> {
    if (this.closed) return;
    this.clock.clearTimeout(this.#whoTimer);
    await super.close();
    for (const request of this.#requests.values()) request.reject(new SyncError('E_CLOSED', 'the peer is closed'));
    this.#requests.clear();
    for (const leading of this.#leading.values()) {
      const backend = await leading.catch(() => undefined);
      await backend?.close().catch(() => undefined);
    }
    this.#leading.clear();
    for (const hub of this.#hubs.values()) hub.close();
    this.#hubs.clear();
    this.#releaseLock?.();
    this.#bus.close();
    this.#markKnown();
  }

  /** Sends a request to the leader (or serves it, when this tab leads); sent again to each new leader until answered. @internal */
  request(call: RequestCall): Promise<unknown> {
    if (this.closed) return Promise.reject(new SyncError('E_CLOSED', 'the peer is closed'));
    return new Promise<unknown>((resolve, reject) => {
      const id = this.#nextRequest++;
      this.#requests.set(id, { call, resolve, reject, sentTo: undefined });
      this.#dispatch(id);
    });
  }

  /**
   * The leader changed: unanswered requests go to the new one, except typed
   * writes already sent to the old one. Those fail: the old leader may have
   * made one durable before it went away, and a write such as a counter
   * increment, sent again, would count twice.
   */
  #redispatch(): void {
    for (const [id, request] of [...this.#requests]) {
      const call = request.call;
      if (call.call === 'update' && request.sentTo !== undefined && request.sentTo !== this.#leader) {
        this.#requests.delete(id);
        request.reject(
          new SyncError(
            'E_CLOSED',
            `the leader tab closed before confirming the ${call.type} write to ${call.collection}/${call.key}: it may or may not have been applied — read the current value before retrying`,
          ),
        );
      } else this.#dispatch(id);
    }
  }

  #dispatch(id: number): void {
    const request = this.#requests.get(id);
    if (request === undefined) return;
    if (this.#role === 'leader') {
      this.#requests.delete(id);
      this.#serve(request.call).then(request.resolve, request.reject);
    } else if (this.#leader !== undefined && request.sentTo !== this.#leader) {
      request.sentTo = this.#leader;
      this.#post({ t: 'req', tab: this.#tab, to: this.#leader, id, ...request.call });
    }
  }

  #post(message: BusMessage): void {
    if (this.closed && message.t !== 'res') return;
    try {
      this.#bus.postMessage(busObject(message));
    } catch (error) {
      this.reportError(new SyncError('E_TRANSPORT', `could not post to the other tabs: ${String(error)}`, { cause: error }));
    }
  }

  /** Asks who leads, again every second until someone answers or this tab leads. */
  #ask(): void {
    if (this.closed || this.#leader !== undefined) return;
    this.#post({ t: 'who', tab: this.#tab });
    const clock = this.options.clock ?? systemClock;
    this.#whoTimer = clock.setTimeout(() => this.#ask(), 1_000);
  }

  #onBus(data: unknown): void {
    if (this.closed) return;
    const message = parseBusMessage(data);
    if (message === undefined || message.tab === this.#tab) return;
    switch (message.t) {
      case 'who':
        if (this.#role === 'leader') this.#announce();
        return;
      case 'leader':
        if (this.#role === 'leader') return; // a stale announcement: this tab holds the lock
        this.#follow(message.tab);
        return;
      case 'req':
        if (message.to !== this.#tab || this.#role !== 'leader') return; // the sender learns the leader from its announcement
        this.#answer(message);
        return;
      case 'res': {
        if (message.to !== this.#tab) return;
        const request = this.#requests.get(message.id);
        if (request === undefined || request.sentTo !== message.tab) return;
        this.#requests.delete(message.id);
        if (message.ok) request.resolve(message.result);
        else request.reject(new SyncError(message.code, message.message));
        return;
      }
      case 'state':
        if (message.tab === this.#leader) this.#backends.get(message.space)?.followerState(message);
        return;
    }
  }

  #follow(leader: PeerId): void {
    const changed = this.#leader !== leader;
    this.#leader = leader;
    this.#markKnown();
    if (!changed) return;
    this.#redispatch();
    for (const backend of this.#backends.values()) backend.leaderChanged(leader);
  }

  /** The lock is granted: this tab leads until it closes (the browser releases the lock of a tab that goes away). */
  #lead(release: () => void): void {
    if (this.closed) {
      release();
      return;
    }
    this.#releaseLock = release;
    this.#role = 'leader';
    this.#leader = this.#tab;
    this.isOnline = this.#wantOnline;
    this.#announce();
    this.#markKnown();
    // Every space this tab follows is served here now: its WAL replayed, its relay session opened.
    for (const [name, backend] of this.#backends) {
      if (backend.attached) {
        this.#leaderEngine(name).then(
          (engine) => backend.lead(engine),
          (error: unknown) => this.reportError(toSyncError(error, 'E_INTERNAL', `could not take over space ${name}`)),
        );
      }
    }
    this.#redispatch();
    this.emit('role', 'leader');
    this.updateStatus();
  }

  #announce(): void {
    this.#post({ t: 'leader', tab: this.#tab });
    for (const name of this.#leading.keys()) this.#postState(name, undefined, true);
  }

  #answer(message: BusMessage & { t: 'req' }): void {
    const reply = (result: unknown): void => this.#post({ t: 'res', tab: this.#tab, to: message.tab, id: message.id, ok: true, result });
    const fail = (error: unknown): void => {
      const e = toSyncError(error, 'E_INTERNAL', 'the leading tab could not serve the request');
      this.#post({ t: 'res', tab: this.#tab, to: message.tab, id: message.id, ok: false, code: e.code, message: e.message });
    };
    const { t: _t, tab: _tab, to: _to, id: _id, ...call } = message;
    this.#serve(call).then(reply, fail);
  }

  /** Serves a request as the leader. */
  async #serve(call: RequestCall): Promise<unknown> {
    if (call.call === 'online') {
      if (call.online) super.online();
      else super.offline();
      this.#wantOnline = call.online;
      return null;
    }
    if (!SPACE_NAME.test(call.space)) throw new SyncError('E_INVALID_ARGUMENT', `space name ${JSON.stringify(call.space)} is not valid`);
    const space = await this.#leaderEngine(call.space);
    switch (call.call) {
      case 'open':
        // The state first (the bus keeps order): the follower's space starts with it, not as 'connecting'.
        this.#postState(call.space, space, true);
        return null;
      case 'put':
        return operationToJson(await space.put(call.collection, call.key, call.value as JsonValue));
      case 'delete':
        return operationToJson(await space.delete(call.collection, call.key));
      case 'declare':
        space.declare(call.collection, call.policy);
        return null;
      case 'update':
        checkIntent(call.collection, call.key, call.intent, space.limits);
        // Declared before it is applied, whether or not the follower's declare came first (a new leader may not have had it).
        space.declare(call.collection, call.type);
        return operationToJson(await space.update(call.collection, call.key, call.intent));
      case 'acked':
        await space.whenAcked({ origin: call.origin, seq: call.seq });
        return null;
      case 'digest':
        return space.remoteDigest({ leaves: call.leaves, ...(call.timeoutMs !== undefined ? { timeoutMs: call.timeoutMs } : {}) });
    }
  }

  /** As the leader: the space's engine over its WAL, with its relay session, serving the follower tabs. */
  #leaderEngine(name: string): Promise<EngineBackend> {
    let leading = this.#leading.get(name);
    if (leading === undefined) {
      leading = this.#openLeading(name);
      this.#leading.set(name, leading);
      leading.catch(() => this.#leading.delete(name));
    }
    return leading;
  }

  async #openLeading(name: string): Promise<EngineBackend> {
    const clock = this.options.clock ?? systemClock;
    const started = clock.now();
    let backend: EngineBackend;
    for (;;) {
      try {
        backend = await openEngineBackend(this.options, this.id, await this.#walFor(name), name, this.relays, this.isOnline, (error) => this.reportError(error));
        break;
      } catch (error) {
        // The old leader's WAL lock goes a moment after its election lock: try again for a while.
        if (!isSyncError(error) || error.code !== 'E_WAL_LOCKED' || clock.now() - started > WAL_LOCK_RETRY_MS || this.closed) throw error;
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 50));
      }
    }
    if (this.closed) {
      await backend.close();
      throw new SyncError('E_CLOSED', 'the peer closed while the space opened');
    }
    this.#hub(name).listen((connection) => {
      backend.engine.connect(connection, { recordAcks: false });
    });
    // Told to the other tabs when it changed, at most once per STATE_COALESCE_MS: a busy leader
    // would otherwise post one state per write to every tab.
    let timer: unknown;
    const schedule = (): void => {
      if (timer !== undefined || this.closed) return;
      timer = this.clock.setTimeout(() => {
        timer = undefined;
        this.#postState(name, backend);
      }, STATE_COALESCE_MS);
    };
    backend.onState(schedule);
    backend.onChange(schedule);
    this.#postState(name, backend, true);
    return backend;
  }

  #postState(name: string, ready?: EngineBackend, always = false): void {
    const post = (backend: EngineBackend): void => {
      const acked = backend.relayAckedRanges();
      const state = { status: backend.status, pending: backend.pending(), acked };
      const key = `${state.status} ${state.pending} ${JSON.stringify(acked)}`;
      if (!always && this.#lastState.get(name) === key) return;
      this.#lastState.set(name, key);
      this.#post({ t: 'state', tab: this.#tab, space: name, ...state });
    };
    if (ready !== undefined) post(ready);
    else void this.#leading.get(name)?.then(post, () => undefined);
  }

  #hub(name: string): BroadcastHub {
    let hub = this.#hubs.get(name);
    if (hub === undefined) {
      hub = createBroadcastHub({
        channel: `softadastra-tabs:${this.#name}/${name}`,
        id: this.#tab,
        BroadcastChannel: this.#Channel,
        maxMessageBytes: Math.max(1_048_576, this.#limits.maxMessageBytes + 65_536),
        ...(this.#tabs.heartbeatMs !== undefined ? { heartbeatMs: this.#tabs.heartbeatMs } : {}),
        ...(this.#tabs.timeoutMs !== undefined ? { timeoutMs: this.#tabs.timeoutMs } : {}),
        ...(this.options.clock !== undefined ? { clock: this.options.clock } : {}),
      });
      this.#hubs.set(name, hub);
    }
    return hub;
  }

  /** Reports an error of background work in a tab. @internal */
  reportTabError(error: SyncError): void {
    this.reportError(error);
  }

  /** The tab that leads, as far as this tab knows. @internal */
  get leaderTab(): PeerId | undefined {
    return this.#leader;
  }

  /** @internal */
  get clock() {
    return this.options.clock ?? systemClock;
  }
}

/**
 * A space of a tab that shares its peer: stands on the leader's engine when
 * this tab leads, on a follower replica otherwise, and switches from the one
 * to the other without its collections or listeners noticing, except through
 * the changes that the switch reveals.
 */
class TabSpaceBackend implements SpaceBackend {
  readonly #name: string;
  readonly peerId: PeerId;
  readonly limits: Limits;
  readonly #onError: (error: SyncError) => void;
  #inner: SpaceBackend | undefined;
  /** The leader's last word on this space's state, kept from before the replica is attached. */
  #leaderState: SpaceState | undefined;
  #offInner: Array<() => void> = [];
  readonly #changeListeners = new Set<(changes: readonly Change[]) => void>();
  readonly #stateListeners = new Set<() => void>();
  readonly #progressListeners = new Set<(progress: SyncProgress) => void>();
  /** The collections declared in this tab, declared again on every engine the space stands on. */
  readonly #declared = new Map<string, DeclaredPolicy>();

  constructor(name: string, peerId: PeerId, limits: Limits, onError: (error: SyncError) => void) {
    this.#name = name;
    this.peerId = peerId;
    this.limits = limits;
    this.#onError = onError;
  }

  get attached(): boolean {
    return this.#inner !== undefined;
  }

  get #current(): SpaceBackend {
    if (this.#inner === undefined) throw new SyncError('E_INTERNAL', `space ${this.#name} is not open yet`);
    return this.#inner;
  }

  follow(inner: FollowerSpace): void {
    this.#declareOn(inner);
    this.#attach(inner);
    if (this.#leaderState !== undefined) inner.setState(this.#leaderState);
  }

  /** This tab leads now: the leader's engine replaces the replica, and the keys where they differ are reported as changes. */
  lead(engine: EngineBackend): void {
    const previous = this.#inner;
    if (previous === engine) return;
    this.#declareOn(engine);
    this.#attach(engine);
    if (previous instanceof FollowerSpace) {
      const changes = differences(previous.engine, engine.engine);
      previous.close().catch(() => undefined);
      if (changes.length > 0) this.#emitChanges(changes);
    }
    this.#emitState();
  }

  leaderChanged(leader: PeerId): void {
    if (!(this.#inner instanceof FollowerSpace)) return;
    this.#inner.dial(leader);
    // The new leader's engine may not know this tab's declarations yet.
    for (const [collection, policy] of this.#declared) this.#inner.sendDeclare(collection, policy);
  }

  /** Declares this tab's collections on an engine the space now stands on; a refusal is reported, not thrown. */
  #declareOn(inner: SpaceBackend): void {
    for (const [collection, policy] of this.#declared) {
      try {
        inner.declare(collection, policy);
      } catch (error) {
        this.#onError(toSyncError(error, 'E_POLICY', `could not declare collection ${collection} as ${policy} in space ${this.#name}`));
      }
    }
  }

  followerState(state: SpaceState): void {
    this.#leaderState = state;
    if (this.#inner instanceof FollowerSpace) this.#inner.setState(state);
  }

  #attach(inner: SpaceBackend): void {
    for (const off of this.#offInner) off();
    this.#inner = inner;
    this.#offInner = [
      inner.onChange((changes) => this.#emitChanges(changes)),
      inner.onState(() => this.#emitState()),
      inner.onProgress((progress) => {
        for (const listener of this.#progressListeners) listener(progress);
      }),
    ];
  }

  #emitChanges(changes: readonly Change[]): void {
    for (const listener of [...this.#changeListeners]) {
      try {
        listener(changes);
      } catch (error) {
        this.#onError(new SyncError('E_INTERNAL', `a change listener threw: ${String(error)}`, { cause: error }));
      }
    }
  }

  #emitState(): void {
    for (const listener of [...this.#stateListeners]) listener();
  }

  get engine(): SyncEngine {
    return this.#current.engine;
  }
  get status(): SyncStatus {
    return this.#current.status;
  }
  put(collection: string, key: string, value: JsonValue): Promise<Operation> {
    return this.#current.put(collection, key, value);
  }
  delete(collection: string, key: string): Promise<Operation> {
    return this.#current.delete(collection, key);
  }
  declare(collection: string, policy: DeclaredPolicy): void {
    const known = this.#declared.get(collection);
    if (known !== undefined && known !== policy) {
      throw new SyncError('E_POLICY', `collection ${JSON.stringify(collection)} is declared ${known} already; it cannot become ${policy}`);
    }
    this.#current.declare(collection, policy);
    this.#declared.set(collection, policy);
  }
  update(collection: string, key: string, intent: TypedIntent): Promise<Operation> {
    return this.#current.update(collection, key, intent);
  }
  getState(collection: string, key: string, type: OperationType): unknown {
    return this.#current.getState(collection, key, type);
  }
  stateEntries(collection: string, type: OperationType): Array<[string, unknown]> {
    return this.#current.stateEntries(collection, type);
  }
  get(collection: string, key: string): JsonValue | undefined {
    return this.#current.get(collection, key);
  }
  has(collection: string, key: string): boolean {
    return this.#current.has(collection, key);
  }
  getOperation(collection: string, key: string): Operation | undefined {
    return this.#current.getOperation(collection, key);
  }
  entries(collection: string): Array<[string, JsonValue]> {
    return this.#current.entries(collection);
  }
  collections(): string[] {
    return this.#current.collections();
  }
  versionVector(): VersionVector {
    return this.#current.versionVector();
  }
  digest(options?: Parameters<SpaceBackend['digest']>[0]): StateDigest {
    return this.#current.digest(options);
  }
  onChange(listener: (changes: readonly Change[]) => void): () => void {
    const wrapped = (changes: readonly Change[]): void => listener(changes);
    this.#changeListeners.add(wrapped);
    return () => this.#changeListeners.delete(wrapped);
  }
  onState(listener: () => void): () => void {
    const wrapped = (): void => listener();
    this.#stateListeners.add(wrapped);
    return () => this.#stateListeners.delete(wrapped);
  }
  onProgress(listener: (progress: SyncProgress) => void): () => void {
    const wrapped = (progress: SyncProgress): void => listener(progress);
    this.#progressListeners.add(wrapped);
    return () => this.#progressListeners.delete(wrapped);
  }
  pending(): number {
    return this.#current.pending();
  }
  isAcked(op: OpId): boolean {
    return this.#current.isAcked(op);
  }
  whenAcked(op: OpId): Promise<void> {
    return this.#current.whenAcked(op);
  }
  remoteDigest(options: RemoteDigestOptions): Promise<StateDigest> {
    return this.#current.remoteDigest(options);
  }
  connect(connection: Connection, options?: Parameters<SpaceBackend['connect']>[1]): SyncSession {
    return this.#current.connect(connection, options);
  }
  disconnect(): void {
    this.#inner?.disconnect();
  }
  reconnect(): void {
    this.#inner?.reconnect();
  }
  flush(): Promise<void> {
    return this.#inner?.flush() ?? Promise.resolve();
  }
  /** Closes the replica of a follower; a leader's engine is closed by the peer, which may serve it to other tabs. */
  async close(): Promise<void> {
    for (const off of this.#offInner) off();
    this.#offInner = [];
    if (this.#inner instanceof FollowerSpace) await this.#inner.close();
  }
}

/** A follower tab's side of a space: a read replica synced from the leader, writes sent to it. */
class FollowerSpace extends EngineReads implements SpaceBackend {
  readonly engine: SyncEngine;
  readonly #peer: SharedTabPeer;
  readonly #owner: TabSpaceBackend;
  readonly #hub: BroadcastHub;
  readonly #name: string;
  #session: SyncSession | undefined;
  #connection: BroadcastConnection | undefined;
  #state: SpaceState = { status: 'connecting', pending: 0, acked: [] };
  readonly #acked = new VersionVector();
  readonly #stateListeners = new Set<() => void>();
  #closed = false;
  #redialTimer: unknown;

  constructor(peer: SharedTabPeer, owner: TabSpaceBackend, replica: SyncEngine, hub: BroadcastHub) {
    super();
    this.#peer = peer;
    this.#owner = owner;
    this.engine = replica;
    this.#hub = hub;
    this.#name = replica.space;
    const leader = peer.leaderTab;
    if (leader !== undefined) this.dial(leader);
  }

  get peerId(): PeerId {
    return this.#peer.id;
  }
  get limits(): Limits {
    return this.engine.limits;
  }
  get status(): SyncStatus {
    return this.#state.status;
  }

  /** (Re)connects the replica to the leading tab. */
  dial(leader: PeerId): void {
    if (this.#closed) return;
    const clock = this.#peer.clock;
    clock.clearTimeout(this.#redialTimer);
    if (this.#session !== undefined && this.#connection?.remoteId === leader) return;
    this.#session?.close();
    const connection = this.#hub.connect(leader);
    this.#connection = connection;
    this.#session = this.engine.connect(connection, { recordAcks: false });
    connection.on('close', () => {
      if (this.#closed || this.#connection !== connection) return;
      this.#session = undefined;
      this.#connection = undefined;
      // The leader went away, or did not answer: dial whoever leads in a moment (a new leader also says so on the bus).
      this.#redialTimer = clock.setTimeout(() => {
        const now = this.#peer.leaderTab;
        if (now !== undefined && this.#peer.role === 'follower') this.dial(now);
      }, 250);
    });
  }

  /** Resolves once the replica's session with the leader is synced (the leader's state is all here), or after `ms`. */
  caughtUp(ms: number): Promise<void> {
    if (this.engine.status === 'synced') return Promise.resolve();
    const clock = this.#peer.clock;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        off();
        clock.clearTimeout(timer);
        resolve();
      };
      const off = this.engine.on('status', (status) => {
        if (status === 'synced') done();
      });
      const timer = clock.setTimeout(done, ms);
    });
  }

  setState(state: SpaceState): void {
    this.#state = state;
    for (const [from, to] of state.acked) this.#acked.addRange(this.#peer.id, from, to);
    for (const listener of [...this.#stateListeners]) listener();
  }

  put(collection: string, key: string, value: JsonValue): Promise<Operation> {
    this.#check(collection, key);
    const checked = checkValue(value, this.engine.limits);
    if (!checked.ok) throw checked.error;
    return this.#write({ call: 'put', space: this.#name, collection, key, value });
  }

  delete(collection: string, key: string): Promise<Operation> {
    this.#check(collection, key);
    return this.#write({ call: 'delete', space: this.#name, collection, key });
  }

  /** Declares on the replica at once, and on the leader's engine (a refusal there is reported; the writes would be refused too). */
  declare(collection: string, policy: DeclaredPolicy): void {
    this.engine.declare(collection, policy);
    this.sendDeclare(collection, policy);
  }

  sendDeclare(collection: string, policy: DeclaredPolicy): void {
    this.#peer.request({ call: 'declare', space: this.#name, collection, policy }).catch((error: unknown) => {
      if (this.#closed || (isSyncError(error) && error.code === 'E_CLOSED')) return;
      this.#peer.reportTabError(toSyncError(error, 'E_POLICY', `the leading tab could not declare collection ${collection} as ${policy}`));
    });
  }

  /** A typed write: the intent goes to the leader, which computes the payload from its own state. */
  update(collection: string, key: string, intent: TypedIntent): Promise<Operation> {
    const type = intentType(intent);
    const declared = this.engine.policyOf(collection);
    if (declared !== undefined && declared !== type) {
      throw new SyncError('E_POLICY', `collection ${JSON.stringify(collection)} is declared ${declared}: it takes no ${type} writes`);
    }
    checkIntent(collection, key, intent, this.engine.limits);
    return this.#write({ call: 'update', space: this.#name, collection, key, type, intent });
  }

  #check(collection: string, key: string): void {
    for (const [name, what, max, code] of [
      [collection, 'collection', this.engine.limits.maxCollectionBytes, 'E_INVALID_COLLECTION'],
      [key, 'key', this.engine.limits.maxKeyBytes, 'E_INVALID_KEY'],
    ] as const) {
      const error = checkName(name, what, max, code);
      if (error !== undefined) throw new SyncError(error[0], error[1]);
    }
  }

  async #write(call: RequestCall): Promise<Operation> {
    const op = operationFromJson(await this.#peer.request(call));
    await this.#held(op);
    return op;
  }

  /** Waits (briefly) until this tab's state holds the write: read your own writes once it resolved. */
  /** Whether this tab's state shows the write: applied (its key holds it, or a later winner), or covered by the vector. */
  #holds(op: Operation): boolean {
    if (this.#closed) return true;
    if (op.kind === 'put' && op.type !== undefined) {
      if (this.#owner.versionVector().has(op)) return true;
      // A later write of this peer to the key was stamped on a state that held this one.
      const state = this.#owner.getState(op.collection, op.key, op.type);
      return state !== undefined && (policyFor(op.type).essential(state) as Operation[]).some((held) => held.origin === op.origin && held.seq >= op.seq);
    }
    const current = this.#owner.getOperation(op.collection, op.key);
    return (current !== undefined && compareOperations(current, op) >= 0) || this.#owner.versionVector().has(op);
  }

  #held(op: Operation): Promise<void> {
    if (this.#holds(op)) return Promise.resolve();
    const clock = this.#peer.clock;
    return new Promise<void>((resolve) => {
      const offs: Array<() => void> = [];
      let timer: unknown;
      const done = (): void => {
        for (const off of offs) off();
        clock.clearTimeout(timer);
        resolve();
      };
      const check = (): void => {
        if (this.#holds(op)) done();
      };
      // Checked as the replica applies what the leader pushes; a superseded write arrives as a
      // covered vector instead, hence the slower poll too, and the deadline (the write is durable).
      offs.push(this.engine.on('change', check), this.engine.on('status', check));
      const deadline = clock.now() + HELD_WAIT_MS;
      const poll = (): void => {
        check();
        if (clock.now() >= deadline) done();
        else timer = clock.setTimeout(poll, 25);
      };
      timer = clock.setTimeout(poll, 25);
    });
  }

  onChange(listener: (changes: readonly Change[]) => void): () => void {
    // The replica received everything: what this peer wrote (in any tab) is local.
    const peerId = this.#peer.id;
    return this.engine.on('change', (changes) => listener(changes.map((change) => ({ ...change, source: change.op.origin === peerId ? 'local' : 'remote' }))));
  }
  onState(listener: () => void): () => void {
    const wrapped = (): void => listener();
    this.#stateListeners.add(wrapped);
    return () => this.#stateListeners.delete(wrapped);
  }
  onProgress(listener: (progress: SyncProgress) => void): () => void {
    return this.engine.on('progress', listener);
  }
  pending(): number {
    return this.#state.pending;
  }
  isAcked(op: OpId): boolean {
    return this.#acked.has(op);
  }
  async whenAcked(op: OpId): Promise<void> {
    if (this.#acked.has(op)) return;
    await this.#peer.request({ call: 'acked', space: this.#name, origin: op.origin, seq: op.seq });
    // Known here at once, before the leader's next state message says so.
    if (op.origin === this.#peer.id) this.#acked.add({ origin: op.origin, seq: op.seq });
  }
  async remoteDigest(options: RemoteDigestOptions): Promise<StateDigest> {
    return (await this.#peer.request({ call: 'digest', space: this.#name, leaves: options.leaves === true, timeoutMs: options.timeoutMs })) as StateDigest;
  }
  connect(): SyncSession {
    throw new SyncError('E_INVALID_ARGUMENT', `this tab follows another tab that holds space ${this.#name}: connect() it there (peer.role === 'leader'), or create the peer with tabs: false`);
  }
  disconnect(): void {
    // Going offline is the leader's: the peer asks it.
  }
  reconnect(): void {
    // As disconnect.
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#peer.clock.clearTimeout(this.#redialTimer);
    this.#session?.close();
    await this.engine.close();
  }
}

/** The keys whose winner differs between a replica and the engine that replaces it, as changes of the latter. */
function differences(before: SyncEngine, after: SyncEngine): Change[] {
  const changes: Change[] = [];
  const peerId = after.peerId;
  const collections = new Set([...before.collections(), ...after.collections()]);
  for (const collection of collections) {
    const keys = new Set<string>();
    for (const [key] of before.entries(collection)) keys.add(key);
    for (const [key] of after.entries(collection)) keys.add(key);
    for (const key of keys) {
      const was = before.getOperation(collection, key);
      const now = after.getOperation(collection, key);
      if (now === undefined || (was !== undefined && was.origin === now.origin && was.seq === now.seq)) continue;
      changes.push({ collection, key, value: now.kind === 'put' ? now.value : undefined, op: now, source: now.origin === peerId ? 'local' : 'remote' });
    }
    for (const type of OPERATION_TYPES) {
      const policy = policyFor(type);
      const was = new Map(before.stateEntries(collection, type));
      for (const [key, state] of after.stateEntries(collection, type)) {
        const old = was.get(key);
        if (old !== undefined && policy.equals(old, state)) continue;
        const ops = policy.essential(state) as Operation[];
        const latest = ops.reduce<Operation | undefined>((best, op) => (best === undefined || compareHlc(op.hlc, best.hlc) > 0 ? op : best), undefined);
        if (latest === undefined) continue;
        changes.push({ collection, key, value: policy.value(state) as JsonValue, op: latest, source: latest.origin === peerId ? 'local' : 'remote' });
      }
    }
  }
  return changes;
}
