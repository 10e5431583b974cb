import { sameOperation, type OpId, type Operation, type OperationType, type PeerId, type PutOperation, type VersionVector } from '@softadastra/sync-core';
import { compareOperations, resolveWinner, type MergeOutcome, type OperationOrder } from './lww.js';
import type { AppliedDelta } from './policies/policy.js';
import { policyFor, type AnyPolicy } from './policies/registry.js';

/** A typed operation: a put of a collection whose merge policy is not LWW. */
export type TypedOperation = PutOperation & { readonly type: OperationType };

/** Whether `op` is typed (see {@link TypedOperation}). */
export function isTyped(op: Operation): op is TypedOperation {
  return op.kind === 'put' && op.type !== undefined;
}

/**
 * The state of one typed key: its policy's lattice element, and the
 * operations that rebuild it (the policy's `essential`), which are the
 * operations a store holds and a planner sends for that key.
 */
export interface TypedKey {
  readonly type: OperationType;
  readonly collection: string;
  readonly key: string;
  /** The policy state (see the policy of `type`). */
  readonly state: unknown;
  /** `policyFor(type).essential(state)`: the held operations, in `(origin, seq)` order. */
  readonly ops: readonly TypedOperation[];
}

/**
 * The minimal read/write view of a last-writer-wins state that merging needs.
 *
 * @remarks
 * {@link ReplicaState} implements it; an engine may implement it over layered
 * states (e.g. durable winners plus writes still on their way to disk).
 */
export interface LwwStore {
  /** The winning operation of a key (a delete included), if any. */
  get(collection: string, key: string): Operation | undefined;
  /** A held operation with this id, if the store still holds it. */
  getById(id: OpId): Operation | undefined;
  /** Makes `op` the winner of its key (the caller has decided it wins). */
  set(op: Operation): void;
  /** The state of a typed key, if any operation of that type was merged into it. */
  getTyped(type: OperationType, collection: string, key: string): TypedKey | undefined;
  /**
   * Records that typed `op` changed its key to `state` (the caller computed
   * it as the policy's `apply` of {@link LwwStore.getTyped}'s state and `op`;
   * `delta`, when the policy gives one, says which held operations changed).
   */
  setTyped(op: TypedOperation, state: unknown, delta?: AppliedDelta<unknown, unknown>): void;
  /** The policy merging a type, when not the standard one ({@link policyFor}; a simulator's planted defect). */
  readonly policies?: (type: OperationType) => AnyPolicy;
}

/**
 * Merges `op` into `store` by last-writer-wins, detecting duplicates and
 * equivocation (same id, other content) when the store still holds the op.
 *
 * @param order - the LWW order @default compareOperations
 * @returns what happened; the store changes only for `won`
 */
export function mergeInto(store: LwwStore, op: Operation, order: OperationOrder = compareOperations): MergeOutcome {
  const held = store.getById(op);
  if (held !== undefined) return sameOperation(held, op) ? 'duplicate' : 'equivocation';
  if (op.kind === 'put' && op.type !== undefined) return mergeTyped(store, op as TypedOperation);
  const outcome = resolveWinner(store.get(op.collection, op.key), op, order);
  if (outcome === 'won') store.set(op);
  return outcome;
}

/**
 * Merges a typed operation by its policy: `won` when it changes the key's
 * state, `superseded` when the state already held its effect (an older
 * counter total, a write some held write had seen, a remove of nothing).
 * The caller has checked that the store does not hold its id.
 */
function mergeTyped(store: LwwStore, op: TypedOperation): MergeOutcome {
  const policy = (store.policies ?? policyFor)(op.type);
  const before: unknown = store.getTyped(op.type, op.collection, op.key)?.state ?? policy.empty();
  if (policy.applyDelta !== undefined) {
    const delta = policy.applyDelta(before, op) as AppliedDelta<unknown, unknown>;
    if (delta.state === before || (delta.added.length === 0 && delta.removed.length === 0 && policy.equals(before, delta.state))) return 'superseded';
    store.setTyped(op, delta.state, delta);
    return 'won';
  }
  const after: unknown = policy.apply(before, op);
  if (after === before || policy.equals(before, after)) return 'superseded';
  store.setTyped(op, after);
  return 'won';
}

/** A typed key whose list of held operations is computed the first time it is read. */
class HeldTypedKey implements TypedKey {
  #ops: readonly TypedOperation[] | undefined;

  constructor(
    readonly type: OperationType,
    readonly collection: string,
    readonly key: string,
    readonly state: unknown,
    private readonly policy: AnyPolicy,
  ) {}

