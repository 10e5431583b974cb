import type { Operation } from '@softadastra/sync-core';

/**
 * The simulator's reference model of last-writer-wins, written from the rule
 * in docs/design.md ("Merge") and nothing else.
 *
 * @remarks
 * It deliberately imports no ordering from the engine, the reconciler or
 * core (`compareOperations`, `compareHlc`): an oracle that asks the code under
 * test which write is newest agrees with that code's bugs. The rule: the
 * operation with the greater hybrid logical clock wins — wall milliseconds
 * first, then the counter, then the clock's peer id — and a tie of whole
 * clocks is broken by origin, then by seq, so the order is total and every
 * peer picks the same winner. Peer ids compare as JavaScript strings (UTF-16
 * code units), as everywhere in the protocol.
 * @internal
 */
export function isNewerWrite(a: Operation, b: Operation): boolean {
  if (a.hlc.wall !== b.hlc.wall) return a.hlc.wall > b.hlc.wall;
  if (a.hlc.counter !== b.hlc.counter) return a.hlc.counter > b.hlc.counter;
  if (a.hlc.peer !== b.hlc.peer) return a.hlc.peer > b.hlc.peer;
  if (a.origin !== b.origin) return a.origin > b.origin;
  return a.seq > b.seq;
}

/** Where an operation lives in the state: `collection/key`. @internal */
export function placeOf(op: Pick<Operation, 'collection' | 'key'>): string {
  return `${op.collection}/${op.key}`;
}

/**
 * The state every peer must end with: for each `(collection, key)`, the
 * newest of the operations given (by {@link isNewerWrite}).
 *
 * @param accepted - every operation some peer accepted and still holds (order does not matter)
 * @internal
 */
export function expectedState(accepted: Iterable<Operation>): Map<string, Operation> {
  const winners = new Map<string, Operation>();
  for (const op of accepted) {
    const place = placeOf(op);
    const current = winners.get(place);
    if (current === undefined || isNewerWrite(op, current)) winners.set(place, op);
  }
  return winners;
}
