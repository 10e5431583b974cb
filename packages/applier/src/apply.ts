import {
  DEFAULT_LIMITS,
  SyncError,
  validateOperation,
  type Limits,
  type OpId,
  type Operation,
  type OperationType,
  type VersionVector,
} from '@softadastra/sync-core';
import { compareOperations, mergeInto, policyFor, type LwwStore, type OperationOrder } from '@softadastra/sync-reconciler';

/** A collection's merge policy as declared: one of core's {@link OperationType}s, or `'lww'`. */
export type DeclaredPolicy = OperationType | 'lww';

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
  /**
   * The merge policy declared for a collection, if any. An operation of a
   * declared collection whose policy differs (a typed op of an LWW
   * collection, an LWW op of a counter collection, a set op of a counter
   * collection…) is rejected with `E_POLICY`. Undeclared collections take
   * each operation's own policy (a relay serves spaces it knows nothing of).
   */
  readonly policyOf?: (collection: string) => DeclaredPolicy | undefined;
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
    let op = verdict.op;
    // LWW ops of a peer that declares nothing (the common case) skip the policy check.
    if (options.policyOf !== undefined || (op.kind === 'put' && op.type !== undefined)) {
      const typed = checkPolicy(op, options.policyOf);
      if (!typed.ok) {
        report.rejected.push({ opId: { origin: op.origin, seq: op.seq }, error: typed.error });
        continue;
      }
      op = typed.op;
    }
    applyValid(target, op, report, options.order);
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

/**
 * Checks an operation's merge policy against its collection's declaration,
 * and a typed operation's payload against its policy; returns the operation
 * with the checked copy of the payload as its value.
 */
export function checkPolicy(
  op: Operation,
  policyOf?: (collection: string) => DeclaredPolicy | undefined,
): { readonly ok: true; readonly op: Operation } | { readonly ok: false; readonly error: SyncError } {
  const type = op.kind === 'put' ? op.type : undefined;
  const declared = policyOf?.(op.collection);
  if (declared !== undefined && op.kind === 'del' && declared !== 'lww') {
    return { ok: false, error: new SyncError('E_POLICY', `delete ${op.origin}:${op.seq} of collection ${JSON.stringify(op.collection)}, declared ${declared}: a ${declared} collection has no LWW deletes`) };
  }
  if (declared !== undefined && op.kind === 'put' && (type ?? 'lww') !== declared) {
    return {
      ok: false,
      error: new SyncError(
        'E_POLICY',
        `op ${op.origin}:${op.seq} is a ${type ?? 'lww'} write to collection ${JSON.stringify(op.collection)}, which this peer declares ${declared}: its writer declares the collection otherwise (every peer of a space must declare it alike)`,
      ),
    };
  }
  if (op.kind !== 'put' || type === undefined) return { ok: true, op };
  const check = policyFor(type).validatePayload(op.value);
  if (!check.ok) {
    const code = check.error.code === 'E_TOO_LARGE' ? 'E_TOO_LARGE' : 'E_POLICY';
    return { ok: false, error: new SyncError(code, `op ${op.origin}:${op.seq} (${type}): ${check.error.message}`, { cause: check.error }) };
  }
  return { ok: true, op: { ...op, value: check.value as typeof op.value } };
}

function equivocation(op: Operation): SyncError {
  return new SyncError(
    'E_EQUIVOCATION',
    `operation ${op.origin}:${op.seq} arrived with content different from the one already held under that id; ` +
      `peer ${op.origin} reused a sequence number (lost its storage, or is faulty): the held one is kept`,
  );
}
