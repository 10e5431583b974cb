import fc from 'fast-check';
import { isSyncError, type JsonValue } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { mvConflicts, mvPolicy, mvWrite, validateMvPayload, type MvOperation, type MvPayload, type MvState } from '../index.js';
import { PEERS, byId, describeLaws, historyArb, idOf, simulate, type SimPolicy } from './simulation.test-support.js';

const sim: SimPolicy<MvPayload, MvState, JsonValue[]> = {
  policy: mvPolicy,
  write: (state, _origin, choice) => ({ value: mvWrite(state, choice % 6) }),
  // The plain register: every write seen that no other write seen had seen.
  reference: (events) =>
    events
      .filter((event) => !events.some((other) => other.seenAtWrite.has(idOf(event.op))))
      .map((event) => event.op)
      .sort(byId)
      .map((op) => op.value.value),
};

describeLaws(sim);

function write(state: MvState, origin: string, seq: number, value: JsonValue): MvOperation {
  return { origin, seq, hlc: { wall: 100 + seq, counter: 0, peer: origin }, collection: 'c', key: 'k', value: mvWrite(state, value) };
}

describe('multi-value register policy', () => {
  it('keeps three concurrent writes as three conflicts, then one value once a write has seen them', () => {
    const a = write(mvPolicy.empty(), 'a', 1, 'from a');
    const b = write(mvPolicy.empty(), 'b', 7, 'from b');
    const c = write(mvPolicy.empty(), 'c', 3, 'from c');
    const merged = mvPolicy.merge(mvPolicy.apply(mvPolicy.empty(), a), mvPolicy.apply(mvPolicy.apply(mvPolicy.empty(), c), b));
    expect(mvConflicts(merged)).toEqual([
      { value: 'from a', origin: 'a', seq: 1, hlc: a.hlc },
      { value: 'from b', origin: 'b', seq: 7, hlc: b.hlc },
      { value: 'from c', origin: 'c', seq: 3, hlc: c.hlc },
    ]);
    const resolved = write(merged, 'b', 8, 'resolved');
    expect(resolved.value.context).toEqual({ a: 1, b: 7, c: 3 });
    const after = mvPolicy.apply(merged, resolved);
    expect(mvPolicy.value(after)).toEqual(['resolved']);
    // A peer that only ever hears of the resolution never shows the old conflicts, even when they arrive late.
    const late = [a, b, c].reduce((state, op) => mvPolicy.apply(state, op), mvPolicy.apply(mvPolicy.empty(), resolved));
    expect(mvPolicy.value(late)).toEqual(['resolved']);
    expect(mvPolicy.essential(late)).toEqual([resolved]);
  });

  it('replaces a value a write saw only through another write (the context is transitive)', () => {
    const first = write(mvPolicy.empty(), 'a', 1, 1);
    const second = write(mvPolicy.apply(mvPolicy.empty(), first), 'b', 1, 2);
    const third = write(mvPolicy.apply(mvPolicy.empty(), second), 'c', 1, 3);
    // This receiver never got `second` (superseded), only `first` and `third`.
    expect(mvPolicy.value(mvPolicy.apply(mvPolicy.apply(mvPolicy.empty(), first), third))).toEqual([3]);
  });

  it('keeps as many live values as there are writers, whatever the history length', () => {
    fc.assert(
      fc.property(historyArb(40), (commands) => {
        for (const peer of simulate(sim, commands).peers) expect(peer.state.values.length).toBeLessThanOrEqual(PEERS.length);
      }),
      { numRuns: 50 },
    );
  });

  it('validates payloads: a JSON value and a context of peer ids to positive seqs; never throws', () => {
    expect(validateMvPayload({ value: { x: [1] }, context: { a: 3 } })).toEqual({ ok: true, value: { value: { x: [1] }, context: { a: 3 } } });
    const bad: unknown[] = [
      null,
      { value: 1 },
      { value: 1, context: { a: 0 } },
      { value: 1, context: { 'not a peer!': 1 } },
      { value: 1, context: [] },
      { value: Number.NaN, context: {} },
      { context: {} },
    ];
    for (const input of bad) {
      const result = validateMvPayload(input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(['E_INVALID_VALUE', 'E_TOO_LARGE']).toContain(result.error.code);
    }
    const huge = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`p${i}`, 1]));
    const tooLarge = validateMvPayload({ value: 1, context: huge });
    expect(tooLarge.ok || tooLarge.error.code).toBe('E_TOO_LARGE');
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (value, context) => {
        const checked = validateMvPayload({ value, context });
        expect(checked.ok || isSyncError(checked.error)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
