import { compareHlc, sameOperation, type Operation } from '@softadastra/sync-core';

/**
 * The last-writer-wins order on operations: by HLC (wall, counter, origin),
 * then by seq.
 *
 * @remarks
 * Total and the same on every peer: ties are broken by the origin inside the
 * HLC, never by the receiving peer's id (the C++ original did that and three
 * peers diverged). Two honest operations never share an HLC; the seq step only
 * orders a peer that reuses a timestamp.
 *
 * @returns a negative number when `a` loses to `b`, positive when it wins, 0 for the same id
 */
export function compareOperations(a: Operation, b: Operation): number {
  const byClock = compareHlc(a.hlc, b.hlc);
  if (byClock !== 0) return byClock;
  if (a.origin !== b.origin) return a.origin < b.origin ? -1 : 1;
  return a.seq === b.seq ? 0 : a.seq < b.seq ? -1 : 1;
}

/**
 * An order on operations for last-writer-wins: negative when `a` loses to
 * `b`. It must be total and the same on every peer; {@link compareOperations}
 * is the one every peer uses (a different one exists only to prove that the
 * simulator catches a broken tie-break).
 */
export type OperationOrder = (a: Operation, b: Operation) => number;

/**
 * What merging an operation into a key's current winner does.
 *
 * - `won`: the incoming operation is the new winner.
 * - `superseded`: the current winner stays; the incoming one lost.
 * - `duplicate`: it is the current winner already.
 * - `equivocation`: the current winner has the same id and different content.
 */
export type MergeOutcome = 'won' | 'superseded' | 'duplicate' | 'equivocation';

/**
 * Decides between a key's current winner and an incoming operation for the
 * same key. A pure function of the two operations: the state is a
 * join-semilattice, so the order in which operations arrive never matters.
 *
 * @param current - the key's winner, if any
 * @param incoming - the operation arriving
 * @param order - the LWW order @default compareOperations
 */
export function resolveWinner(current: Operation | undefined, incoming: Operation, order: OperationOrder = compareOperations): MergeOutcome {
  if (current === undefined) return 'won';
  if (current.origin === incoming.origin && current.seq === incoming.seq) {
    return sameOperation(current, incoming) ? 'duplicate' : 'equivocation';
  }
  return order(incoming, current) > 0 ? 'won' : 'superseded';
}