  get ops(): readonly TypedOperation[] {
    return (this.#ops ??= this.policy.essential(this.state) as TypedOperation[]);
  }
}

/** The map key of a typed collection: its policy and name. */
function typedPlace(type: OperationType, collection: string): string {
  return `${type}\u0000${collection}`;
}

/**
 * The state of a space: per `(collection, key)` the winning operation, with an
 * index of the winners by origin and seq (what a planner needs to find the
 * operations a remote lacks).
 *
 * @remarks
 * Typed keys (collections with a merge policy, see {@link TypedKey}) are held
 * apart, per `(type, collection, key)`: a key's state under one policy never
 * mixes with its state under another (or with an LWW winner of the same
 * name), so merging stays a join whatever a faulty peer sends; which policy
 * an application reads is its declaration's business. The operations a
 * typed key holds are in the by-origin index like LWW winners, so planning,
 * digests, snapshots and `getById` treat them alike.
 */
export class ReplicaState implements LwwStore {
  readonly #collections = new Map<string, Map<string, Operation>>();
  readonly #typed = new Map<string, Map<string, TypedKey>>();
  readonly #byOrigin = new Map<PeerId, Map<number, Operation>>();
  #size = 0;
  readonly #order: OperationOrder;
  readonly policies: (type: OperationType) => AnyPolicy;

  /**
   * @param order - the LWW order used by {@link ReplicaState.merge} @default compareOperations
   * @param policies - the policy of each type @default policyFor
   */
  constructor(order: OperationOrder = compareOperations, policies: (type: OperationType) => AnyPolicy = policyFor) {
    this.#order = order;
    this.policies = policies;
  }

  /** Number of keys held (tombstones and typed keys included). */
  get size(): number {
    return this.#size;
  }

  get(collection: string, key: string): Operation | undefined {
    return this.#collections.get(collection)?.get(key);
  }

  getById(id: OpId): Operation | undefined {
    return this.#byOrigin.get(id.origin)?.get(id.seq);
  }

  set(op: Operation): void {
    let keys = this.#collections.get(op.collection);
    if (keys === undefined) {
      keys = new Map();
      this.#collections.set(op.collection, keys);
    }
    const previous = keys.get(op.key);
    if (previous === undefined) this.#size++;
    else this.#unindex(previous);
    keys.set(op.key, op);
    this.#index(op);
  }

  getTyped(type: OperationType, collection: string, key: string): TypedKey | undefined {
    return this.#typed.get(typedPlace(type, collection))?.get(key);
  }

  setTyped(op: TypedOperation, state: unknown, delta?: AppliedDelta<unknown, unknown>): void {
    const place = typedPlace(op.type, op.collection);
    let keys = this.#typed.get(place);
    if (keys === undefined) {
      keys = new Map();
      this.#typed.set(place, keys);
    }
    const previous = keys.get(op.key);
    if (previous === undefined) this.#size++;
    const policy = this.policies(op.type);
    if (delta !== undefined) {
      // Only what changed is indexed again; the list of held operations is built when asked for.
      for (const held of delta.removed) this.#unindex(held as Operation);
      for (const held of delta.added) this.#index(held as Operation);
      keys.set(op.key, new HeldTypedKey(op.type, op.collection, op.key, state, policy));
      return;
    }
    const ops = policy.essential(state) as TypedOperation[];
    keys.set(op.key, { type: op.type, collection: op.collection, key: op.key, state, ops });
    this.#reindex(previous?.ops ?? [], ops);
  }

  /**
   * Moves the by-origin index from a key's held operations to its new ones:
   * both lists are in `(origin, seq)` order, so one walk touches only what
   * changed (a write to a large set key changes one or two of them).
   */
  #reindex(before: readonly Operation[], after: readonly Operation[]): void {
    let i = 0;
    let j = 0;
    while (i < before.length || j < after.length) {
      const old = before[i];
      const now = after[j];
      if (old !== undefined && now !== undefined && old === now) {
        i++;
        j++;
        continue;
      }
      const order = old === undefined ? 1 : now === undefined ? -1 : old.origin !== now.origin ? (old.origin < now.origin ? -1 : 1) : old.seq - now.seq;
      if (order < 0) {
        this.#unindex(old!);
        i++;
      } else if (order > 0) {
        this.#index(now!);
        j++;
      } else {
        // The same id, another object (one content of an equivocation picked): the new one is held.
        this.#index(now!);
        i++;
        j++;
      }
    }
  }

