import fc from 'fast-check';
import { isSyncError, type JsonValue } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { lwwPolicy, validateLwwPayload, type LwwOperation, type LwwPayload, type LwwState, type LwwValue } from '../index.js';
import { describeLaws, lwwGreater, type SimPolicy } from './simulation.test-support.js';

const sim: SimPolicy<LwwPayload, LwwState, LwwValue> = {
  policy: lwwPolicy,
  write: (_state, origin, choice): { value: LwwPayload } => ({ value: choice % 4 === 0 ? { kind: 'del' } : { kind: 'put', value: `${origin}${choice % 5}` } }),
  // The plain register: the greatest write seen, by HLC then origin then seq.
  reference: (events) => {
    let winner: LwwOperation | undefined;
    for (const { op } of events) if (winner === undefined || lwwGreater(op, winner)) winner = op;
    return winner === undefined || winner.value.kind === 'del' ? undefined : winner.value.value;
  },
};

describeLaws(sim);

function op(origin: string, seq: number, wall: number, value: JsonValue): LwwOperation {
  return { origin, seq, hlc: { wall, counter: 0, peer: origin }, collection: 'c', key: 'k', value: { kind: 'put', value } };
}

describe('lww policy', () => {
  it('keeps the newest write when an older one arrives late, and breaks an HLC tie by origin', () => {
    const older = op('b', 1, 10, 'old');
    const newer = op('a', 1, 20, 'new');
    expect(lwwPolicy.value(lwwPolicy.apply(lwwPolicy.apply(lwwPolicy.empty(), newer), older))).toBe('new');
    const tieA = op('a', 2, 30, 'from a');
    const tieB = op('b', 2, 30, 'from b');
    expect(lwwPolicy.value(lwwPolicy.merge(lwwPolicy.apply(lwwPolicy.empty(), tieB), lwwPolicy.apply(lwwPolicy.empty(), tieA)))).toBe('from b');
  });

  it('validates payloads and never throws', () => {
    expect(validateLwwPayload({ kind: 'del' })).toEqual({ ok: true, value: { kind: 'del' } });
    for (const bad of [null, { kind: 'put' }, { kind: 'put', value: Number.POSITIVE_INFINITY }, { kind: 'set', value: 1 }]) {
      const result = validateLwwPayload(bad);
      expect(result.ok || result.error.code).toBe('E_INVALID_VALUE');
    }
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const checked = validateLwwPayload({ kind: 'put', value });
        expect(checked.ok || isSyncError(checked.error)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
