import { SyncError, type PeerId } from '@softadastra/sync-core';
import { compareOpIds, guarded, invalid, isPlainObject, type MergePolicy, type PayloadCheck, type PolicyOperation } from './policy.js';

/**
 * A counter write: the writing origin's running totals for the key after
 * this write — everything it ever added (`p`) and subtracted (`n`).
 *
 * @remarks
 * Totals, not deltas: an origin's later write includes its earlier ones, so
 * the latest write per origin is all a peer needs, and a lost or superseded
 * write loses nothing.
 */
export interface CounterPayload {
  /** Sum of this origin's increments of the key, ever. */
  readonly p: number;
  /** Sum of this origin's decrements of the key, ever. */
  readonly n: number;
}

/** A counter write. */
export type CounterOperation = PolicyOperation<CounterPayload>;

/** The state of a counter key: the latest write of each origin (greatest seq), in origin order. */
export interface CounterState {
  readonly latest: readonly CounterOperation[];
}

const EMPTY: CounterState = Object.freeze({ latest: Object.freeze([]) });

function newer(a: CounterOperation, b: CounterOperation): boolean {
  if (a.seq !== b.seq) return a.seq > b.seq;
  // The same id twice: equivocation is caught upstream; pick by content so the join stays commutative.
  return a.value.p !== b.value.p ? a.value.p > b.value.p : a.value.n > b.value.n;
}

function join(a: readonly CounterOperation[], b: readonly CounterOperation[]): readonly CounterOperation[] {
  const byOrigin = new Map<PeerId, CounterOperation>();
  for (const op of [...a, ...b]) {
    const known = byOrigin.get(op.origin);
    if (known === undefined || newer(op, known)) byOrigin.set(op.origin, op);
  }
  return [...byOrigin.values()].sort(compareOpIds);
}

function totalsOf(state: CounterState, origin: PeerId): CounterPayload {
  const op = state.latest.find((candidate) => candidate.origin === origin);
  return op === undefined ? { p: 0, n: 0 } : op.value;
}

function checkAmount(amount: number, what: string): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new SyncError('E_INVALID_ARGUMENT', `counter ${what}: the amount must be a positive safe integer, got ${String(amount)}`);
  }
}

function checkTotal(total: number, what: string): number {
  if (!Number.isSafeInteger(total)) throw new SyncError('E_INVALID_ARGUMENT', `counter ${what}: the total would pass Number.MAX_SAFE_INTEGER`);
  return total;
}

/**
 * The payload of `origin`'s next write adding `amount` to the key.
 *
 * @param state - the key's state at `origin` (which holds `origin`'s own latest write)
 * @throws SyncError `E_INVALID_ARGUMENT` for an amount that is not a positive safe integer or a total past 2^53−1
 */
export function counterIncrement(state: CounterState, origin: PeerId, amount = 1): CounterPayload {
  checkAmount(amount, 'increment');
  const totals = totalsOf(state, origin);
  return { p: checkTotal(totals.p + amount, 'increment'), n: totals.n };
}

/**
 * The payload of `origin`'s next write subtracting `amount` from the key.
 *
 * @throws SyncError `E_INVALID_ARGUMENT` as {@link counterIncrement}
 */
export function counterDecrement(state: CounterState, origin: PeerId, amount = 1): CounterPayload {
  checkAmount(amount, 'decrement');
  const totals = totalsOf(state, origin);
  return { p: totals.p, n: checkTotal(totals.n + amount, 'decrement') };
}

/**
 * Checks an untrusted counter value: `p` and `n` are non-negative safe integers.
 */
export function validateCounterPayload(input: unknown): PayloadCheck<CounterPayload> {
  return guarded('counter payload', () => {
    if (!isPlainObject(input)) return invalid('counter payload must be an object { p, n }');
    const { p, n } = input;
    for (const [name, total] of [
      ['p', p],
      ['n', n],
    ] as const) {
      if (typeof total !== 'number' || !Number.isSafeInteger(total) || total < 0) {
        return invalid(`counter value: ${name} must be a non-negative safe integer (the origin's running total)`);
      }
    }
    return { ok: true, value: { p: p as number, n: n as number } };
  });
}

/**
 * PN-counter: the value is the sum over origins of their latest totals,
 * `p − n`. O(origins) state; merge keeps, per origin, the write with the
 * greatest seq.
 */
export const counterPolicy: MergePolicy<CounterPayload, CounterState, number> = {
  name: 'counter',
  empty: () => EMPTY,
  apply: (state, op) => ({ latest: join(state.latest, [op]) }),
  merge: (a, b) => ({ latest: join(a.latest, b.latest) }),
  value: (state) => state.latest.reduce((sum, op) => sum + op.value.p - op.value.n, 0),
  essential: (state) => [...state.latest],
  equals: (a, b) =>
    a.latest.length === b.latest.length &&
    a.latest.every((op, i) => {
      const other = b.latest[i]!;
      return op.origin === other.origin && op.seq === other.seq && op.value.p === other.value.p && op.value.n === other.value.n;
    }),
  validatePayload: validateCounterPayload,
};
