import { VersionVector, type OpId, type Operation } from '@softadastra/sync-core';
import { ReplicaState, compareOperations, type LwwStore, type OperationOrder } from '@softadastra/sync-reconciler';

/**
 * The engine's state in two layers: the durable winners, and an overlay of
 * operations applied in memory whose WAL append has not completed yet.
 *
 * @remarks
 * Reads see both layers (read-your-writes). Planning, digests and the
 * version vector sent to peers use the durable layer only, so that no
 * operation is sent, and no `covered` claims an operation, before it is
 * durable — a crash can then never make a peer claim what it lost.
 * @internal
 */
export class Replica implements LwwStore {
  /** The LWW order (the same on every peer). */
  readonly order: OperationOrder;
  /** Winners that are durable. */
  readonly durable: ReplicaState;
  /** Winners applied in memory, on their way to the WAL. */
  readonly overlay: ReplicaState;
  /** Every operation held durably (superseded ones and `covered` ones included). */
  readonly durableVv = new VersionVector();
  /** Every operation held, durable or on its way: what dedupe checks. */
  readonly seen = new VersionVector();

  constructor(order: OperationOrder = compareOperations) {
    this.order = order;
    this.durable = new ReplicaState(order);
    this.overlay = new ReplicaState(order);
  }

  get(collection: string, key: string): Operation | undefined {
    const pending = this.overlay.size === 0 ? undefined : this.overlay.get(collection, key);
    const durable = this.durable.get(collection, key);
    if (pending === undefined) return durable;
    if (durable === undefined) return pending;
    return this.order(pending, durable) > 0 ? pending : durable;
  }

  getById(id: OpId): Operation | undefined {
    return (this.overlay.size === 0 ? undefined : this.overlay.getById(id)) ?? this.durable.getById(id);
  }

  set(op: Operation): void {
    this.overlay.set(op);
  }

  /** Moves an operation that just became durable into the durable layer. */
  commit(op: Operation): void {
    this.durableVv.add(op);
    this.durable.merge(op);
    if (this.overlay.size !== 0) this.overlay.removeIfWinner(op);
  }

  /** The keys of a collection with their current winners (both layers), tombstones included. */
  *collectionEntries(collection: string): IterableIterator<[string, Operation]> {
    const durable = this.durable.collection(collection);
    const pending = this.overlay.collection(collection);
    if (durable !== undefined) {
      for (const [key, op] of durable) {
        const over = pending?.get(key);
        yield [key, over !== undefined && this.order(over, op) > 0 ? over : op];
      }
    }
    if (pending !== undefined) {
      for (const [key, op] of pending) if (durable?.get(key) === undefined) yield [key, op];
    }
  }
}
