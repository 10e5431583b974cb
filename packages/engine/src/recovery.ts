import { SyncError, WalRepairedError, compareHlc, type Hlc, type Operation, type PeerId, type Wal, type WalRepair } from '@softadastra/sync-core';
import type { OperationType } from '@softadastra/sync-core';
import type { AnyPolicy, OperationOrder } from '@softadastra/sync-reconciler';
import { Replica } from './replica.js';

/** What replaying a WAL gives back. @internal */
export interface Recovered {
  readonly replica: Replica;
  readonly meta: Record<string, string>;
  /** The highest timestamp among the operations replayed, if any. */
  readonly maxHlc: Hlc | undefined;
  /** Operations written to the log since the last snapshot. */
  readonly opsSinceSnapshot: number;
  /** Operations replayed that conflicted with a held one (same id, other content). */
  readonly equivocations: readonly Operation[];
  /** What opening the WAL cut off its tail, if anything. */
  readonly repair: WalRepair | undefined;
}

/**
 * Opens a WAL and rebuilds the durable state from it: snapshot, then records
 * in order. The version vector comes from the operations and the `covered`
 * vectors recorded; the clock and next sequence number are derived by the
 * caller from {@link Recovered}.
 * @internal
 */
export async function recover(wal: Wal, order?: OperationOrder, policies?: (type: OperationType) => AnyPolicy): Promise<Recovered> {
  const recovery = await wal.open();
  const replica = new Replica(order, policies);
  const meta: Record<string, string> = {};
  const equivocations: Operation[] = [];
  let maxHlc: Hlc | undefined;
  const replay = (op: Operation): void => {
    if (maxHlc === undefined || compareHlc(op.hlc, maxHlc) > 0) maxHlc = op.hlc;
    replica.durableVv.add(op);
    if (replica.durable.merge(op) === 'equivocation') equivocations.push(op);
  };
  if (recovery.snapshot !== undefined) {
    for (const op of recovery.snapshot.ops) replay(op);
    replica.durableVv.merge(recovery.snapshot.vv);
    Object.assign(meta, recovery.snapshot.meta);
  }
  let opsSinceSnapshot = 0;
  for await (const record of recovery.records) {
    for (const op of record.ops) replay(op);
    opsSinceSnapshot += record.ops.length;
    if (record.covered !== undefined) replica.durableVv.merge(record.covered);
    if (record.meta !== undefined) Object.assign(meta, record.meta);
  }
  replica.seen.merge(replica.durableVv);
  return { replica, meta, maxHlc, opsSinceSnapshot, equivocations, repair: recovery.repair };
}

/**
 * The warning that the WAL had a torn tail cut on open: the engine opens, but a
 * repair is never silent (the same damage could have hit an acknowledged write).
 * @internal
 */
export function repairedOnOpen(repair: WalRepair, peerId: PeerId): WalRepairedError {
  return new WalRepairedError(repair, `peer ${peerId}`);
}

/** @internal */
export function equivocationInLog(ops: readonly Operation[], peerId: PeerId): SyncError {
  const first = ops[0]!;
  return new SyncError(
    'E_EQUIVOCATION',
    `the WAL of ${peerId} holds ${ops.length} operation(s) whose id was already used with other content (first ${first.origin}:${first.seq}); the first one read is kept`,
  );
}
