import { VersionVector, isSyncError } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { MEMBERS_META, STABLE_META, StabilityTracker } from './stability.js';

const vv = (json: Record<string, number | number[]>): VersionVector => VersionVector.fromJSON(json);

describe('StabilityTracker', () => {
  it('is what every member acknowledged — its own operations held here counted as held by it — and waits for a member that has not acked', () => {
    const tracker = new StabilityTracker(60_000);
    tracker.connected('a', 0);
    tracker.connected('b', 0);
    const own = vv({ a: 3, b: 2, c: 1 });
    expect(tracker.next(own, 10)).toBeUndefined();
    tracker.acked('a', vv({ a: 1, b: 2, c: 1 }));
    expect(tracker.next(own, 10)).toBeUndefined();
    // b never acks its own writes: it wrote them, durably, before sending them.
    tracker.acked('b', vv({ a: 2 }));
    expect(tracker.next(own, 10)?.toJSON()).toEqual({ a: 2, b: 2 });
  });

  it('publishes only what grows, and refuses a peer holding others’ operations but not all of it', () => {
    const tracker = new StabilityTracker(60_000);
    tracker.connected('a', 0);
    tracker.acked('a', vv({ a: 5, b: 5 }));
    const stable = tracker.next(vv({ a: 5, b: 5 }), 0)!;
    tracker.propose(stable);
    // While it is written, hellos are checked against it already.
    expect(tracker.admit('b', vv({ a: 2, b: 9 }))?.code).toBe('E_HORIZON');
    expect(tracker.settle(stable, true)).toBe(true);
    expect(tracker.next(vv({ a: 5, b: 5 }), 0)).toBeUndefined();
    // Holding all of it, or nothing but its own operations: admitted.
    expect(tracker.admit('b', vv({ a: 5, b: 9 }))).toBeUndefined();
    expect(tracker.admit('n', vv({ n: 4 }))).toBeUndefined();
    const refusal = tracker.admit('c', vv({ a: 1, c: 3 }));
    expect(isSyncError(refusal) && refusal.code).toBe('E_HORIZON');
    // A smaller vector later (a new member not caught up) is not published.
    expect(tracker.settle(vv({ a: 1 }), true)).toBe(false);
    expect(tracker.published.toJSON()).toEqual({ a: 5, b: 5 });
  });

  it('forgets a member away past the horizon, not one connected or away for less', () => {
    const tracker = new StabilityTracker(1_000);
    tracker.connected('a', 0);
    tracker.connected('b', 0);
    tracker.disconnected('b', 100);
    expect(tracker.expire(1_000)).toBe(false);
    expect(tracker.nextExpiry(1_000)).toBe(101);
    expect(tracker.expire(1_101)).toBe(true);
    expect(tracker.members()).toEqual(['a']);
    expect(tracker.expire(1_000_000)).toBe(false);
  });

  it('keeps members and the published vector in the meta, and reads them back', () => {
    const tracker = new StabilityTracker(1_000);
    tracker.connected('a', 50);
    const meta = tracker.meta(vv({ a: 2 }));
    expect(Object.keys(meta).sort()).toEqual([MEMBERS_META, STABLE_META].sort());
    const reopened = new StabilityTracker(1_000);
    reopened.load(meta, 10_000);
    expect(reopened.members()).toEqual(['a']);
    expect(reopened.published.toJSON()).toEqual({ a: 2 });
    // Not acked since this one opened: nothing is stable until it acks again.
    expect(reopened.next(vv({ a: 3 }), 10_000)).toBeUndefined();
  });

  it('refuses a horizon that is not a positive number of ms', () => {
    expect(() => new StabilityTracker(0)).toThrow(/horizonMs/);
    expect(() => new StabilityTracker(Number.NaN)).toThrow(/horizonMs/);
  });
});
