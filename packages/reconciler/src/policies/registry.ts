import type { OperationType } from '@softadastra/sync-core';
import { mapPolicy } from './lww-map.js';
import { mvPolicy } from './mv-register.js';
import { counterPolicy } from './pn-counter.js';
import { setPolicy } from './or-set.js';
import type { MergePolicy } from './policy.js';

/**
 * A merge policy whose payload, state and value types are not known
 * statically: what the engine holds per typed key.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPolicy = MergePolicy<any, any, any>;

const POLICIES: Readonly<Record<OperationType, AnyPolicy>> = Object.freeze({
  mv: mvPolicy,
  counter: counterPolicy,
  set: setPolicy,
  map: mapPolicy,
});

/**
 * The merge policy of a typed operation's `type` (core's
 * {@link OperationType}): `mv`, `counter`, `set` or `map`. LWW operations
 * have no `type` and are merged by {@link compareOperations}.
 */
export function policyFor(type: OperationType): AnyPolicy {
  return POLICIES[type];
}
