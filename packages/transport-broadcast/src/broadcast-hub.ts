import {
  MAX_TIMER_MS,
  DEFAULT_LIMITS,
  EventListeners,
  SyncError,
  TransportError,
  isPeerId,
  checkNumberOption,
  checkOutgoingMessage,
  createConnectionListeners,
  generatePeerId,
  rethrowLater,
  systemClock,
  type Clock,
  type Connection,
  type ConnectionCapabilities,
  type ConnectionEvents,
  type ConnectionState,
  type PeerId,
} from '@softadastra/sync-core';
import { MAX_REASON_LENGTH, frameObject, postableBytes, readFrame, type Frame } from './frames.js';

/** The `message` event a channel delivers, as far as this package reads it. */
export interface ChannelMessageEvent {
  readonly type: string;
  /** Optional in the type only, so that a platform `Event`-typed listener signature fits. */
  readonly data?: unknown;
}

/** What this package uses of a `BroadcastChannel` (the platform's, Node's, or a test's). */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  close(): void;
  addEventListener(type: 'message' | 'messageerror', listener: (event: ChannelMessageEvent) => void): void;
}

/** A `BroadcastChannel` constructor: `globalThis.BroadcastChannel` or a stand-in. */
export type BroadcastChannelConstructor = new (name: string) => BroadcastChannelLike;

/** Options of {@link createBroadcastHub}. */
export interface BroadcastHubOptions {
  /** The channel name every tab of the group opens. */
  readonly channel: string;
  /** This tab's id on the channel (a peer id: 1–64 characters of `A–Z a–z 0–9 _ -`). */
  readonly id: PeerId;
  /**
   * The `BroadcastChannel` constructor.
   * @default globalThis.BroadcastChannel
   */
  readonly BroadcastChannel?: BroadcastChannelConstructor;
  /**
   * A ping to the other tab of each connection every `heartbeatMs` (and a `hello` resent as often while dialling).
   * @default 1000
   */
  readonly heartbeatMs?: number;
  /**
   * After this long without any frame from the other tab, a last ping is sent; unanswered
   * for `heartbeatMs`, the connection closes (code 1006, `E_TRANSPORT`).
   * @default 3000
   */
  readonly timeoutMs?: number;
  /**
   * How long `connect()` waits for the other tab to accept.
   * @default 5000
   */
  readonly connectTimeoutMs?: number;
  /**
   * The largest message sent or accepted, in bytes; use the same value in every tab.
   * @default 1048576 (core's `DEFAULT_LIMITS.maxMessageBytes`)
   */
  readonly maxMessageBytes?: number;
  /**
   * Every timer goes through it.
   * @default systemClock
   */
  readonly clock?: Clock;
}

/** One end of a connection between two tabs. */
export interface BroadcastConnection extends Connection {
  /** This tab's id. */
  readonly localId: PeerId;
  /** The other tab's id. */
  readonly remoteId: PeerId;
  /** The connection id, chosen by the dialling tab. */
  readonly connectionId: string;
}

/** The events of a {@link BroadcastHub}. */
export interface BroadcastHubEvents {
  /** A frame of this transport that could not be read, or a listener of `listen()` that threw. */
  error: (error: SyncError) => void;
}

/** One tab's presence on a channel: dials other tabs and accepts their connections. */
export interface BroadcastHub {
  /** This tab's id. */
  readonly id: PeerId;
  /** The channel name. */
  readonly channel: string;
  /**
   * Accepts connections from other tabs, handing each to `onConnection` (in state
   * `'connecting'`; it opens right after). Until then, `hello`s are refused.
   *
   * @returns a function that stops accepting (open connections stay open)
   * @throws SyncError `E_INVALID_ARGUMENT` when already listening; TransportError `E_CLOSED` once closed
   */
  listen(onConnection: (connection: BroadcastConnection) => void): () => void;
  /**
   * Dials the tab `targetId`: a connection in state `'connecting'` that opens when that tab
   * accepts, or closes for good with `E_TRANSPORT` when it refuses or does not answer within
   * `connectTimeoutMs`.
   *
   * @throws SyncError `E_INVALID_ARGUMENT` for a bad id or this tab's own; TransportError `E_CLOSED` once closed
   */
  connect(targetId: PeerId): BroadcastConnection;
  /** The connections not yet closed. */
  connections(): BroadcastConnection[];
  /** Listens to an event; returns a function that removes the listener. */
  on<E extends keyof BroadcastHubEvents>(event: E, listener: BroadcastHubEvents[E]): () => void;
  /** Closes every connection (code 1001, so the other tabs learn at once) and the channel. */
  close(): void;
}

