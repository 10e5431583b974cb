import {
  DEFAULT_LIMITS,
  SyncError,
  validateOperation,
  type Limits,
  type OpId,
  type Operation,
  type VersionVector,
} from '@softadastra/sync-core';
import { compareOperations, mergeInto, type LwwStore, type OperationOrder } from '@softadastra/sync-reconciler';

/** The state {@link applyBatch} applies to. */
export interface ApplyTarget {
  /** The last-writer-wins state; winners are set in it. */
  readonly store: LwwStore;
  /** Every op id already held (durably or on its way there); accepted ids are added. */
  readonly seen: VersionVector;
}

/** Options of {@link applyBatch}. */
export interface ApplyOptions {
  /**
   * Size limits for validation; every peer of a space must use the same.
   * @default DEFAULT_LIMITS of core
   */
  readonly limits?: Limits;
  /**
   * The last-writer-wins order; must be the same on every peer.
   * @default compareOperations of the reconciler
   */
  readonly order?: OperationOrder;
}

/** One operation refused, and why. */
export interface Rejection {
  /** The op id, when the input had a readable one. */
  readonly opId?: OpId;
  /** Why: a validation code, or `E_EQUIVOCATION`. */
  readonly error: SyncError;
}

/** What {@link applyBatch} did; expected outcomes are data, not exceptions. */
export interface ApplyReport {
  /** Accepted and now the winners of their keys. */
  readonly applied: Operation[];
  /** Accepted (new ids) but beaten by the current winner of their key. */
  readonly superseded: Operation[];
  /** Already held: nothing changed. */
  readonly duplicates: OpId[];
  /** Refused: invalid, or equivocation (an id held with other content). */
  readonly rejected: Rejection[];
}

/**
 * Applies a batch of incoming operations: validate → dedupe by op id → merge
 * by last-writer-wins → report.
 *
 * @remarks
 * Pure apart from updating `target`. A bad operation is rejected alone and
 * never blocks the good ones around it. Applying a batch twice, or its
 * operations in any order, gives the same state: the merge is a join.
 * Accepted operations (`applied` and `superseded`) are the ones to make
 * durable; only then may they be acknowledged.
 *
 * @param target - the state and the set of ids already held
 * @param ops - decoded operations from outside (not trusted)
 * @param options - see {@link ApplyOptions}
 */
export function applyBatch(target: ApplyTarget, ops: readonly unknown[], options: ApplyOptions = {}): ApplyReport {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const report: ApplyReport = { applied: [], superseded: [], duplicates: [], rejected: [] };
  for (const input of ops) {
    const verdict = validateOperation(input, limits);
    if (!verdict.ok) {
      report.rejected.push(verdict.opId === undefined ? { error: verdict.error } : { opId: verdict.opId, error: verdict.error });
      continue;
    }
    applyValid(target, verdict.op, report, options.order);
  }
  return report;
}

/**
 * Applies one operation that is already known to be valid (e.g. a local
 * write, or a record replayed from the WAL), with the same dedupe and merge
 * rules as {@link applyBatch}.
 *
 * @param report - the report to add the outcome to
 * @param order - the LWW order @default compareOperations
 */
export function applyValid(target: ApplyTarget, op: Operation, report: ApplyReport, order: OperationOrder = compareOperations): void {
  const id: OpId = { origin: op.origin, seq: op.seq };
  if (target.seen.has(id)) {
    // Held already; if we still hold its content, make sure it is the same.
    const held = target.store.getById(id);
    if (held !== undefined && mergeInto(target.store, op, order) === 'equivocation') {
      report.rejected.push({ opId: id, error: equivocation(op) });
    } else {
      report.duplicates.push(id);
    }
    return;
  }
  switch (mergeInto(target.store, op, order)) {
    case 'won':
      target.seen.add(id);
      report.applied.push(op);
      return;
    case 'superseded':
      target.seen.add(id);
      report.superseded.push(op);
      return;
    case 'duplicate':
      // Held by the store but not in `seen`: repair `seen` and count it once.
      target.seen.add(id);
      report.duplicates.push(id);
      return;
    case 'equivocation':
      report.rejected.push({ opId: id, error: equivocation(op) });
      return;
  }
}

function equivocation(op: Operation): SyncError {
  return new SyncError(
    'E_EQUIVOCATION',
    `operation ${op.origin}:${op.seq} arrived with content different from the one already held under that id; ` +
      `peer ${op.origin} reused a sequence number (lost its storage, or is faulty): the held one is kept`,
  );
}
