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
export { ReplicaState, mergeInto } from './replica-state.js';
export type { LwwStore } from './replica-state.js';
export { computeDigest, diffDigests, DIGEST_BUCKETS } from './digest.js';
export type { StateDigest, DigestLeaf, DigestDiff, DigestOptions } from './digest.js';
export { compareStates, sameState } from './compare.js';
export type { StateDifference } from './compare.js';
