import { compareHlc, type OperationType } from '@softadastra/sync-core';
import {
  canonicalJson,
  compareOpIds,
  counterPolicy,
  mapPolicy,
  mvPolicy,
  policyFor,
  setPolicy,
  type AnyPolicy,
  type CounterOperation,
  type CounterState,
  type MapState,
  type MvState,
  type SetState,
} from '@softadastra/sync-reconciler';

/** The planted defects of merge policies (see {@link PlantedBug}). @internal */
export type PlantedPolicyBug = 'counter-sum' | 'set-remove-wins' | 'mv-lww' | 'map-whole';

/**
 * `counter-sum`: the merge keeps every write of an origin and the value sums
 * them all — the running totals of one origin are counted again and again,
 * the mistake of a counter that adds instead of taking the per-origin latest.
 * Still a join (a union of writes), so peers converge, on the wrong number.
 */
const counterSum: AnyPolicy = {
  ...counterPolicy,
  apply: (state: CounterState, op: CounterOperation) => unionCounter(state.latest, [op]),
  merge: (a: CounterState, b: CounterState) => unionCounter(a.latest, b.latest),
};

function unionCounter(a: readonly CounterOperation[], b: readonly CounterOperation[]): CounterState {
  const byId = new Map<string, CounterOperation>();
  for (const op of [...a, ...b]) byId.set(`${op.origin}:${op.seq}`, op);
  return { latest: [...byId.values()].sort(compareOpIds) };
}

/**
 * `set-remove-wins`: an element is hidden as soon as any remove of it is
 * known, even one that had not seen a later (or concurrent) add.
 */
const setRemoveWins: AnyPolicy = {
  ...setPolicy,
  value: (state: SetState) => {
    const removed = new Set(state.removes.map((op) => canonicalJson(op.value.value)));
    return (setPolicy.value({ adds: state.adds.filter((op) => !removed.has(canonicalJson(op.value.value))), removes: [] }));
  },
};

/** `mv-lww`: a multi-value register that shows only the newest of its concurrent values. */
const mvLww: AnyPolicy = {
  ...mvPolicy,
  value: (state: MvState) => {
    let newest = state.values[0];
    for (const op of state.values) if (newest !== undefined && compareHlc(op.hlc, newest.hlc) > 0) newest = op;
    return newest === undefined ? [] : [newest.value.value];
  },
};

/** `map-whole`: a map that shows only the fields of its newest write, as if each write replaced the object. */
const mapWhole: AnyPolicy = {
  ...mapPolicy,
  value: (state: MapState) => {
    let newest = state.fields[0]?.op;
    for (const { op } of state.fields) if (newest !== undefined && compareHlc(op.hlc, newest.hlc) > 0) newest = op;
    return newest === undefined ? {} : { ...newest.value.set };
  },
};

const PLANTED: Readonly<Record<PlantedPolicyBug, [OperationType, AnyPolicy]>> = {
  'counter-sum': ['counter', counterSum],
  'set-remove-wins': ['set', setRemoveWins],
  'mv-lww': ['mv', mvLww],
  'map-whole': ['map', mapWhole],
};

/** The policies an engine merges and reads with: the standard ones, but for one planted defect. @internal */
export function policiesFor(plant: string | undefined): (type: OperationType) => AnyPolicy {
  const planted = plant === undefined ? undefined : PLANTED[plant as PlantedPolicyBug];
  if (planted === undefined) return policyFor;
  const [bugged, policy] = planted;
  return (type) => (type === bugged ? policy : policyFor(type));
}
