/**
 * The sync planner of Softadastra Sync: what a remote peer lacks, as batches.
 *
 * @remarks
 * Pure (no I/O): given the local winners indexed by origin and the remote's
 * version vector, {@link planSync} returns the operations to send in bounded
 * batches and the `covered` vector to send after them.
 *
 * @packageDocumentation
 */
export { planSync, toBatches } from './plan.js';
export type { PlanInput, SyncPlan, WinnersByOrigin } from './plan.js';
