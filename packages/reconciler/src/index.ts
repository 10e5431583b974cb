/**
 * Merge policy and divergence detection for Softadastra Sync.
 *
 * @remarks
 * Pure (no I/O): last-writer-wins by hybrid logical clock with a total
 * tie-break, duplicate and equivocation detection, the replica state with its
 * by-origin index, a hash-tree digest of a state and the diff of two digests.
 *
 * @packageDocumentation
 */
export { compareOperations, resolveWinner } from './lww.js';
export type { MergeOutcome, OperationOrder } from './lww.js';
export { ReplicaState, mergeInto, isTyped } from './replica-state.js';
export type { LwwStore, TypedKey, TypedOperation } from './replica-state.js';
export { policyFor } from './policies/registry.js';
export type { AnyPolicy } from './policies/registry.js';
export { computeDigest, diffDigests, DIGEST_BUCKETS } from './digest.js';
export type { StateDigest, DigestLeaf, DigestDiff, DigestOptions } from './digest.js';
export { compareStates, sameState } from './compare.js';
export type { StateDifference } from './compare.js';
export { compareOpIds } from './policies/policy.js';
export type { MergePolicy, PolicyName, PolicyOperation, PayloadCheck, AppliedDelta } from './policies/policy.js';
export { canonicalJson } from './policies/canonical-json.js';
export {
  emptyContext,
  contextHas,
  contextDominates,
  joinContexts,
  sameContext,
  happenedBefore,
  concurrent,
  checkContext,
  MAX_CONTEXT_ORIGINS,
} from './policies/causal-context.js';
export type { CausalContext, ContextualOperation } from './policies/causal-context.js';
export { lwwPolicy, validateLwwPayload } from './policies/lww-register.js';
export type { LwwPayload, LwwOperation, LwwState, LwwValue } from './policies/lww-register.js';
export { mvPolicy, mvWrite, mvConflicts, validateMvPayload } from './policies/mv-register.js';
export type { MvPayload, MvOperation, MvState, MvConflict } from './policies/mv-register.js';
export { counterPolicy, counterIncrement, counterDecrement, validateCounterPayload } from './policies/pn-counter.js';
export type { CounterPayload, CounterOperation, CounterState } from './policies/pn-counter.js';
export { setPolicy, setAdd, setRemove, setHas, validateSetPayload } from './policies/or-set.js';
export type { SetPayload, SetOperation, SetAddOperation, SetRemoveOperation, SetState } from './policies/or-set.js';
export { mapPolicy, mapWrite, validateMapPayload, MAX_MAP_FIELDS, MAX_MAP_FIELD_LENGTH } from './policies/lww-map.js';
export type { MapPayload, MapOperation, MapFieldWinner, MapState } from './policies/lww-map.js';
