import type { ServerResponse } from 'node:http';
import {
  TransportError,
  checkOutgoingMessage,
  createConnectionListeners,
  type Clock,
  type Connection,
  type ConnectionCapabilities,
  type ConnectionCloseInfo,
  type ConnectionEvents,
  type ConnectionState,
  type EventListeners,
  type SyncError,
} from '@softadastra/sync-core';
import { replyMessages, replyStatus } from './http-reply.js';
import { encodeFrames } from './message-framing.js';
import { CLOSE_CODES } from './wire-protocol.js';

/**
 * The server end of one HTTP session, as `HttpTransportServer` hands it out:
 * already `'open'`, and never coming back once closed (a client that
 * reconnects arrives as a new session, hence a new connection).
 */
export interface HttpServerConnection extends Connection {
  /** The session id (also in the URLs of the client's requests). */
  readonly session: string;
  /** The address and port the session was created from, e.g. `"127.0.0.1:51234"`. */
  readonly remote: string;
}

/** What a session needs from its server. @internal */
export interface SessionSettings {
  readonly id: string;
  /** The base path the session was created under; its requests must use it. */
  readonly base: string;
  readonly remote: string;
  readonly clock: Clock;
  readonly maxMessageBytes: number;
  readonly maxQueuedBytes: number;
  readonly sessionTtlMs: number;
}

/** A poll waiting for messages. */
interface PendingPoll {
  readonly response: ServerResponse;
  timer: unknown;
}

/** How a session ends: what its `close` event says and what its pending poll is answered. */
interface Ending {
  readonly code: number;
  readonly reason: string;
  /** The status the pending poll gets (404 unless told otherwise). */
  readonly pollStatus?: number;
  readonly error?: SyncError;
}


/** The low-water mark of `drain`, unless a quarter of `maxQueuedBytes` is lower. @internal */
export const LOW_WATER_BYTES = 256 * 1024;

/**
 * The implementation of {@link HttpServerConnection}: the outbound queue the
 * client's polls empty, the inbound messages its POSTs bring, and the
 * session's expiry.
 *
 * @remarks
 * - Outbound: `send()` queues a copy; a pending poll is answered from a
 *   microtask with everything queued by then (so the sends of one tick share
 *   one response). A queue over `maxQueuedBytes` closes the session: the
 *   client polls too slowly, and resyncs after reconnecting.
 * - `drain`: when a poll empties a queue that went above the low-water mark.
 * - Expiry: a timer runs whenever no poll is pending; when it fires the
 *   session closes (final). A pending poll holds it off.
 *
 * @internal
 */
export class ServerSession implements HttpServerConnection {
  readonly capabilities: ConnectionCapabilities;
  readonly session: string;
  readonly remote: string;
  readonly base: string;
  readonly #settings: SessionSettings;
  readonly #listeners: EventListeners<ConnectionEvents>;
  readonly #onClosed: (session: ServerSession) => void;
  readonly #lowWater: number;
  #state: ConnectionState = 'open';
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  /** The queue went above the low-water mark since the last `drain`. */
  #above = false;
  #poll: PendingPoll | undefined;
  #answerScheduled = false;
  #expiryTimer: unknown;
  #ending: { readonly pollStatus: number; readonly reason: string } | undefined;

  /**
   * @param settings - id, limits, clock
   * @param onClosed - called once, when the session becomes `'closed'`
   */
  constructor(settings: SessionSettings, onClosed: (session: ServerSession) => void) {
    this.#settings = settings;
    this.session = settings.id;
    this.remote = settings.remote;
    this.base = settings.base;
    this.#onClosed = onClosed;
    this.#lowWater = Math.min(LOW_WATER_BYTES, Math.floor(settings.maxQueuedBytes / 4));
    this.capabilities = Object.freeze({ ordered: true, reliable: false, maxMessageBytes: settings.maxMessageBytes, reconnects: false });
    this.#listeners = createConnectionListeners(() => `the session of ${this.remote}`);
    this.#armExpiry();
  }

  /** `'open'` until the session ends, then `'closed'`. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** Bytes queued for the client and not yet handed to one of its polls. */
  get bufferedAmount(): number {
    return this.#queuedBytes;
  }

