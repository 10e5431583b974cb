import { TransportError, type Clock } from '@softadastra/sync-core';
import { CLOSE_CODES } from './close-codes.js';
import { PING, PONG } from './control-frames.js';
import { OPEN, closeSocket, terminateSocket, type SocketErrorEvent, type WebSocketLike } from './web-socket-like.js';

/** How often `bufferedAmount` is polled while bytes wait to be sent (browsers have no drain event). @internal */
export const DRAIN_POLL_MS = 10;

/**
 * Most text (control) frames accepted per second: an honest peer sends one
 * ping and one pong per heartbeat. Past it the link is closed with 1008: a
 * control-frame flood costs CPU and, unanswered, memory. @internal
 */
export const MAX_CONTROL_FRAMES_PER_SECOND = 256;

/** The low-water mark of `drain`, unless a quarter of `maxBufferedBytes` is lower. @internal */
export const LOW_WATER_BYTES = 256 * 1024;

/** What a {@link SocketLink} needs to know. @internal */
export interface LinkSettings {
  /** Every timer goes through it. */
  readonly clock: Clock;
  /** A ping every `heartbeatMs`; the link is dead after 2 × `heartbeatMs` without a frame. */
  readonly heartbeatMs: number;
  /** Larger incoming messages drop the link with `E_TOO_LARGE` (close code 1009). */
  readonly maxMessageBytes: number;
  /** A send that would buffer more drops the link: the other side is too slow. */
  readonly maxBufferedBytes: number;
  /** The other end (a URL or an address), for error messages. */
  readonly peer: string;
}

/** Why a link went down. @internal */
export interface LinkDown {
  /** The close code (1006 when the link was dropped without a closing handshake). */
  readonly code: number;
  /** What happened, for humans. */
  readonly reason: string;
  /** The error to report on the connection's `error` event, if any. */
  readonly error?: TransportError;
}

/** Who a {@link SocketLink} reports to. @internal */
export interface LinkOwner {
  /** A binary message arrived (a private copy or a fresh view). */
  message(bytes: Uint8Array): void;
  /** `bufferedAmount` fell back (see {@link SocketLink}). */
  drain(): void;
  /** The link went down by itself; called once, from a socket or clock callback, never after `close()` or `terminate()`. */
  down(info: LinkDown): void;
}

/**
 * One open WebSocket, as both the client and the server side drive it:
 * binary messages in and out, the text-frame heartbeat, `drain`, and the
 * limits on message size and buffered bytes.
 *
 * @remarks
 * - Heartbeat: a {@link PING} every `heartbeatMs`, a {@link PONG} for every
 *   ping received. Any frame received proves the link alive; after
 *   2 × `heartbeatMs` without one the socket is terminated and the owner told
 *   (`E_TIMEOUT`).
 * - Drain: after a send leaves bytes buffered, `bufferedAmount` is polled on
 *   the clock; `drain` fires when it falls to the low-water mark after having
 *   been above it, and again when it reaches 0, so a sender pausing at any
 *   mark of its own is resumed.
 * - A send that would take `bufferedAmount` over `maxBufferedBytes`
 *   terminates the socket instead of growing memory without bound.
 *
 * @internal
 */
export class SocketLink {
  readonly #socket: WebSocketLike;
  readonly #settings: LinkSettings;
  readonly #owner: LinkOwner;
  readonly #lowWater: number;
  #live = true;
  #heard = false;
  #lastHeard: number;
  #pingTimer: unknown;
  #watchdog: unknown;
  #drainTimer: unknown;
  /** A send left bytes buffered since the buffer was last seen empty. */
  #drainOwed = false;
  /** `bufferedAmount` went above the low-water mark since the last `drain` at that mark. */
  #above = false;
  #error: TransportError | undefined;
  /** Text frames received since the window started, and when it did. */
  #controlFrames = 0;
  #controlWindow: number;

  /**
   * Takes over an open socket's `onmessage`, `onclose` and `onerror`.
   *
   * @param socket - an open socket
   * @param settings - clock, heartbeat and limits
   * @param owner - told about messages, drains and the end of the link
   */
  constructor(socket: WebSocketLike, settings: LinkSettings, owner: LinkOwner) {
    this.#socket = socket;
    this.#settings = settings;
    this.#owner = owner;
    this.#lowWater = Math.min(LOW_WATER_BYTES, Math.floor(settings.maxBufferedBytes / 4));
    this.#lastHeard = settings.clock.now();
    this.#controlWindow = this.#lastHeard;
    socket.binaryType = 'arraybuffer';
    socket.onmessage = (event) => this.#onMessage(event.data);
    socket.onclose = (event) => this.#onClose(event.code, event.reason);
    socket.onerror = (event) => this.#onError(event);
    this.#schedulePing();
    this.#armWatchdog(2 * settings.heartbeatMs);
  }

