import {
  SyncError,
  TransportError,
  type Connection,
  type ConnectionCapabilities,
  type ConnectionEvents,
  type ConnectionState,
} from '@softadastra/sync-core';

/**
 * What an end asks of the link it belongs to.
 *
 * @internal
 */
export interface LinkPort {
  /** Hands a private copy of a message to the network. */
  transmit(from: MemoryConnection, bytes: Uint8Array): void;
  /** Closes the link for good, on behalf of `from`. */
  close(from: MemoryConnection, code: number, reason: string): void;
}

type Listeners = { [E in keyof ConnectionEvents]: ConnectionEvents[E][] };

const EVENTS: readonly (keyof ConnectionEvents)[] = ['open', 'message', 'close', 'error', 'drain'];

/**
 * One end of a link of the memory network: the {@link Connection} a node holds.
 *
 * @remarks
 * The network drives it: only the network's clock callbacks change its state
 * or emit its events, so nothing happens synchronously inside `send()`,
 * `on()` or `close()` — except that `close()` makes `state` `'closed'` at
 * once, so that a `send()` after it throws.
 *
 * @internal
 */
export class MemoryConnection implements Connection {
  /** What this end promises, computed from the faults when it was connected. */
  readonly capabilities: ConnectionCapabilities;
  /** The node holding this end. */
  readonly local: string;
  /** The node at the other end. */
  readonly remote: string;
  readonly #port: LinkPort;
  #state: ConnectionState = 'connecting';
  #buffered = 0;
  #finalCloseEmitted = false;
  readonly #listeners: Listeners = { open: [], message: [], close: [], error: [], drain: [] };

  /**
   * @param local - the node holding this end
   * @param remote - the node at the other end
   * @param capabilities - what the link promises
   * @param port - the link
   */
  constructor(local: string, remote: string, capabilities: ConnectionCapabilities, port: LinkPort) {
    this.local = local;
    this.remote = remote;
    this.capabilities = capabilities;
    this.#port = port;
  }

  /** Where this end stands. */
  get state(): ConnectionState {
    return this.#state;
  }

  /**
   * Bytes sent from this end that are still in flight (not yet delivered nor
   * lost): the memory network's model of a socket's send buffer. `drain` is
   * emitted when it falls back to 0.
   */
  get bufferedAmount(): number {
    return this.#buffered;
  }

  /**
   * Counts `bytes` more (or fewer, when negative) in flight from this end (network side).
   *
   * @internal
   * @returns whether the buffer just became empty
   */
  buffer(bytes: number): boolean {
    const before = this.#buffered;
    this.#buffered = Math.max(0, before + bytes);
    return before > 0 && this.#buffered === 0;
  }

  /**
   * Sends a copy of `bytes` over the network.
   *
   * @throws TransportError `E_CLOSED` unless `'open'`; `E_TOO_LARGE` over `capabilities.maxMessageBytes`
   */
  send(bytes: Uint8Array): void {
    if (this.#state !== 'open') {
      const hint = this.#state === 'closed' ? 'it was closed for good; connect again' : "wait for its 'open' event";
      throw new TransportError('E_CLOSED', `cannot send from "${this.local}" to "${this.remote}": the connection is ${this.#state} (${hint})`, {
        peer: this.remote,
      });
    }
    if (!(bytes instanceof Uint8Array)) {
      throw new SyncError('E_INVALID_ARGUMENT', `send() takes a Uint8Array, got ${typeof bytes}`);
    }
    const max = this.capabilities.maxMessageBytes;
    if (bytes.length > max) {
      throw new TransportError(
        'E_TOO_LARGE',
        `message of ${bytes.length} bytes from "${this.local}" to "${this.remote}" exceeds maxMessageBytes (${max}): split it into smaller messages`,
        { peer: this.remote },
      );
    }
    // A copy, as a plain Uint8Array (not a Buffer view): the caller may reuse its buffer.
    this.#port.transmit(this, new Uint8Array(bytes));
  }

  /**
   * Listens to `event`; listeners are called from clock callbacks only.
   *
   * @returns a function that removes this listener
   */
  on<E extends keyof ConnectionEvents>(event: E, listener: ConnectionEvents[E]): () => void {
    if (!EVENTS.includes(event)) throw new SyncError('E_INVALID_ARGUMENT', `unknown connection event ${JSON.stringify(event)}`);
    if (typeof listener !== 'function') throw new SyncError('E_INVALID_ARGUMENT', `the listener of "${event}" must be a function`);
    const list = this.#listeners[event];
    list.push(listener);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      const at = list.indexOf(listener);
      if (at >= 0) list.splice(at, 1);
    };
  }

  /**
   * Closes the link for good; both ends emit `close` with `final: true` from the next clock callback.
   *
   * @param code - the close code @default 1000
   * @param reason - a human-readable reason @default ''
   */
  close(code?: number, reason?: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#buffered = 0;
    this.#port.close(this, code ?? 1000, reason ?? '');
  }

  /**
   * Moves to `state` (network side).
   *
   * @internal
   */
  setState(state: ConnectionState): void {
    this.#state = state;
    if (state !== 'open') this.#buffered = 0;
  }

  /**
   * Emits the final `close` once (network side).
   *
   * @internal
   * @returns the errors thrown by listeners
   */
  emitFinalClose(info: Parameters<ConnectionEvents['close']>[0]): unknown[] {
    this.#state = 'closed';
    this.#buffered = 0;
    if (this.#finalCloseEmitted) return [];
    this.#finalCloseEmitted = true;
    return this.emit('close', info);
  }

  /**
   * Calls every listener of `event`; a throwing listener does not stop the
   * others, and its error is returned for the network to rethrow once its own
   * state is consistent.
   *
   * @internal
   * @returns the errors thrown by listeners
   */
  emit<E extends keyof ConnectionEvents>(event: E, ...args: Parameters<ConnectionEvents[E]>): unknown[] {
    const errors: unknown[] = [];
    // A snapshot: listeners added or removed while emitting take effect next time.
    for (const listener of [...this.#listeners[event]]) {
      try {
        (listener as (...a: Parameters<ConnectionEvents[E]>) => void)(...args);
      } catch (error) {
        errors.push(error);
      }
    }
    return errors;
  }
}
