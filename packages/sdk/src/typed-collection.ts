import { SyncError, compareHlc, type Hlc, type JsonValue, type Operation, type OperationType, type PeerId } from '@softadastra/sync-core';
import type { Change } from '@softadastra/sync-engine';
import {
  counterPolicy,
  mapPolicy,
  policyFor,
  setHas,
  setPolicy,
  type CounterState,
  type MapState,
  type MvState,
  type SetState,
} from '@softadastra/sync-reconciler';
import type { SubscribeOptions } from './collection.js';
import type { SpaceBackend } from './space-backend.js';
import { checkIntent, type TypedIntent } from './typed-intent.js';
import { checkNames } from './names.js';
import { runValidator, type Validator } from './validator.js';
import { writeHandle, type WriteHandle } from './write-handle.js';

/** Options of `space.collection(name, { type: 'counter' })`. */
export interface CounterCollectionOptions {
  readonly type: 'counter';
  /** Counters take amounts, not values: there is nothing to validate (passing one throws `E_INVALID_ARGUMENT`). */
  readonly validate?: never;
}

/** Options of `space.collection(name, { type: 'set' })`. */
export interface SetCollectionOptions<T> {
  readonly type: 'set';
  /** Checks (and may transform) each element before this peer adds it (not on `remove`). */
  readonly validate?: Validator<T>;
}

/** Options of `space.collection(name, { type: 'mv' })`. */
export interface MvCollectionOptions<T> {
  readonly type: 'mv';
  /** Checks (and may transform) each value before this peer writes it. */
  readonly validate?: Validator<T>;
}

/** Options of `space.collection(name, { type: 'map' })`. */
export interface MapCollectionOptions<T extends object> {
  readonly type: 'map';
  /**
   * Checks (and may transform) the fields a `set` writes — a partial object,
   * so with zod pass `schema.partial()`. Not run on deleted fields.
   */
  readonly validate?: Validator<Partial<T>>;
}

/** A change of one key of a typed collection. */
export interface TypedChange<V> {
  readonly key: string;
  /** The key's value after the change, as the collection's reads give it. */
  readonly value: V;
  /** Whether this peer wrote the operation or it came from another peer. */
  readonly source: 'local' | 'remote';
  /** The operation that changed the key (for an initial change: the latest one it holds). */
  readonly op: Operation;
}

/** One of the concurrent values of a multi-value key, with who wrote it and when. */
export interface MvConflict<T> {
  readonly value: T;
  readonly origin: PeerId;
  readonly seq: number;
  readonly hlc: Hlc;
}

/**
 * What the typed collections share: names, writes through a
 * {@link WriteHandle}, keys, entries and change subscriptions.
 *
 * @remarks
 * Reads come from the key's policy state in this peer's engine (in a
 * follower tab, its replica). Writes are intents (increment by 2, add this
 * element…): the payload is computed from the key's state when the write is
 * stamped — by the leading tab when tabs share a peer.
 */
abstract class TypedCollection<V> {
  readonly name: string;
  /** The collection's merge policy. */
  abstract readonly type: OperationType;
  protected readonly backend: SpaceBackend;
  readonly #ackOf: (op: Operation) => Promise<void>;

  constructor(backend: SpaceBackend, name: string, ackOf: (op: Operation) => Promise<void>) {
    this.backend = backend;
    this.name = name;
    this.#ackOf = ackOf;
  }

  /** The value reads give for a key's raw state (`undefined`: never written). */
  protected abstract read(state: unknown): V;
  /** Whether a key with this state is listed by `keys()` and `entries()`. */
  protected abstract present(state: unknown): boolean;

  protected state(key: string): unknown {
    return this.backend.getState(this.name, key, this.type);
  }

