import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hlcArb } from '../test/arbitraries.js';
import {
  MAX_HLC_COUNTER,
  compareHlc,
  createHlc,
  decodeHlcBinary,
  decodeHlcText,
  encodeHlcBinary,
  encodeHlcText,
  isSyncError,
  type Hlc,
  type HlcDriftEvent,
} from './index.js';

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

describe('hybrid logical clock', () => {
  it('is strictly monotonic under random wall clocks, including backward jumps', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('now' as const), wall: fc.integer({ min: 0, max: 2_000_000 }) }),
            fc.record({ op: fc.constant('receive' as const), wall: fc.integer({ min: 0, max: 2_000_000 }), remote: fc.integer({ min: 0, max: 2_100_000 }), counter: fc.integer({ min: 0, max: MAX_HLC_COUNTER }) }),
          ),
          { minLength: 1, maxLength: 200 },
        ),
        (steps) => {
          let wall = 0;
          const clock = createHlc({ peerId: 'me', now: () => wall, maxDriftMs: 50_000 });
          let previous: Hlc | undefined;
          for (const step of steps) {
            wall = step.wall;
            const next = step.op === 'now' ? clock.now() : clock.receive({ wall: step.remote, counter: step.counter, peer: 'other' });
            if (previous) expect(compareHlc(next, previous)).toBeGreaterThan(0);
            previous = next;
          }
        },
      ),
    );
  });

  it('keeps counting when the physical clock goes backwards', () => {
    let wall = 1_000;
    const clock = createHlc({ peerId: 'a', now: () => wall });
    const first = clock.now();
    wall = 500;
    const second = clock.now();
    expect(second.wall).toBe(1_000);
    expect(second.counter).toBe(first.counter + 1);
  });

  it('moves to the next millisecond when the counter overflows', () => {
    const clock = createHlc({ peerId: 'a', now: () => 7, last: { wall: 7, counter: MAX_HLC_COUNTER - 1, peer: 'a' } });
    expect(clock.now()).toEqual({ wall: 7, counter: MAX_HLC_COUNTER, peer: 'a' });
    expect(clock.now()).toEqual({ wall: 8, counter: 0, peer: 'a' });
  });

  it('sorts a write made after seeing a remote one after it', () => {
    const clock = createHlc({ peerId: 'a', now: () => 100 });
    const remote = { wall: 5_000, counter: 3, peer: 'b' };
    clock.receive(remote);
    expect(compareHlc(clock.now(), remote)).toBeGreaterThan(0);
  });

  it('limits how far a remote stamp pulls it ahead, and reports it', () => {
    const events: HlcDriftEvent[] = [];
    const clock = createHlc({ peerId: 'a', now: () => 1_000, maxDriftMs: 100, onDrift: (e) => events.push(e) });
    const after = clock.receive({ wall: 1_000_000, counter: 0, peer: 'evil' });
    expect(after.wall).toBe(1_100);
    expect(events).toHaveLength(1);
    expect(events[0]!.driftMs).toBe(999_000);
    // Within the limit, nothing is reported.
    clock.receive({ wall: 1_050, counter: 0, peer: 'b' });
    expect(events).toHaveLength(1);
  });

  it('starts above a timestamp it is given (recovery)', () => {
    const clock = createHlc({ peerId: 'a', now: () => 10, last: { wall: 50, counter: 2, peer: 'a' } });
    expect(clock.now()).toEqual({ wall: 50, counter: 3, peer: 'a' });
  });

  it('orders ties totally by peer id', () => {
    expect(compareHlc({ wall: 1, counter: 1, peer: 'a' }, { wall: 1, counter: 1, peer: 'b' })).toBeLessThan(0);
    expect(compareHlc({ wall: 1, counter: 1, peer: 'b' }, { wall: 1, counter: 1, peer: 'a' })).toBeGreaterThan(0);
    expect(compareHlc({ wall: 1, counter: 1, peer: 'a' }, { wall: 1, counter: 1, peer: 'a' })).toBe(0);
  });

  it('text and binary encodings round-trip and sort like compareHlc', () => {
    fc.assert(
      fc.property(hlcArb(), hlcArb(), (a, b) => {
        expect(decodeHlcText(encodeHlcText(a))).toEqual(a);
        expect(decodeHlcBinary(encodeHlcBinary(a))).toEqual(a);
        const expected = Math.sign(compareHlc(a, b));
        const textA = encodeHlcText(a);
        const textB = encodeHlcText(b);
        expect(Math.sign(textA < textB ? -1 : textA > textB ? 1 : 0)).toBe(expected);
        expect(Math.sign(compareBytes(encodeHlcBinary(a), encodeHlcBinary(b)))).toBe(expected);
      }),
    );
  });

  it('refuses malformed text with E_INVALID_HLC', () => {
    for (const bad of ['', 'zz', '0000000000000-0000-a', '000000000000-0000-', '000000000000-00000-a']) {
      let caught: unknown;
      try {
        decodeHlcText(bad);
      } catch (error) {
        caught = error;
      }
      expect(isSyncError(caught) && caught.code).toBe('E_INVALID_HLC');
    }
  });
});
