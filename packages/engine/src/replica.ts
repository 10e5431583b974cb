import { VersionVector, type OpId, type Operation, type OperationType } from '@softadastra/sync-core';
import {
  ReplicaState,
  compareOperations,
  policyFor,
  type AnyPolicy,
  type LwwStore,
  type OperationOrder,
  type TypedKey,
  type TypedOperation,
} from '@softadastra/sync-reconciler';

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

  /** The policy of each type (the standard ones but for a planted defect). */
  readonly policies: (type: OperationType) => AnyPolicy;

  constructor(order: OperationOrder = compareOperations, policies: (type: OperationType) => AnyPolicy = policyFor) {
    this.order = order;
    this.policies = policies;
    this.durable = new ReplicaState(order, policies);
    this.overlay = new ReplicaState(order, policies);
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

  /** A typed key's state over both layers: the join of the durable state and the writes on their way. */
  getTyped(type: OperationType, collection: string, key: string): TypedKey | undefined {
    const durable = this.durable.getTyped(type, collection, key);
    const pending = this.overlay.size === 0 ? undefined : this.overlay.getTyped(type, collection, key);
    if (pending === undefined) return durable;
    if (durable === undefined) return pending;
    const policy = this.policies(type);
    const state: unknown = policy.merge(durable.state, pending.state);
    return { type, collection, key, state, ops: policy.essential(state) as TypedOperation[] };
  }

  setTyped(op: TypedOperation): void {
    // The overlay holds only writes on their way: it applies `op` to its own state.
    const policy = this.policies(op.type);
    const pending = this.overlay.getTyped(op.type, op.collection, op.key);
    this.overlay.setTyped(op, policy.apply(pending?.state ?? policy.empty(), op));
  }

  /** The typed keys of a collection with their states (both layers). */
  *typedEntries(type: OperationType, collection: string): IterableIterator<TypedKey> {
    const durable = this.durable.typedCollection(type, collection);
    const pending = this.overlay.size === 0 ? undefined : this.overlay.typedCollection(type, collection);
    if (durable !== undefined) for (const key of durable.keys()) yield this.getTyped(type, collection, key)!;
    if (pending !== undefined) for (const [key, typed] of pending) if (durable?.get(key) === undefined) yield typed;
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