  /**
   * Drops the metadata of typed keys that `stable` makes useless (the
   * policies' `collect`, e.g. set removes every peer holds with the adds
   * they name): `stable` must be held durably by every peer that may still
   * write or send these keys. Values never change.
   *
   * @returns the operations no longer held
   */
  collect(stable: VersionVector): Operation[] {
    const collected: Operation[] = [];
    for (const [place, keys] of this.#typed) {
      for (const [key, typed] of keys) {
        const policy = this.policies(typed.type);
        if (policy.collect === undefined) continue;
        const state: unknown = policy.collect(typed.state, stable);
        if (state === typed.state) continue;
        const before = typed.ops;
        const after = policy.essential(state) as TypedOperation[];
        const kept = new Set<Operation>(after);
        for (const op of before) {
          if (kept.has(op)) continue;
          this.#unindex(op);
          collected.push(op);
        }
        if (after.length === 0) {
          keys.delete(key);
          this.#size--;
        } else {
          keys.set(key, { type: typed.type, collection: typed.collection, key, state, ops: after });
        }
      }
      if (keys.size === 0) this.#typed.delete(place);
    }
    return collected;
  }

  /** The typed keys of one collection under one policy, as `key → state`. */
  typedCollection(type: OperationType, collection: string): ReadonlyMap<string, TypedKey> | undefined {
    return this.#typed.get(typedPlace(type, collection));
  }

  /** Every typed key held. */
  *typedKeys(): IterableIterator<TypedKey> {
    for (const keys of this.#typed.values()) yield* keys.values();
  }

  /**
   * Merges one operation: by last-writer-wins, or by its policy when typed.
   *
   * @returns what happened; see {@link MergeOutcome}
   */
  merge(op: Operation): MergeOutcome {
    return mergeInto(this, op, this.#order);
  }

  /**
   * Removes the winner of a key if it is `op` (used to drop an overlay entry
   * once it has reached a lower layer).
   *
   * @returns whether it was removed
   */
  removeIfWinner(op: Operation): boolean {
    if (isTyped(op)) return this.#removeTyped(op);
    const keys = this.#collections.get(op.collection);
    if (keys?.get(op.key) !== op) return false;
    keys.delete(op.key);
    if (keys.size === 0) this.#collections.delete(op.collection);
    this.#size--;
    this.#unindex(op);
    return true;
  }

  /** The winners of one collection, tombstones included, as `key → op`. */
  collection(collection: string): ReadonlyMap<string, Operation> | undefined {
    return this.#collections.get(collection);
  }

  /** The names of the collections that hold at least one key (LWW or typed). */
  collections(): IterableIterator<string> {
    if (this.#typed.size === 0) return this.#collections.keys();
    const names = new Set(this.#collections.keys());
    for (const keys of this.#typed.values()) for (const typed of keys.values()) names.add(typed.collection);
    return names.values();
  }

  /** The winners written by `origin`, as `seq → op`. */
  winnersOf(origin: PeerId): ReadonlyMap<number, Operation> | undefined {
    return this.#byOrigin.get(origin);
  }

  /** Every winning operation (tombstones included), and every operation a typed key holds. */
  *winners(): IterableIterator<Operation> {
    for (const keys of this.#collections.values()) yield* keys.values();
    for (const keys of this.#typed.values()) for (const typed of keys.values()) yield* typed.ops;
  }

  /** Removes everything. */
  clear(): void {
    this.#collections.clear();
    this.#typed.clear();
    this.#byOrigin.clear();
    this.#size = 0;
  }

  #index(op: Operation): void {
    let seqs = this.#byOrigin.get(op.origin);
    if (seqs === undefined) {
      seqs = new Map();
      this.#byOrigin.set(op.origin, seqs);
    }
    seqs.set(op.seq, op);
  }

  /** Takes typed `op` out of its key (an overlay entry that reached the durable layer). */
  #removeTyped(op: TypedOperation): boolean {
    const place = typedPlace(op.type, op.collection);
    const keys = this.#typed.get(place);
    const typed = keys?.get(op.key);
    if (keys === undefined || typed === undefined || !typed.ops.includes(op)) return false;
    for (const held of typed.ops) this.#unindex(held);
    const rest = typed.ops.filter((held) => held !== op);
    if (rest.length === 0) {
      keys.delete(op.key);
      if (keys.size === 0) this.#typed.delete(place);
      this.#size--;
      return true;
    }
    const policy = this.policies(op.type);
    const state = rest.reduce<unknown>((acc, held) => policy.apply(acc, held), policy.empty());
    const ops = policy.essential(state) as TypedOperation[];
    keys.set(op.key, { ...typed, state, ops });
    for (const held of ops) this.#index(held);
    return true;
  }

  #unindex(op: Operation): void {
    const seqs = this.#byOrigin.get(op.origin);
    if (seqs === undefined) return;
    seqs.delete(op.seq);
    if (seqs.size === 0) this.#byOrigin.delete(op.origin);
  }
}