  /** Checks an intent synchronously and writes it. */
  protected write(key: string, intent: TypedIntent): WriteHandle {
    checkIntent(this.name, key, intent, this.backend.limits);
    return writeHandle(this.backend.update(this.name, key, intent), this.#ackOf);
  }

  /** A write of a value that a validator checks first (an asynchronous schema's verdict arrives through the handle). */
  protected writeValidated<T>(key: string, value: T, validate: Validator<T> | undefined, intent: (value: T) => TypedIntent): WriteHandle {
    if (validate === undefined) return this.write(key, intent(value));
    // The names first: a bad key must not wait for an asynchronous schema to be reported.
    checkNames(this.name, key, this.backend.limits);
    const checked = runValidator(validate, value, `${this.name}/${key}`);
    if (!(checked instanceof Promise)) return this.write(key, intent(checked));
    const durable = checked.then((v) => {
      const written = intent(v);
      checkIntent(this.name, key, written, this.backend.limits);
      return this.backend.update(this.name, key, written);
    });
    return writeHandle(durable, this.#ackOf);
  }

  /** Every key with a value. */
  keys(): string[] {
    return this.backend
      .stateEntries(this.name, this.type)
      .filter(([, state]) => this.present(state))
      .map(([key]) => key);
  }

  /** Every `[key, value]` of keys with a value. */
  entries(): Array<[string, V]> {
    return this.backend
      .stateEntries(this.name, this.type)
      .filter(([, state]) => this.present(state))
      .map(([key, state]) => [key, this.read(state)]);
  }

  /** How many keys have a value. */
  get size(): number {
    return this.keys().length;
  }

  /**
   * Listens to changes: of the whole collection (`subscribe(listener)`), or
   * of one key (`subscribe(key, listener)`), as `Collection.subscribe` does.
   *
   * @remarks
   * A change's `value` is the key's value after it (what the reads give),
   * whoever's operation caused it. With `{ initial: true }` the listener first
   * gets the current state synchronously: every key that has a value (one
   * call, skipped when there is none), or the key's value (skipped when it
   * has none); live changes follow, none missed, none twice.
   *
   * @param options - `initial`: deliver the current entries first @default false
   * @returns a function that stops listening
   */
  subscribe(listener: (changes: ReadonlyArray<TypedChange<V>>) => void, options?: SubscribeOptions): () => void;
  subscribe(key: string, listener: (value: V, change: TypedChange<V>) => void, options?: SubscribeOptions): () => void;
  subscribe(
    keyOrListener: string | ((changes: ReadonlyArray<TypedChange<V>>) => void),
    listenerOrOptions?: ((value: V, change: TypedChange<V>) => void) | SubscribeOptions,
    keyOptions?: SubscribeOptions,
  ): () => void {
    if (typeof keyOrListener === 'function') {
      const listener = keyOrListener;
      const options = typeof listenerOrOptions === 'object' ? listenerOrOptions : undefined;
      const off = this.backend.onChange((changes) => {
        const mine = changes.filter((c) => this.#mine(c)).map((c) => this.#toChange(c));
        if (mine.length > 0) listener(mine);
      });
      if (options?.initial === true) {
        const initial: Array<TypedChange<V>> = [];
        for (const [key, state] of this.backend.stateEntries(this.name, this.type)) {
          const change = this.#initialChange(key, state);
          if (change !== undefined) initial.push(change);
        }
        if (initial.length > 0) deliverInitial(off, () => listener(initial));
      }
      return off;
    }
    const keyListener = typeof listenerOrOptions === 'function' ? listenerOrOptions : undefined;
    if (keyListener === undefined) throw new SyncError('E_INVALID_ARGUMENT', 'subscribe(key, listener) needs a listener');
    const key = keyOrListener;
    const off = this.backend.onChange((changes) => {
      for (const c of changes) {
        if (c.key !== key || !this.#mine(c)) continue;
        const change = this.#toChange(c);
        keyListener(change.value, change);
      }
    });
    if (keyOptions?.initial === true) {
      const change = this.#initialChange(key, this.state(key));
      if (change !== undefined) deliverInitial(off, () => keyListener(change.value, change));
    }
    return off;
  }

  #mine(change: Change): boolean {
    return change.collection === this.name && change.op.kind === 'put' && change.op.type === this.type;
  }

  #toChange(change: Change): TypedChange<V> {
    return { key: change.key, value: this.read(this.state(change.key)), source: change.source, op: change.op };
  }

  #initialChange(key: string, state: unknown): TypedChange<V> | undefined {
    if (state === undefined || !this.present(state)) return undefined;
    const ops = policyFor(this.type).essential(state) as Operation[];
    const op = ops.reduce<Operation | undefined>((latest, candidate) => (latest === undefined || compareHlc(candidate.hlc, latest.hlc) > 0 ? candidate : latest), undefined);
    if (op === undefined) return undefined;
    return { key, value: this.read(state), source: op.origin === this.backend.peerId ? 'local' : 'remote', op };
  }
}

/**
 * A collection of counters (PN-counter): each key is a number that every
 * peer may increment and decrement concurrently; no increment is lost.
 *
 * @remarks
 * Each peer's running totals are one operation per key, so a counter costs
 * one operation per writer, however many increments it took.
 */
export class CounterCollection extends TypedCollection<number> {
  readonly type = 'counter' as const;

  /** @internal */
  constructor(backend: SpaceBackend, name: string, ackOf: (op: Operation) => Promise<void>) {
    super(backend, name, ackOf);
  }