  /**
   * Queues a copy of one message for the client's next poll.
   *
   * @throws TransportError `E_CLOSED` unless `'open'` (also when this message
   * would take the queue over `maxQueuedBytes`: the slow client is
   * disconnected); `E_TOO_LARGE` over `capabilities.maxMessageBytes`
   */
  send(bytes: Uint8Array): void {
    if (this.#state !== 'open') {
      throw new TransportError('E_CLOSED', `cannot send to ${this.remote}: session ${this.session} is closed (the client comes back as a new connection)`, { peer: this.remote });
    }
    checkOutgoingMessage(bytes, this.capabilities.maxMessageBytes, this.remote);
    const limit = this.#settings.maxQueuedBytes;
    if (this.#queuedBytes + bytes.length > limit) {
      const reason = `queue for ${this.remote} would exceed maxQueuedBytes (${this.#queuedBytes} + ${bytes.length} > ${limit} bytes): the client polls too slowly, closed its session`;
      this.#end({ code: CLOSE_CODES.abnormal, reason, error: new TransportError('E_TRANSPORT', `${reason}; the protocol resyncs when it reconnects`, { peer: this.remote }) });
      throw new TransportError('E_CLOSED', `cannot send to ${this.remote}: ${reason}`, { peer: this.remote });
    }
    this.#queue.push(bytes.slice());
    this.#queuedBytes += bytes.length;
    if (this.#queuedBytes > this.#lowWater) this.#above = true;
    if (this.#poll !== undefined && !this.#answerScheduled) {
      this.#answerScheduled = true;
      queueMicrotask(() => {
        this.#answerScheduled = false;
        const poll = this.#poll;
        if (poll !== undefined && this.#queue.length > 0) this.#answer(poll);
      });
    }
  }

  /**
   * Listens to an event (`open` never fires: the connection starts open).
   *
   * @returns a function that removes the listener
   */
  on<E extends keyof ConnectionEvents>(event: E, listener: ConnectionEvents[E]): () => void {
    return this.#listeners.on(event, listener);
  }

  /**
   * Closes the session for good and emits `close` with `final: true` from a
   * microtask. The client's pending poll is answered 404 (the client
   * reconnects with a new session) — or 401 / 403 for the codes 4401 / 4403,
   * and then the client stops.
   *
   * @param code - the close code @default 1000
   * @param reason - why @default ''
   */
  close(code: number = CLOSE_CODES.normal, reason = ''): void {
    const pollStatus = code === CLOSE_CODES.unauthorized ? 401 : code === CLOSE_CODES.forbidden ? 403 : 404;
    this.#end({ code, reason, pollStatus });
  }

  // ── driven by the server ─────────────────────────────────────────────────

  /**
   * A poll arrived: answer it now if messages wait, else hold it until one
   * is queued or `waitMs` passes. A poll already pending is answered 204.
   *
   * @internal
   */
  poll(response: ServerResponse, waitMs: number): void {
    if (this.#state !== 'open') {
      replyStatus(response, 404, `session ${this.session} is closed: create a new one`);
      return;
    }
    const previous = this.#poll;
    if (previous !== undefined) this.#settle(previous, () => replyStatus(previous.response, 204));
    this.#settings.clock.clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
    const poll: PendingPoll = { response, timer: undefined };
    this.#poll = poll;
    if (this.#queue.length > 0) {
      this.#answer(poll);
      return;
    }
    if (waitMs <= 0) {
      this.#settle(poll, () => replyStatus(response, 204));
      return;
    }
    poll.timer = this.#settings.clock.setTimeout(() => {
      poll.timer = undefined;
      this.#settle(poll, () => replyStatus(response, 204));
    }, waitMs);
    // The client gave up (or the network did): stop holding, start the expiry.
    response.once('close', () => this.#settle(poll, () => undefined));
  }

  /**
   * Messages a POST brought, in order; stops if a listener closes the
   * session meanwhile.
   *
   * @internal
   */
  deliver(messages: readonly Uint8Array[]): void {
    for (const message of messages) {
      if (this.#state !== 'open') return;
      this.#listeners.emit('message', message);
    }
  }

  /** The client deleted its session. @internal */
  closeByClient(): void {
    this.#end({ code: CLOSE_CODES.normal, reason: 'closed by the client' });
  }

  /** The server shuts down: the pending poll gets a 503 and the client comes back later. @internal */
  closeForShutdown(): void {
    this.#end({ code: CLOSE_CODES.goingAway, reason: 'server going away', pollStatus: 503 });
  }

  /** How the session ended (the status its pending poll got, and why), once closed. @internal */
  get ending(): { readonly pollStatus: number; readonly reason: string } | undefined {
    return this.#ending;
  }

  // ── internals ────────────────────────────────────────────────────────────

  /** Hands everything queued to `poll`. */
  #answer(poll: PendingPoll): void {
    if (poll.response.destroyed || poll.response.writableEnded) {
      // Gone before we could answer: keep the messages for the next poll.
      this.#settle(poll, () => undefined);
      return;
    }
    const messages = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#settle(poll, () => replyMessages(poll.response, encodeFrames(messages)));
    if (this.#above) {
      this.#above = false;
      this.#listeners.emit('drain');
    }
  }

  /** Ends `poll` (if it is still the pending one) with `reply`, and starts the expiry timer. */
  #settle(poll: PendingPoll, reply: () => unknown): void {
    if (this.#poll !== poll) return;
    this.#poll = undefined;
    this.#settings.clock.clearTimeout(poll.timer);
    poll.timer = undefined;
    reply();
    if (this.#state === 'open') this.#armExpiry();
  }

  #armExpiry(): void {
    const ttl = this.#settings.sessionTtlMs;
    this.#settings.clock.clearTimeout(this.#expiryTimer);
    this.#expiryTimer = this.#settings.clock.setTimeout(() => {
      this.#expiryTimer = undefined;
      if (this.#poll !== undefined) return;
      this.#end({ code: CLOSE_CODES.abnormal, reason: `session expired: the client did not poll for ${ttl} ms (sessionTtlMs)` });
    }, ttl);
  }

  /** Closed for good: state now, poll answered now, events from a microtask. */
  #end(ending: Ending): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#ending = { pollStatus: ending.pollStatus ?? 404, reason: ending.reason };
    this.#settings.clock.clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
    this.#queue = [];
    this.#queuedBytes = 0;
    const poll = this.#poll;
    if (poll !== undefined) {
      const status = ending.pollStatus ?? 404;
      const said = ending.reason === '' ? `closed with code ${ending.code}` : ending.reason;
      this.#settle(poll, () => replyStatus(poll.response, status, `session ${this.session} ${status === 503 ? 'ended' : 'is closed'}: ${said}`));
    }
    this.#onClosed(this);
    const close: ConnectionCloseInfo = { code: ending.code, reason: ending.reason, final: true };
    queueMicrotask(() => {
      if (ending.error !== undefined) this.#listeners.emit('error', ending.error);
      this.#listeners.emit('close', close);
    });
  }

}