  /** Bytes sent and not yet handed to the network (0 once the link is down). */
  get bufferedAmount(): number {
    return this.#live ? this.#socket.bufferedAmount : 0;
  }

  /** Whether any frame arrived over this link (it worked, so backoff may start over). */
  get hasHeard(): boolean {
    return this.#heard;
  }

  /**
   * Sends a private copy of `bytes` as one binary frame.
   *
   * @returns `undefined` once sent; or, when it would buffer more than
   * `maxBufferedBytes`, why the link was dropped — the socket is terminated,
   * the message is not sent and the owner is not called back
   */
  send(bytes: Uint8Array): LinkDown | undefined {
    if (!this.#live) return { code: CLOSE_CODES.abnormal, reason: 'the link is down' };
    const buffered = this.#socket.bufferedAmount;
    if (buffered + bytes.length > this.#settings.maxBufferedBytes) {
      const reason = `send buffer to ${this.#settings.peer} would exceed maxBufferedBytes (${buffered} + ${bytes.length} > ${this.#settings.maxBufferedBytes} bytes): the link is too slow, dropped it`;
      this.terminate();
      return { code: CLOSE_CODES.abnormal, reason, error: new TransportError('E_TRANSPORT', `${reason}; the protocol resyncs on the next connection`, { peer: this.#settings.peer }) };
    }
    // A copy: the caller may reuse its buffer, and `ws` keeps a reference to
    // unmasked data (server side) while the socket is backlogged.
    this.#socket.send(bytes.slice());
    this.#afterSend();
    return undefined;
  }

  /** Starts a closing handshake; the owner is not called back. */
  close(code: number, reason: string): void {
    if (!this.#stop()) return;
    closeSocket(this.#socket, code, reason);
  }

  /** Drops the link at once; the owner is not called back. */
  terminate(): void {
    if (!this.#stop()) return;
    terminateSocket(this.#socket);
  }

  /** Ends the link's life: timers off, later socket events ignored. Returns whether it was live. */
  #stop(): boolean {
    if (!this.#live) return false;
    this.#live = false;
    const { clock } = this.#settings;
    clock.clearTimeout(this.#pingTimer);
    clock.clearTimeout(this.#watchdog);
    clock.clearTimeout(this.#drainTimer);
    this.#pingTimer = this.#watchdog = this.#drainTimer = undefined;
    return true;
  }

  /** Stops, then tells the owner (from a socket or clock callback). */
  #down(info: LinkDown): void {
    if (!this.#stop()) return;
    this.#owner.down(info);
  }

  #onMessage(data: unknown): void {
    if (!this.#live) return;
    this.#heard = true;
    this.#lastHeard = this.#settings.clock.now();
    if (typeof data === 'string') {
      this.#onControl(data);
      return;
    }
    let bytes: Uint8Array;
    if (data instanceof ArrayBuffer) bytes = new Uint8Array(data); // a buffer of its own for each message
    else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    else {
      const kind = data === null ? 'null' : typeof data === 'object' ? ((data as { constructor?: { name?: string } }).constructor?.name ?? 'object') : typeof data;
      this.#error = new TransportError('E_TRANSPORT', `${this.#settings.peer} sent a frame this transport cannot read (${kind}); set binaryType to 'arraybuffer'`, { peer: this.#settings.peer });
      return;
    }
    if (bytes.length > this.#settings.maxMessageBytes) {
      // `ws` refuses such frames itself (maxPayload); the platform WebSocket does not.
      const reason = `a message of ${bytes.length} bytes exceeds maxMessageBytes (${this.#settings.maxMessageBytes})`;
      this.close(CLOSE_CODES.tooLarge, 'message too big');
      this.#owner.down({ code: CLOSE_CODES.tooLarge, reason, error: new TransportError('E_TOO_LARGE', `${this.#settings.peer} sent ${reason}; dropped the link`, { peer: this.#settings.peer }) });
      return;
    }
    this.#owner.message(bytes);
  }

  #onClose(code: number, reason: string): void {
    if (!this.#live) return;
    const said = reason === '' ? (code === CLOSE_CODES.abnormal ? 'the link was lost' : 'closed by the other side') : reason;
    this.#down(this.#error === undefined ? { code, reason: said } : { code, reason: said, error: this.#error });
  }

  #onError(event: SocketErrorEvent): void {
    if (!this.#live) return;
    const cause = event.error;
    const code = (cause as { code?: unknown } | undefined)?.code;
    if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      // `ws` already answers with close code 1009; the link is over for us now,
      // even if the other side never completes the closing handshake.
      const reason = `a message over the limit of ${this.#settings.maxMessageBytes} bytes`;
      this.#down({
        code: CLOSE_CODES.tooLarge,
        reason,
        error: new TransportError('E_TOO_LARGE', `${this.#settings.peer} sent ${reason}; closed the link with code 1009`, { peer: this.#settings.peer, cause }),
      });
      return;
    }
    const detail = cause instanceof Error ? cause.message : typeof event.message === 'string' && event.message !== '' ? event.message : 'the WebSocket reported an error';
    // Reported with the close that follows.
    this.#error = new TransportError('E_TRANSPORT', `link to ${this.#settings.peer} failed: ${detail}`, { peer: this.#settings.peer, cause });
  }

  #onControl(text: string): void {
    const now = this.#settings.clock.now();
    if (now - this.#controlWindow >= 1000 || now < this.#controlWindow) {
      this.#controlWindow = now;
      this.#controlFrames = 0;
    }
    if (++this.#controlFrames > MAX_CONTROL_FRAMES_PER_SECOND) {
      const reason = `more than ${MAX_CONTROL_FRAMES_PER_SECOND} control frames within a second`;
      this.close(CLOSE_CODES.policyViolation, 'too many control frames');
      this.#owner.down({ code: CLOSE_CODES.policyViolation, reason, error: new TransportError('E_RATE_LIMIT', `${this.#settings.peer} sent ${reason}; closed the link`, { peer: this.#settings.peer }) });
      return;
    }
    // A peer that pings and does not read gets no pongs piling up: it hears from us when it reads.
    if (text === PING && this.#socket.bufferedAmount <= this.#lowWater) this.#sendControl(PONG);
  }

  #sendControl(text: string): void {
    if (this.#socket.readyState !== OPEN) return;
    // A control frame is a reply like any other: it never grows a slow peer's buffer past the limit.
    if (this.#socket.bufferedAmount + text.length > this.#settings.maxBufferedBytes) return;
    try {
      this.#socket.send(text);
    } catch {
      // The socket is closing; its close event follows.
    }
  }

  #schedulePing(): void {
    this.#pingTimer = this.#settings.clock.setTimeout(() => {
      if (!this.#live) return;
      this.#sendControl(PING);
      this.#schedulePing();
    }, this.#settings.heartbeatMs);
  }

  #armWatchdog(ms: number): void {
    this.#watchdog = this.#settings.clock.setTimeout(() => {
      if (!this.#live) return;
      const limit = 2 * this.#settings.heartbeatMs;
      const silent = this.#settings.clock.now() - this.#lastHeard;
      if (silent < limit) {
        this.#armWatchdog(limit - silent);
        return;
      }
      // After the event loop was blocked, timers run before the socket data
      // that arrived meanwhile is read: judge on the next turn, once it has been.
      const heard = this.#lastHeard;
      this.#watchdog = this.#settings.clock.setTimeout(() => {
        if (!this.#live) return;
        if (this.#lastHeard !== heard) {
          this.#armWatchdog(Math.max(0, limit - (this.#settings.clock.now() - this.#lastHeard)));
          return;
        }
        this.#dead(this.#settings.clock.now() - this.#lastHeard);
      }, 0);
    }, ms);
  }

  #dead(silent: number): void {
    const reason = `nothing received from ${this.#settings.peer} for ${silent} ms (2 × heartbeatMs): the link is presumed dead`;
    terminateSocket(this.#socket);
    this.#down({ code: CLOSE_CODES.abnormal, reason, error: new TransportError('E_TIMEOUT', `${reason}; dropped it`, { peer: this.#settings.peer }) });
  }

  #afterSend(): void {
    const buffered = this.#socket.bufferedAmount;
    if (buffered === 0) return;
    this.#drainOwed = true;
    if (buffered > this.#lowWater) this.#above = true;
    if (this.#drainTimer === undefined) this.#drainTimer = this.#settings.clock.setTimeout(() => this.#pollBuffer(), DRAIN_POLL_MS);
  }

  #pollBuffer(): void {
    this.#drainTimer = undefined;
    if (!this.#live) return;
    const buffered = this.#socket.bufferedAmount;
    if (buffered > this.#lowWater) this.#above = true;
    const crossed = this.#above && buffered <= this.#lowWater;
    if (crossed) this.#above = false;
    const empty = buffered === 0;
    const signal = crossed || (empty && this.#drainOwed);
    if (empty) this.#drainOwed = false;
    else this.#drainTimer = this.#settings.clock.setTimeout(() => this.#pollBuffer(), DRAIN_POLL_MS);
    if (signal) this.#owner.drain();
  }
}