  protected read(state: unknown): number {
    return state === undefined ? 0 : counterPolicy.value(state as CounterState);
  }
  protected present(state: unknown): boolean {
    return state !== undefined;
  }

  /** The counter's value: the sum of every increment minus every decrement seen; 0 when never written. */
  get(key: string): number {
    return this.read(this.state(key));
  }

  /** Whether the key was ever incremented or decremented. */
  has(key: string): boolean {
    return this.state(key) !== undefined;
  }

  /**
   * Adds `n` (a positive safe integer).
   *
   * @throws SyncError (synchronously) `E_INVALID_KEY` for a bad key, `E_INVALID_ARGUMENT` for an amount that
   * is not a positive safe integer; nothing is written then
   */
  increment(key: string, n = 1): WriteHandle {
    return this.write(key, { op: 'increment', n });
  }

  /**
   * Subtracts `n` (a positive safe integer). Counters may go below zero.
   *
   * @throws SyncError (synchronously) as {@link CounterCollection.increment}
   */
  decrement(key: string, n = 1): WriteHandle {
    return this.write(key, { op: 'decrement', n });
  }
}

/**
 * A collection of add-wins sets (observed-remove set) of JSON values.
 *
 * @remarks
 * `remove` takes away the adds of the element this peer has seen; an add made
 * concurrently elsewhere survives it (add wins). Elements are compared by
 * their JSON value (objects by their keys and values, in any key order).
 */
export class SetCollection<T = JsonValue> extends TypedCollection<T[]> {
  readonly type = 'set' as const;
  readonly #validate: Validator<T> | undefined;

  /** @internal */
  constructor(backend: SpaceBackend, name: string, options: SetCollectionOptions<T>, ackOf: (op: Operation) => Promise<void>) {
    super(backend, name, ackOf);
    this.#validate = options.validate;
  }

  protected read(state: unknown): T[] {
    return state === undefined ? [] : (setPolicy.value(state as SetState) as T[]);
  }
  protected present(state: unknown): boolean {
    return state !== undefined && (state as SetState).adds.length > 0;
  }

  /** The elements of the set at `key`, in a deterministic order (by canonical JSON); `[]` when empty. */
  values(key: string): T[] {
    return this.read(this.state(key));
  }

  /** Whether the set at `key` holds `value`. */
  has(key: string, value: T): boolean {
    const state = this.state(key);
    return state !== undefined && setHas(state as SetState, value as JsonValue);
  }

  /**
   * Adds an element.
   *
   * @throws SyncError (synchronously) `E_INVALID_KEY`, `E_INVALID_VALUE` (refused by the validator, or not JSON), `E_TOO_LARGE`
   */
  add(key: string, value: T): WriteHandle {
    return this.writeValidated(key, value, this.#validate, (v) => ({ op: 'add', value: v as JsonValue }));
  }

  /**
   * Removes an element: the adds of it this peer has seen. An add made
   * concurrently by another peer survives (add wins).
   *
   * @throws SyncError (synchronously) `E_INVALID_KEY`, `E_INVALID_VALUE` (not JSON), `E_TOO_LARGE`
   */
  remove(key: string, value: T): WriteHandle {
    return this.write(key, { op: 'remove', value: value as JsonValue });
  }
}

/**
 * A collection of multi-value registers: a write replaces every value its
 * writer had seen; writes that did not see each other are all kept, as
 * conflicts, until a write that saw them resolves them.
 */
export class MvCollection<T = JsonValue> extends TypedCollection<T | undefined> {
  readonly type = 'mv' as const;
  readonly #validate: Validator<T> | undefined;

  /** @internal */
  constructor(backend: SpaceBackend, name: string, options: MvCollectionOptions<T>, ackOf: (op: Operation) => Promise<void>) {
    super(backend, name, ackOf);
    this.#validate = options.validate;
  }

  protected read(state: unknown): T | undefined {
    return this.#conflictsOf(state)[0]?.value;
  }
  protected present(state: unknown): boolean {
    return state !== undefined && (state as MvState).values.length > 0;
  }

  #conflictsOf(state: unknown): Array<MvConflict<T>> {
    if (state === undefined) return [];
    const values = (state as MvState).values.map((op) => ({ value: op.value.value as T, origin: op.origin, seq: op.seq, hlc: op.hlc }));
    // Newest first: the HLC order is total (ties broken by peer), so every peer picks alike.
    return values.sort((a, b) => compareHlc(b.hlc, a.hlc));
  }

  /**
   * One value for simple UIs: of the concurrent values, the one written with
   * the greatest HLC (the same on every peer); `undefined` when never written.
   * {@link MvCollection.conflicts} shows them all.
   */
  get(key: string): T | undefined {
    return this.read(this.state(key));
  }

