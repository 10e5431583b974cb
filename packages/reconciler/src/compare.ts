import type { Operation } from '@softadastra/sync-core';
import type { ReplicaState } from './replica-state.js';

/** A key on which two states differ, with each side's winner. */
export interface StateDifference {
  readonly collection: string;
  readonly key: string;
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
  return out.sort((x, y) => (x.collection !== y.collection ? (x.collection < y.collection ? -1 : 1) : x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
}

/** Whether two states hold the same winner for every key. */
export function sameState(a: ReplicaState, b: ReplicaState): boolean {
  return a.size === b.size && compareStates(a, b).length === 0;
}
