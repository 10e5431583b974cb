import fc from 'fast-check';
import { isSyncError, type JsonValue } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { mapPolicy, mapWrite, validateMapPayload, type MapOperation, type MapPayload, type MapState } from '../index.js';
import { describeLaws, lwwGreater, type SimEvent, type SimPolicy } from './simulation.test-support.js';

const FIELDS = ['title', 'done', 'owner'] as const;

const sim: SimPolicy<MapPayload, MapState, { [field: string]: JsonValue }> = {
  policy: mapPolicy,
  write: (_state, origin, choice) => {
    // Each field: untouched, set, or deleted; at least one touched.
    const set: Record<string, JsonValue> = {};
    const del: string[] = [];
    FIELDS.forEach((field, i) => {
      const action = Math.floor(choice / 3 ** i) % 3;
      if (action === 1) set[field] = `${origin}${choice}`;
      if (action === 2) del.push(field);
    });
    if (del.length === 0 && Object.keys(set).length === 0) set['title'] = choice;
    return { value: mapWrite(set, del) };
  },
  // The plain map: per field, the greatest write seen that touched it; present when it set it.
  reference: (events) => {
    const out: Record<string, JsonValue> = {};
    for (const field of FIELDS) {
      let winner: SimEvent<MapPayload> | undefined;
      for (const event of events) {
        const touches = Object.prototype.hasOwnProperty.call(event.op.value.set, field) || event.op.value.del.includes(field);
        if (touches && (winner === undefined || lwwGreater(event.op, winner.op))) winner = event;
      }
      if (winner !== undefined && Object.prototype.hasOwnProperty.call(winner.op.value.set, field)) out[field] = winner.op.value.set[field]!;
    }
    return out;
  },
};

describeLaws(sim);

function op(origin: string, seq: number, wall: number, payload: MapPayload): MapOperation {
  return { origin, seq, hlc: { wall, counter: 0, peer: origin }, collection: 'c', key: 'k', value: payload };
}

describe('map policy (fields as LWW registers)', () => {
  it('keeps both edits when two peers edit different fields concurrently', () => {
    const base = op('a', 1, 10, mapWrite({ title: 'Buy milk', done: false }));
    const renamed = op('a', 2, 20, mapWrite({ title: 'Buy oat milk' }));
    const ticked = op('b', 1, 15, mapWrite({ done: true }));
    const atA = mapPolicy.apply(mapPolicy.apply(mapPolicy.empty(), base), renamed);
    const atB = mapPolicy.apply(mapPolicy.apply(mapPolicy.empty(), base), ticked);
    expect(mapPolicy.value(mapPolicy.merge(atA, atB))).toEqual({ title: 'Buy oat milk', done: true });
    expect(mapPolicy.value(mapPolicy.merge(atB, atA))).toEqual({ title: 'Buy oat milk', done: true });
    // `base` won no field any more: a planner sends only the two edits.
    expect(mapPolicy.essential(mapPolicy.merge(atA, atB))).toEqual([renamed, ticked]);
  });

  it('keeps a deleted field deleted when an older write of it arrives late', () => {
    const old = op('a', 1, 10, mapWrite({ note: 'x', title: 't' }));
    const deleted = op('b', 1, 20, mapWrite({}, ['note']));
    expect(mapPolicy.value(mapPolicy.apply(mapPolicy.apply(mapPolicy.empty(), deleted), old))).toEqual({ title: 't' });
    const rewritten = op('a', 2, 30, mapWrite({ note: 'y' }));
    expect(mapPolicy.value([old, deleted, rewritten].reduce(mapPolicy.apply, mapPolicy.empty()))).toEqual({ note: 'y', title: 't' });
  });

  it('validates payloads: fields bounded in number and length, none named twice; never throws', () => {
    expect(validateMapPayload({ set: { a: 1 }, del: ['b'] })).toEqual({ ok: true, value: { set: { a: 1 }, del: ['b'] } });
    const bad: unknown[] = [null, { set: {} }, { set: {}, del: [] }, { set: { a: 1 }, del: ['a'] }, { set: [], del: [] }, { set: {}, del: [1] }, { set: {}, del: ['x'.repeat(300)] }, { set: { a: Number.NaN }, del: [] }];
    for (const input of bad) {
      const result = validateMapPayload(input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('E_INVALID_VALUE');
    }
    const many = validateMapPayload({ set: {}, del: Array.from({ length: 2000 }, (_, i) => `f${i}`) });
    expect(many.ok || many.error.code).toBe('E_TOO_LARGE');
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (set, del) => {
        const checked = validateMapPayload({ set, del });
        expect(checked.ok || isSyncError(checked.error)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