const DEFAULTS = { heartbeatMs: 1_000, timeoutMs: 3_000, connectTimeoutMs: 5_000 } as const;
/** Close codes, WebSocket's where one fits. */
const CODES = { normal: 1000, goingAway: 1001, protocol: 1002, policy: 1008, tooLarge: 1009, abnormal: 1006, refused: 4403, unknown: 4404 } as const;

interface Settings {
  readonly clock: Clock;
  readonly heartbeatMs: number;
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly maxMessageBytes: number;
}

/**
 * Joins `channel` as the tab `id`.
 *
 * @example
 * ```ts
 * const hub = createBroadcastHub({ channel: 'softadastra:space-1', id: tabId });
 * if (leader) hub.listen((connection) => engine.connect(connection));
 * else engine.connect(hub.connect(leaderId));
 * addEventListener('pagehide', () => hub.close());
 * ```
 *
 * @throws SyncError `E_INVALID_ARGUMENT` for bad options or without a `BroadcastChannel`
 */
export function createBroadcastHub(options: BroadcastHubOptions): BroadcastHub {
  if (typeof options !== 'object' || options === null) throw new SyncError('E_INVALID_ARGUMENT', 'createBroadcastHub() takes an options object { channel, id }');
  const { channel, id } = options;
  if (typeof channel !== 'string' || channel.length === 0) throw new SyncError('E_INVALID_ARGUMENT', `channel must be a non-empty string, got ${JSON.stringify(channel)}`);
  checkTabId(id, 'id');
  const Channel = options.BroadcastChannel ?? (globalThis as unknown as { BroadcastChannel?: BroadcastChannelConstructor }).BroadcastChannel;
  if (typeof Channel !== 'function') throw new SyncError('E_INVALID_ARGUMENT', 'no BroadcastChannel in this environment: pass the BroadcastChannel option');
  const settings: Settings = {
    clock: options.clock ?? systemClock,
    // Timer delays: clamped to what a timer can wait (a longer Node timer fires at once).
    heartbeatMs: Math.min(checkNumberOption('heartbeatMs', options.heartbeatMs ?? DEFAULTS.heartbeatMs, 1), MAX_TIMER_MS),
    timeoutMs: Math.min(checkNumberOption('timeoutMs', options.timeoutMs ?? DEFAULTS.timeoutMs, 1), MAX_TIMER_MS),
    connectTimeoutMs: Math.min(checkNumberOption('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs, 1), MAX_TIMER_MS),
    maxMessageBytes: checkNumberOption('maxMessageBytes', options.maxMessageBytes ?? DEFAULT_LIMITS.maxMessageBytes, 1, true),
  };
  return new Hub(new Channel(channel), channel, id, settings);
}

class Hub implements BroadcastHub {
  readonly id: PeerId;
  readonly channel: string;
  /** This hub's instance id: tells apart two tabs that claim the same id. */
  readonly inst = generatePeerId();
  readonly settings: Settings;
  readonly #port: BroadcastChannelLike;
  readonly #connections = new Map<string, Link>();
  readonly #listeners = new EventListeners<BroadcastHubEvents>(['error'], (error) => rethrowLater(error));
  #onConnection: ((connection: BroadcastConnection) => void) | undefined;
  #closed = false;

  constructor(port: BroadcastChannelLike, channel: string, id: PeerId, settings: Settings) {
    this.#port = port;
    this.channel = channel;
    this.id = id;
    this.settings = settings;
    port.addEventListener('message', (event) => this.#receive(event.data));
    port.addEventListener('messageerror', () => this.report(new TransportError('E_DECODE', `a message on channel ${JSON.stringify(channel)} could not be deserialized; ignored it`)));
  }

  listen(onConnection: (connection: BroadcastConnection) => void): () => void {
    this.#checkOpen('listen()');
    if (typeof onConnection !== 'function') throw new SyncError('E_INVALID_ARGUMENT', 'listen() takes a function called with each accepted connection');
    if (this.#onConnection !== undefined) throw new SyncError('E_INVALID_ARGUMENT', `tab ${this.id} is already listening: call the function listen() returned first`);
    this.#onConnection = onConnection;
    return () => {
      if (this.#onConnection === onConnection) this.#onConnection = undefined;
    };
  }

  connect(targetId: PeerId): BroadcastConnection {
    this.#checkOpen('connect()');
    checkTabId(targetId, 'the target tab id');
    if (targetId === this.id) throw new SyncError('E_INVALID_ARGUMENT', `tab ${this.id} cannot connect to itself`);
    const link = new Link(this, targetId, generatePeerId(), undefined);
    this.#connections.set(key(targetId, link.connectionId), link);
    link.dial();
    return link;
  }

  connections(): BroadcastConnection[] {
    return [...this.#connections.values()];
  }

  on<E extends keyof BroadcastHubEvents>(event: E, listener: BroadcastHubEvents[E]): () => void {
    return this.#listeners.on(event, listener);
  }

  close(): void {
    if (this.#closed) return;
    for (const link of [...this.#connections.values()]) link.close(CODES.goingAway, 'the tab is going away');
    this.#closed = true;
    this.#onConnection = undefined;
    this.#port.close();
  }

  /** Posts a frame; false when the channel refused it (closed, or not cloneable). */
  post(frame: Frame): boolean {
    if (this.#closed) return false;
    try {
      this.#port.postMessage(frameObject(frame));
      return true;
    } catch {
      return false;
    }
  }

  forget(link: Link): void {
    const at = key(link.remoteId, link.connectionId);
    if (this.#connections.get(at) === link) this.#connections.delete(at);
  }

  report(error: SyncError): void {
    if (this.#listeners.count('error') > 0) this.#listeners.emit('error', error);
  }

  #checkOpen(what: string): void {
    if (this.#closed) throw new TransportError('E_CLOSED', `${what}: the hub of tab ${this.id} on channel ${JSON.stringify(this.channel)} is closed; create a new one`);
  }

  #receive(data: unknown): void {
    if (this.#closed) return;
    const reading = readFrame(data, this.settings.maxMessageBytes);
    if (!reading.ok) {
      if (reading.foreign) return;
      const routing = reading.routing;
      if (routing !== undefined && routing.to !== this.id) return;
      const link = routing === undefined ? undefined : this.#connections.get(key(routing.from, routing.cid));
      if (link !== undefined && link.remoteInst === routing?.inst) {
        link.malformed(reading.problem);
        return;
      }
      this.report(new TransportError('E_DECODE', `a malformed frame on channel ${JSON.stringify(this.channel)}: ${reading.problem}; ignored it`, routing === undefined ? {} : { peer: routing.from }));
      return;
    }
    const frame = reading.frame;
    if (frame.to !== this.id) return;
    if (frame.kind === 'hello') {
      this.#hello(frame);
      return;
    }
    // A frame for another tab that shares this id.
    if (frame.toInst !== this.inst) return;
    const link = this.#connections.get(key(frame.from, frame.cid));
    if (link === undefined || (link.remoteInst !== undefined && link.remoteInst !== frame.inst)) {
      // A connection this tab does not know (closed, or from before a reload): tell the other side at once.
      if (frame.kind !== 'close' && frame.kind !== 'refuse') this.#answer(frame, 'close', CODES.unknown, `tab ${this.id} has no connection ${frame.cid}`);
      return;
    }
    link.receive(frame);
  }

  #hello(frame: Frame): void {
    const at = key(frame.from, frame.cid);
    if (this.#connections.has(at)) return; // a resent hello
    const onConnection = this.#onConnection;
    if (onConnection === undefined) {
      this.#answer(frame, 'refuse', undefined, `tab ${this.id} is not accepting connections`);
      return;
    }
    const link = new Link(this, frame.from, frame.cid, frame.inst);
    this.#connections.set(at, link);
    try {
      onConnection(link);
    } catch (error) {
      this.report(new SyncError('E_INTERNAL', `the listen() callback of tab ${this.id} threw: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
    }
    queueMicrotask(() => link.accept());
  }

  #answer(frame: Frame, kind: 'close' | 'refuse', code: number | undefined, reason: string): void {
    const routing = { from: this.id, inst: this.inst, to: frame.from, toInst: frame.inst, cid: frame.cid };
    this.post(kind === 'close' ? { ...routing, kind, code: code ?? CODES.unknown, reason } : { ...routing, kind, reason });
  }
}

function checkTabId(value: unknown, what: string): asserts value is PeerId {
  if (!isPeerId(value)) throw new SyncError('E_INVALID_ARGUMENT', `${what} must be a peer id (1 to 64 characters from A-Z a-z 0-9 _ -), got ${JSON.stringify(value)}`);
}

function key(remote: string, cid: string): string {
  return `${remote} ${cid}`;
}

/** One end of a connection. */
class Link implements BroadcastConnection {
  readonly localId: PeerId;
  readonly remoteId: PeerId;
  readonly connectionId: string;
  readonly capabilities: ConnectionCapabilities;
  readonly bufferedAmount = 0;
  /** The other hub's instance; unknown to the dialler until `accept`. */
  remoteInst: string | undefined;
  readonly #hub: Hub;
  readonly #listeners = createConnectionListeners(() => `the connection to tab ${this.remoteId}`);
  #state: ConnectionState = 'connecting';
  #sent = 0;
  #received = 0;
  #lastHeard: number;
  #probeAt: number | undefined;
  #timer: unknown;
  #deadline: unknown;

  constructor(hub: Hub, remoteId: PeerId, connectionId: string, remoteInst: string | undefined) {
    this.#hub = hub;
    this.localId = hub.id;
    this.remoteId = remoteId;
    this.connectionId = connectionId;
    this.remoteInst = remoteInst;
    this.capabilities = Object.freeze({ ordered: true, reliable: true, maxMessageBytes: hub.settings.maxMessageBytes, reconnects: false });
    this.#lastHeard = hub.settings.clock.now();
  }

  get state(): ConnectionState {
    return this.#state;
  }

  on<E extends keyof ConnectionEvents>(event: E, listener: ConnectionEvents[E]): () => void {
    return this.#listeners.on(event, listener);
  }

  send(bytes: Uint8Array): void {
    if (this.#state !== 'open') {
      const hint = this.#state === 'closed' ? 'it was closed for good; connect again' : "wait for its 'open' event";
      throw new TransportError('E_CLOSED', `cannot send to tab ${this.remoteId}: the connection is ${this.#state} (${hint})`, { peer: this.remoteId });
    }
    checkOutgoingMessage(bytes, this.capabilities.maxMessageBytes, `tab ${this.remoteId}`);
    this.#sent += 1;
    // postMessage clones synchronously: the caller may reuse its buffer.
    if (!this.#post({ kind: 'data', seq: this.#sent, bytes: postableBytes(bytes) })) {
      queueMicrotask(() => this.#fail(CODES.abnormal, 'the channel refused a message', new TransportError('E_TRANSPORT', `the channel refused a message to tab ${this.remoteId} (closed, or the message could not be cloned); closed the connection`, { peer: this.remoteId })));
    }
  }

  close(code: number = CODES.normal, reason = ''): void {
    if (this.#state === 'closed') return;
    const safeCode = Number.isInteger(code) && code >= 1000 && code <= 4999 ? code : CODES.normal;
    const safeReason = typeof reason === 'string' ? reason.slice(0, MAX_REASON_LENGTH) : '';
    this.#end();
    if (this.remoteInst !== undefined) this.#post({ kind: 'close', code: safeCode, reason: safeReason });
    queueMicrotask(() => this.#listeners.emit('close', { code: safeCode, reason: safeReason, final: true }));
  }

  /** Dialler: sends `hello` now and every `heartbeatMs` until accepted, within `connectTimeoutMs`. */
  dial(): void {
    const { clock, heartbeatMs, connectTimeoutMs } = this.#hub.settings;
    const hello = (): void => {
      if (this.#state !== 'connecting') return;
      this.#hub.post({ from: this.localId, inst: this.#hub.inst, to: this.remoteId, cid: this.connectionId, kind: 'hello' });
      this.#timer = clock.setTimeout(hello, heartbeatMs);
    };
    hello();
    this.#deadline = clock.setTimeout(() => {
      if (this.#state !== 'connecting') return;
      this.#fail(CODES.abnormal, 'no answer', new TransportError('E_TRANSPORT', `no tab ${this.remoteId} on channel ${JSON.stringify(this.#hub.channel)} accepted within ${connectTimeoutMs} ms (connectTimeoutMs)`, { peer: this.remoteId }));
    }, connectTimeoutMs);
  }

  /** Acceptor: answers the `hello` and opens. */
  accept(): void {
    if (this.#state !== 'connecting') return;
    if (!this.#post({ kind: 'accept' })) {
      this.#fail(CODES.abnormal, 'the channel is closed', new TransportError('E_TRANSPORT', `could not answer tab ${this.remoteId}: the channel is closed`, { peer: this.remoteId }));
      return;
    }
    this.#open();
  }

  /** A frame for this connection (routing already checked). */
  receive(frame: Frame): void {
    if (this.#state === 'closed') return;
    this.#lastHeard = this.#hub.settings.clock.now();
    switch (frame.kind) {
      case 'hello':
        return;
      case 'accept':
        if (this.#state !== 'connecting' || this.remoteInst !== undefined) return;
        this.remoteInst = frame.inst;
        this.#open();
        return;
      case 'refuse':
        if (this.#state !== 'connecting') return;
        this.#fail(CODES.refused, 'refused', new TransportError('E_TRANSPORT', `tab ${this.remoteId} refused the connection: ${frame.reason ?? 'no reason given'}`, { peer: this.remoteId }));
        return;
      case 'ping':
        this.#post({ kind: 'pong' });
        return;
      case 'pong':
        return;
      case 'data':
        if (this.#state !== 'open') {
          this.malformed(`data frame ${frame.seq} before the connection opened`);
          return;
        }
        if (frame.seq !== this.#received + 1) {
          this.malformed(`data frame ${frame.seq} where ${this.#received + 1} was due (a frame lost, repeated or forged)`);
          return;
        }
        this.#received = frame.seq;
        this.#listeners.emit('message', frame.bytes);
        return;
      case 'close':
        this.#end();
        this.#listeners.emit('close', { code: frame.code, reason: frame.reason, final: true });
        return;
    }
  }

  /** A frame of this connection that could not be read: the link is no longer trustworthy. */
  malformed(problem: string): void {
    if (this.#state === 'closed') return;
    const tooLarge = /over maxMessageBytes/.test(problem);
    const error = new TransportError(tooLarge ? 'E_TOO_LARGE' : 'E_DECODE', `tab ${this.remoteId} sent a bad frame: ${problem}; closed the connection`, { peer: this.remoteId });
    this.#fail(tooLarge ? CODES.tooLarge : CODES.protocol, tooLarge ? 'message too big' : 'bad frame', error);
  }

  #open(): void {
    this.#hub.settings.clock.clearTimeout(this.#timer);
    this.#hub.settings.clock.clearTimeout(this.#deadline);
    this.#state = 'open';
    this.#lastHeard = this.#hub.settings.clock.now();
    this.#scheduleBeat();
    this.#listeners.emit('open');
  }

  /**
   * Every `heartbeatMs`: a ping (answered by a pong at once, even from a tab whose timers are
   * throttled, since message events are not). Dead only when, after `timeoutMs` of silence, a
   * ping sent at least `heartbeatMs` ago got no answer — so a tick that comes late because
   * this tab's own timers were throttled probes before it judges.
   */
  #scheduleBeat(): void {
    const { clock, heartbeatMs, timeoutMs } = this.#hub.settings;
    this.#timer = clock.setTimeout(() => {
      if (this.#state !== 'open') return;
      const now = clock.now();
      const silent = now - this.#lastHeard;
      if (silent >= timeoutMs) {
        if (this.#probeAt !== undefined && this.#lastHeard < this.#probeAt && now - this.#probeAt >= heartbeatMs) {
          const reason = `nothing from tab ${this.remoteId} for ${Math.round(silent)} ms`;
          this.#fail(CODES.abnormal, reason, new TransportError('E_TRANSPORT', `${reason} (timeoutMs ${timeoutMs}), not even an answer to a ping: the tab is gone; closed the connection`, { peer: this.remoteId }));
          return;
        }
        if (this.#probeAt === undefined || this.#lastHeard >= this.#probeAt) this.#probeAt = now;
      } else {
        this.#probeAt = undefined;
      }
      this.#post({ kind: 'ping' });
      this.#scheduleBeat();
    }, heartbeatMs);
  }

  /** Closes for good, from a callback: tells the other side, then emits `error` and `close`. */
  #fail(code: number, reason: string, error: TransportError): void {
    if (this.#state === 'closed') return;
    this.#end();
    if (this.remoteInst !== undefined) this.#post({ kind: 'close', code, reason });
    this.#listeners.emit('error', error);
    this.#listeners.emit('close', { code, reason, final: true });
  }

  #end(): void {
    this.#state = 'closed';
    this.#hub.settings.clock.clearTimeout(this.#timer);
    this.#hub.settings.clock.clearTimeout(this.#deadline);
    this.#timer = this.#deadline = undefined;
    this.#hub.forget(this);
  }

  #post(frame: { kind: 'accept' | 'ping' | 'pong' } | { kind: 'data'; seq: number; bytes: Uint8Array } | { kind: 'close'; code: number; reason: string }): boolean {
    const remoteInst = this.remoteInst;
    if (remoteInst === undefined) return false;
    return this.#hub.post({ from: this.localId, inst: this.#hub.inst, to: this.remoteId, toInst: remoteInst, cid: this.connectionId, ...frame });
  }
}
