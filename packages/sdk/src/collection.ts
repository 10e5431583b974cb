import { SyncError, type JsonValue, type Operation } from '@softadastra/sync-core';
import type { Change } from '@softadastra/sync-engine';
import type { SpaceBackend } from './space-backend.js';
import { checkNames } from './names.js';
import { runValidator, type Validator } from './validator.js';
import { writeHandle, type WriteHandle } from './write-handle.js';

/** Options of `space.collection()`. */
export interface CollectionOptions<T> {
  /** Last-writer-wins: the default. See `space.collection()` for the typed collections. @default 'lww' */
  readonly type?: 'lww';
  /** Checks (and may transform) values before they are written locally: a function or any Standard Schema (zod, valibot…). */
  readonly validate?: Validator<T>;
}

/** A change of one key of a collection. */
export interface CollectionChange<T> {
  readonly key: string;
  /** The new value; `undefined` when deleted. */
  readonly value: T | undefined;
  /** Whether this peer wrote it or it came from another peer. */
  readonly source: 'local' | 'remote';
  readonly op: Operation;
}

/**
 * A typed view of one collection of a space.
 *
 * @remarks
 * Values must be JSON (plain objects, arrays, strings, finite numbers,
 * booleans, null): `T` may be any type of that shape, interfaces included.
 * What `get` returns is shared with the engine — treat it as read-only. The validator runs on local writes only: remote operations were
 * validated by their writer, and every peer must accept the same operations.
 */
export class Collection<T = JsonValue> {
  readonly name: string;
  readonly #engine: SpaceBackend;
  readonly #validate: Validator<T> | undefined;
  readonly #ackOf: (op: Operation) => Promise<void>;

  /** @internal */
  constructor(engine: SpaceBackend, name: string, options: CollectionOptions<T>, ackOf: (op: Operation) => Promise<void>) {
    this.#engine = engine;
    this.name = name;
    this.#validate = options.validate;
    this.#ackOf = ackOf;
  }

  /** The value of a key, or `undefined`. */
  get(key: string): T | undefined {
    return this.#engine.get(this.name, key) as T | undefined;
  }

  /** Whether a key has a value. */
  has(key: string): boolean {
    return this.#engine.has(this.name, key);
  }

