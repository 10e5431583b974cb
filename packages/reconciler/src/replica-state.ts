import { sameOperation, type OpId, type Operation, type PeerId } from '@softadastra/sync-core';
import { compareOperations, resolveWinner, type MergeOutcome, type OperationOrder } from './lww.js';

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
  const outcome = resolveWinner(store.get(op.collection, op.key), op, order);
  if (outcome === 'won') store.set(op);
  return outcome;
}

/**
 * The state of a space: per `(collection, key)` the winning operation, with an
 * index of the winners by origin and seq (what a planner needs to find the
 * operations a remote lacks).
 */
export class ReplicaState implements LwwStore {
  readonly #collections = new Map<string, Map<string, Operation>>();
  readonly #byOrigin = new Map<PeerId, Map<number, Operation>>();
  #size = 0;
  readonly #order: OperationOrder;

  /** @param order - the LWW order used by {@link ReplicaState.merge} @default compareOperations */
  constructor(order: OperationOrder = compareOperations) {
    this.#order = order;
  }

  /** Number of keys held (tombstones included). */
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
    let seqs = this.#byOrigin.get(op.origin);
    if (seqs === undefined) {
      seqs = new Map();
      this.#byOrigin.set(op.origin, seqs);
    }
    seqs.set(op.seq, op);
  }

  /**
   * Merges one operation by last-writer-wins.
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

  /** The names of the collections that hold at least one key. */
  collections(): IterableIterator<string> {
    return this.#collections.keys();
  }

  /** The winners written by `origin`, as `seq → op`. */
  winnersOf(origin: PeerId): ReadonlyMap<number, Operation> | undefined {
    return this.#byOrigin.get(origin);
  }

  /** Every winning operation (tombstones included). */
  *winners(): IterableIterator<Operation> {
    for (const keys of this.#collections.values()) yield* keys.values();
  }

  /** Removes everything. */
  clear(): void {
    this.#collections.clear();
    this.#byOrigin.clear();
    this.#size = 0;
  }

  #unindex(op: Operation): void {
    const seqs = this.#byOrigin.get(op.origin);
    if (seqs === undefined) return;
    seqs.delete(op.seq);
    if (seqs.size === 0) this.#byOrigin.delete(op.origin);
  }
}
