import { SyncError } from './errors.js';

/** A map from event names to listener signatures. */
export type EventMap<T> = { [E in keyof T]: (...args: never[]) => void };

/**
 * The listeners of an object's events: `on()` returns an unsubscribe
 * function, `emit()` calls a snapshot of the listeners so that subscribing
 * or unsubscribing while emitting takes effect from the next event.
 *
 * @remarks
 * A listener that throws does not stop the others. Its error goes to
 * `onListenerError` (the connections report it on their `error` event as
 * `E_INTERNAL`, or rethrow it from a microtask when nobody listens), never
 * back into the callback that emitted the event. Shared by the engine and the
 * adapters, so that every object of the library emits events the same way.
 */
export class EventListeners<Events extends EventMap<Events>> {
  readonly #lists = new Map<keyof Events, Array<Events[keyof Events]>>();
  readonly #onListenerError: (error: unknown, event: keyof Events) => void;

  /**
   * @param names - the events that exist
   * @param onListenerError - told about every error a listener throws
   */
  constructor(names: readonly (keyof Events)[], onListenerError: (error: unknown, event: keyof Events) => void) {
    for (const name of names) this.#lists.set(name, []);
    this.#onListenerError = onListenerError;
  }

  /**
   * Adds a listener.
   *
   * @throws SyncError `E_INVALID_ARGUMENT` for an unknown event or a listener that is not a function
   * @returns a function that removes it (calling it again is harmless)
   */
  on<E extends keyof Events>(event: E, listener: Events[E]): () => void {
    const list = this.#lists.get(event);
    if (list === undefined) throw new SyncError('E_INVALID_ARGUMENT', `unknown event ${JSON.stringify(event)}: use one of ${[...this.#lists.keys()].map(String).join(', ')}`);
    if (typeof listener !== 'function') throw new SyncError('E_INVALID_ARGUMENT', `the listener of "${String(event)}" must be a function`);
    list.push(listener);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      const at = list.indexOf(listener);
      if (at >= 0) list.splice(at, 1);
    };
  }

  /** Removes every listener. */
  clear(): void {
    for (const list of this.#lists.values()) list.length = 0;
  }

  /** How many listeners `event` has. */
  count(event: keyof Events): number {
    return this.#lists.get(event)?.length ?? 0;
  }

  /** Calls every listener of `event` with `args`. */
  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    const list = this.#lists.get(event);
    if (list === undefined || list.length === 0) return;
    for (const listener of [...list]) {
      try {
        (listener as (...a: Parameters<Events[E]>) => void)(...args);
      } catch (error) {
        this.#onListenerError(error, event);
      }
    }
  }
}

/**
 * Rethrows `error` from a fresh microtask: a bug in a listener surfaces as an
 * uncaught exception, as it would from an EventEmitter, without unwinding the
 * callback that was emitting.
 */
export function rethrowLater(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}