  /** Whether the key has a value. */
  has(key: string): boolean {
    return this.present(this.state(key));
  }

  /** Every concurrent value, newest (greatest HLC) first: `values(key)[0]` is `get(key)`. */
  values(key: string): T[] {
    return this.#conflictsOf(this.state(key)).map((conflict) => conflict.value);
  }

  /** Every concurrent value with its writer (`origin`, `seq`) and time (`hlc`), newest first; one entry when there is no conflict. */
  conflicts(key: string): Array<MvConflict<T>> {
    return this.#conflictsOf(this.state(key));
  }

  /**
   * Writes a value that replaces every value this peer sees at `key` (and so
   * resolves the conflicts it sees).
   *
   * @throws SyncError (synchronously) `E_INVALID_KEY`, `E_INVALID_VALUE` (refused by the validator, or not JSON), `E_TOO_LARGE`
   */
  put(key: string, value: T): WriteHandle {
    return this.writeValidated(key, value, this.#validate, (v) => ({ op: 'mv', value: v as JsonValue }));
  }
}

/**
 * A collection of objects whose fields merge one by one (each field a
 * last-writer-wins register): two peers editing different fields of one
 * object concurrently both keep their edit.
 */
export class MapCollection<T extends object = { [field: string]: JsonValue }> extends TypedCollection<Partial<T> | undefined> {
  readonly type = 'map' as const;
  readonly #validate: Validator<Partial<T>> | undefined;

  /** @internal */
  constructor(backend: SpaceBackend, name: string, options: MapCollectionOptions<T>, ackOf: (op: Operation) => Promise<void>) {
    super(backend, name, ackOf);
    this.#validate = options.validate;
  }

  protected read(state: unknown): Partial<T> | undefined {
    if (state === undefined) return undefined;
    const value = mapPolicy.value(state as MapState);
    return Object.keys(value).length === 0 ? undefined : (value as Partial<T>);
  }
  protected present(state: unknown): boolean {
    return this.read(state) !== undefined;
  }

  /** The object at `key` (its fields that are set), or `undefined` when it has none. */
  get(key: string): Partial<T> | undefined {
    return this.read(this.state(key));
  }

  /** Whether the object at `key` has a field. */
  has(key: string): boolean {
    return this.present(this.state(key));
  }

  /**
   * Sets fields (the others are left as they are).
   *
   * @throws SyncError (synchronously) `E_INVALID_KEY`, `E_INVALID_VALUE` (refused by the validator, not a plain
   * object of JSON values, no field, a field named `__proto__` or longer than 256 characters), `E_TOO_LARGE`
   */
  set(key: string, fields: Partial<T>): WriteHandle {
    return this.writeValidated(key, fields, this.#validate, (v) => toMapIntent(v, []));
  }

  /**
   * Deletes fields. A concurrent `set` of the same field by another peer wins
   * or loses by HLC, as any two writes of one field.
   *
   * @throws SyncError (synchronously) `E_INVALID_KEY`, `E_INVALID_VALUE` (no field, a field named twice…)
   */
  deleteFields(key: string, fields: ReadonlyArray<keyof T & string>): WriteHandle {
    return this.write(key, toMapIntent({}, fields));
  }

  /**
   * Sets some fields and deletes others in one operation.
   *
   * @throws SyncError (synchronously) as {@link MapCollection.set}; also for a field both set and deleted
   */
  update(key: string, change: { readonly set?: Partial<T>; readonly del?: ReadonlyArray<keyof T & string> }): WriteHandle {
    const del = change.del ?? [];
    return this.writeValidated(key, change.set ?? {}, this.#validate, (v) => toMapIntent(v, del));
  }
}

function toMapIntent(set: unknown, del: readonly string[]): TypedIntent {
  if (typeof set !== 'object' || set === null || Array.isArray(set)) {
    throw new SyncError('E_INVALID_VALUE', `map fields must be a plain object of field → value, got ${set === null ? 'null' : Array.isArray(set) ? 'an array' : typeof set}`);
  }
  const fields: unknown = del;
  if (!Array.isArray(fields)) throw new SyncError('E_INVALID_VALUE', 'map fields to delete must be an array of field names');
  return { op: 'map', set: set as { readonly [field: string]: JsonValue }, del: (fields as string[]).slice() };
}

/** Calls the listener with the initial state; if it throws, it is not left subscribed (subscribe throws). */
function deliverInitial(off: () => void, deliver: () => void): void {
  try {
    deliver();
  } catch (error) {
    off();
    throw error;
  }
}
