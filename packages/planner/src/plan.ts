import { operationSize, type Operation, type PeerId, type SeqRange, type VersionVector } from '@softadastra/sync-core';

/**
 * The winners a planner reads, indexed by origin then seq (what
 * `ReplicaState` of `@softadastra/sync-reconciler` provides).
 */
export interface WinnersByOrigin {
  /** The winning operations written by `origin`, as `seq → op`. */
  winnersOf(origin: PeerId): ReadonlyMap<number, Operation> | undefined;
}

/** Input of {@link planSync}. */
export interface PlanInput {
  /** The local version vector: what the local peer holds durably. */
  readonly local: VersionVector;
  /** What the remote holds (from its `hello`, plus its acks). */
  readonly remote: VersionVector;
  /** The local durable winners, by origin. */
  readonly winners: WinnersByOrigin;
  /**
   * Most operations per batch.
   * @default 1000
   */
  readonly maxBatchOps?: number;
  /**
   * Most encoded bytes per batch (an operation larger than this goes alone).
   * @default 262144 (256 KiB)
   */
  readonly maxBatchBytes?: number;
}

/** What {@link planSync} decides to send. */
export interface SyncPlan {
  /** The operations the remote lacks and that still win, in batches. */
  readonly batches: readonly (readonly Operation[])[];
  /** The vector to send in `covered` after the batches: the local vector at planning time. */
  readonly covered: VersionVector;
  /** The seq ranges the remote lacks (superseded operations included). */
  readonly missing: readonly SeqRange[];
  /** How many operations the batches hold. */
  readonly opCount: number;
}

/**
 * Plans what to send a remote peer: every winning operation it lacks, in
 * batches bounded by count and bytes, then the `covered` vector.
 *
 * @remarks
 * Pure. The cost grows with what the remote lacks, not with the size of the
 * state: per origin, it walks either the missing seq ranges or that origin's
 * winners, whichever is smaller. Superseded operations are not sent: a
 * receiver that gets a key's winner has seen the effect of every operation it
 * beat, and `covered` accounts for them.
 *
 * @param input - see {@link PlanInput}
 */
export function planSync(input: PlanInput): SyncPlan {
  const maxOps = input.maxBatchOps ?? 1000;
  const maxBytes = input.maxBatchBytes ?? 256 * 1024;
  const missing = input.local.missingFrom(input.remote);
  const selected: Operation[] = [];

  let start = 0;
  while (start < missing.length) {
    const origin = missing[start]!.origin;
    let end = start;
    let missingCount = 0;
    while (end < missing.length && missing[end]!.origin === origin) {
      missingCount += missing[end]!.to - missing[end]!.from + 1;
      end++;
    }
    const winners = input.winners.winnersOf(origin);
    if (winners !== undefined) {
      if (missingCount <= winners.size) {
        for (let i = start; i < end; i++) {
          const range = missing[i]!;
          for (let seq = range.from; seq <= range.to; seq++) {
            const op = winners.get(seq);
            if (op !== undefined) selected.push(op);
          }
        }
      } else {
        for (const op of winners.values()) if (!input.remote.has(op)) selected.push(op);
      }
    }
    start = end;
  }

  return { batches: toBatches(selected, maxOps, maxBytes), covered: input.local.clone(), missing, opCount: selected.length };
}

/**
 * Splits operations into batches of at most `maxOps` operations and about
 * `maxBytes` encoded bytes (an upper bound per operation is used, so batches
 * never exceed it unless a single operation does).
 */
export function toBatches(ops: readonly Operation[], maxOps: number, maxBytes: number): Array<readonly Operation[]> {
  if (ops.length <= maxOps && ops.length <= 64) {
    // Small sets (live pushes): keep the caller's array when it fits, so that an
    // encoding of it can be shared by every session it is pushed to.
    let bytes = 0;
    for (const op of ops) bytes += operationSize(op);
    if (bytes <= maxBytes || ops.length === 1) return ops.length === 0 ? [] : [ops];
  }
  const batches: Operation[][] = [];
  let current: Operation[] = [];
  let bytes = 0;
  for (const op of ops) {
    const size = operationSize(op);
    if (current.length > 0 && (current.length >= maxOps || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(op);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
