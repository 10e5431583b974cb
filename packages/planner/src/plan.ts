import { VersionVector, operationSize, type Operation, type PeerId, type SeqRange } from '@softadastra/sync-core';

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
  /**
   * For each batch but the last, what the remote may merge once it holds that
   * batch and every one before it: the missing ranges those batches settle
   * (their operations, and the superseded ones below them), so that a long
   * catch-up keeps the receiver's vector contiguous instead of fragmented
   * until the final `covered`. `batchCovered[i]` follows `batches[i]`; each
   * holds only what is new since the previous one.
   */
  readonly batchCovered: readonly VersionVector[];
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
        // Map order is write order of the replica, not seq order: batchCovered needs seq order.
        const lacking: Operation[] = [];
        for (const op of winners.values()) if (!input.remote.has(op)) lacking.push(op);
        lacking.sort((a, b) => a.seq - b.seq);
        for (const op of lacking) selected.push(op);
      }
    }
    start = end;
  }

  const batches = toBatches(selected, maxOps, maxBytes);
  return { batches, covered: input.local.clone(), batchCovered: settledPerBatch(batches, missing), missing, opCount: selected.length };
}

/**
 * What each batch but the last settles of `missing` (see
 * {@link SyncPlan.batchCovered}). Batches hold the operations in the order of
 * `missing` (by origin, then seq), so after batch i every missing seq up to
 * its last operation — in that operation's origin and every origin before
 * it — is either sent or superseded.
 */
function settledPerBatch(batches: readonly (readonly Operation[])[], missing: readonly SeqRange[]): VersionVector[] {
  const out: VersionVector[] = [];
  if (batches.length < 2) return out;
  const rank = new Map<PeerId, number>();
  for (const range of missing) if (!rank.has(range.origin)) rank.set(range.origin, rank.size);
  let at = 0;
  /** How far the range `missing[at]` is already settled (its `from` when untouched). */
  let from = missing[0]?.from ?? 0;
  for (let i = 0; i < batches.length - 1; i++) {
    const batch = batches[i]!;
    const last = batch[batch.length - 1]!;
    const settled = new VersionVector();
    const lastRank = rank.get(last.origin) ?? -1;
    while (at < missing.length) {
      const range = missing[at]!;
      if (rank.get(range.origin)! > lastRank) break;
      if (range.origin === last.origin && range.to > last.seq) {
        if (range.from <= last.seq && from <= last.seq) {
          settled.addRange(range.origin, from, last.seq);
          from = last.seq + 1;
        }
        break;
      }
      if (from <= range.to) settled.addRange(range.origin, from, range.to);
      at++;
      from = missing[at]?.from ?? 0;
    }
    out.push(settled);
  }
  return out;
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