  /**
   * Writes a value.
   *
   * @remarks
   * Whatever can be known at once is checked before the handle is returned,
   * and throws: a write nobody awaits cannot fail unseen. Only an
   * asynchronous schema's verdict arrives later, through the handle.
   *
   * @returns a handle: `await` it for durability, `acked` for the relay
   * @throws SyncError (synchronously) `E_INVALID_KEY` for a bad key (empty, too long, not a string…),
   * `E_INVALID_VALUE` when the validator refuses the value or it is not JSON (a cycle, `10n`, `NaN`…),
   * `E_TOO_LARGE` for a value over the limits; nothing is written then
   */
  put(key: string, value: T): WriteHandle {
    if (this.#validate === undefined) return writeHandle(this.#engine.put(this.name, key, value as JsonValue), this.#ackOf);
    // The key first: a bad key must not wait for an asynchronous schema to be reported.
    checkNames(this.name, key, this.#engine.limits);
    const checked = runValidator(this.#validate, value, `${this.name}/${key}`);
    // Values must be JSON: the engine checks them (E_INVALID_VALUE otherwise), whatever T says.
    const durable = checked instanceof Promise ? checked.then((v) => this.#engine.put(this.name, key, v as JsonValue)) : this.#engine.put(this.name, key, checked as JsonValue);
    return writeHandle(durable, this.#ackOf);
  }

  /**
   * Deletes a key (a tombstone: an older concurrent write cannot bring it back).
   *
   * @throws SyncError (synchronously) `E_INVALID_KEY` for a bad key; nothing is written then
   */
  delete(key: string): WriteHandle {
    return writeHandle(this.#engine.delete(this.name, key), this.#ackOf);
  }

  /** Every value. */
  list(): T[] {
    return this.#engine.entries(this.name).map(([, value]) => value as T);
  }

  /** Every `[key, value]`. */
  entries(): Array<[string, T]> {
    return this.#engine.entries(this.name) as Array<[string, T]>;
  }

  /** Every key with a value. */
  keys(): string[] {
    return this.#engine.entries(this.name).map(([key]) => key);
  }

  /** How many keys have a value. */
  get size(): number {
    return this.#engine.entries(this.name).length;
  }

  /**
   * Listens to changes: of the whole collection (`subscribe(listener)`), or
   * of one key (`subscribe(key, listener)`).
   *
   * @remarks
   * With `{ initial: true }` the listener first gets the current state, in
   * the same shape as live changes, synchronously before `subscribe` returns:
   * every key that has a value (one call, skipped when there is none), or the
   * key's value (skipped when it has none). Live changes follow, each once;
   * none is delivered twice, none is missed in between. The `source` of an
   * initial change says who wrote the value (`local` for this peer).
   *
   * @param options - `initial`: deliver the current entries first @default false
   * @returns a function that stops listening
   */
  subscribe(listener: (changes: ReadonlyArray<CollectionChange<T>>) => void, options?: SubscribeOptions): () => void;
  subscribe(key: string, listener: (value: T | undefined, change: CollectionChange<T>) => void, options?: SubscribeOptions): () => void;
  subscribe(
    keyOrListener: string | ((changes: ReadonlyArray<CollectionChange<T>>) => void),
    listenerOrOptions?: ((value: T | undefined, change: CollectionChange<T>) => void) | SubscribeOptions,
    keyOptions?: SubscribeOptions,
  ): () => void {
    if (typeof keyOrListener === 'function') {
      const listener = keyOrListener;
      const options = typeof listenerOrOptions === 'object' ? listenerOrOptions : undefined;
      // Registered first, then the initial state, all in one synchronous step: no live change
      // can fall between the two, and the initial state already holds every earlier one.
      const off = this.#engine.onChange((changes) => {
        const mine = changes.filter((c) => c.collection === this.name).map((c) => toChange<T>(c));
        if (mine.length > 0) listener(mine);
      });
      if (options?.initial === true) {
        const initial = this.#current();
        if (initial.length > 0) this.#deliverInitial(off, () => listener(initial));
      }
      return off;
    }
    const keyListener = typeof listenerOrOptions === 'function' ? listenerOrOptions : undefined;
    if (keyListener === undefined) throw new SyncError('E_INVALID_ARGUMENT', 'subscribe(key, listener) needs a listener');
    const key = keyOrListener;
    const off = this.#engine.onChange((changes) => {
      for (const change of changes) if (change.collection === this.name && change.key === key) keyListener(change.value as T | undefined, toChange<T>(change));
    });
    if (keyOptions?.initial === true) {
      const op = this.#engine.getOperation(this.name, key);
      if (op?.kind === 'put') {
        const change = this.#initialChange(op);
        this.#deliverInitial(off, () => keyListener(change.value, change));
      }
    }
    return off;
  }

  /** The current entries as changes (deleted keys left out). */
  #current(): Array<CollectionChange<T>> {
    const out: Array<CollectionChange<T>> = [];
    for (const [key] of this.#engine.entries(this.name)) {
      const op = this.#engine.getOperation(this.name, key);
      if (op?.kind === 'put') out.push(this.#initialChange(op));
    }
    return out;
  }

  #initialChange(op: Operation & { kind: 'put' }): CollectionChange<T> {
    return { key: op.key, value: op.value as T, source: op.origin === this.#engine.peerId ? 'local' : 'remote', op };
  }

  /** Calls the listener with the initial state; if it throws, it is not left subscribed (subscribe throws). */
  #deliverInitial(off: () => void, deliver: () => void): void {
    try {
      deliver();
    } catch (error) {
      off();
      throw error;
    }
  }
}

/** Options of `collection.subscribe()`. */
export interface SubscribeOptions {
  /**
   * Deliver the current entries (or the key's value) first, synchronously,
   * as changes of the usual shape, before any live change.
   * @default false
   */
  readonly initial?: boolean;
}

function toChange<T>(change: Change): CollectionChange<T> {
  return { key: change.key, value: change.value as T | undefined, source: change.source, op: change.op };
}
