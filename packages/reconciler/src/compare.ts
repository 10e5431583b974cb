import type { Operation, OperationType } from '@softadastra/sync-core';
import type { ReplicaState, TypedKey } from './replica-state.js';

/** A key on which two states differ, with each side's winner. */
export interface StateDifference {
  readonly collection: string;
  readonly key: string;
  /** The merge policy, for a typed key (`a` and `b` are then the first operation each side holds). */
  readonly type?: OperationType;
  readonly a: Operation | undefined;
  readonly b: Operation | undefined;
}

/**
 * Lists every key on which two states differ (a missing key, or another
 * winner), in collection then key order.
 */
export function compareStates(a: ReplicaState, b: ReplicaState): StateDifference[] {
  const out: StateDifference[] = [];
  const collections = new Set([...a.collections(), ...b.collections()]);
  for (const collection of collections) {
    const left = a.collection(collection);
    const right = b.collection(collection);
    const keys = new Set([...(left?.keys() ?? []), ...(right?.keys() ?? [])]);
    for (const key of keys) {
      const x = left?.get(key);
      const y = right?.get(key);
      if (x === undefined || y === undefined || x.origin !== y.origin || x.seq !== y.seq) out.push({ collection, key, a: x, b: y });
    }
  }
  // Typed keys: the same held operations (the policy state is a function of them).
  const typed = new Map<string, [TypedKey | undefined, TypedKey | undefined]>();
  for (const key of a.typedKeys()) typed.set(`${key.type}\u0000${key.collection}\u0000${key.key}`, [key, undefined]);
  for (const key of b.typedKeys()) {
    const id = `${key.type}\u0000${key.collection}\u0000${key.key}`;
    typed.set(id, [typed.get(id)?.[0], key]);
  }
  for (const [x, y] of typed.values()) {
    const left = x?.ops ?? [];
    const right = y?.ops ?? [];
    const same = left.length === right.length && left.every((op, i) => op.origin === right[i]!.origin && op.seq === right[i]!.seq);
    if (!same) {
      const first = (x ?? y)!;
      out.push({ collection: first.collection, key: first.key, type: first.type, a: left[0], b: right[0] });
    }
  }
  return out.sort((x, y) => (x.collection !== y.collection ? (x.collection < y.collection ? -1 : 1) : x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
}

/** Whether two states hold the same winner for every key. */
export function sameState(a: ReplicaState, b: ReplicaState): boolean {
  return a.size === b.size && compareStates(a, b).length === 0;
}
