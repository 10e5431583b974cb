/**
 * The sync applier of Softadastra Sync: validate → dedupe → merge → report.
 *
 * @remarks
 * Pure (no I/O): {@link applyBatch} applies operations from outside to a
 * last-writer-wins state and returns what happened to each — applied,
 * superseded, duplicate or rejected with a typed error — so that one bad
 * operation never blocks the others.
 *
 * @packageDocumentation
 */
export { applyBatch, applyValid, checkPolicy } from './apply.js';
export type { ApplyTarget, ApplyOptions, ApplyReport, Rejection, DeclaredPolicy } from './apply.js';
