import { describe, expect, it } from 'vitest';
import { KillLedger } from './kill-ledger.js';
import type { KillAck, KillChildState } from './kill-protocol.js';

function ack(seq: number, key = `k${seq}`, value: unknown = { seq }, origin = 'p'): KillAck {
  return { origin, seq, collection: 'kill', key, value: JSON.stringify(value) };
}

function state(upTo: number, winners: KillChildState['winners'], origin = 'p'): KillChildState {
  return { peer: origin, vv: upTo === 0 ? {} : { [origin]: upTo }, ops: upTo, winners };
}

describe('KillLedger', () => {
  it('finds nothing wrong when every acknowledged write is recovered', () => {
    const ledger = new KillLedger();
    ledger.checkRecovery(0, state(0, []));
    ledger.recordAck(0, ack(1, 'a', { v: 1 }));
    ledger.recordAck(0, ack(2, 'a', { v: 2 }));
    ledger.recordAck(0, ack(3, 'b', { v: 3 }));
    // Seq 4 was written but never acknowledged: recovering it is fine.
    ledger.checkRecovery(1, state(4, [['kill', 'a', 'p', 4, { v: 4 }], ['kill', 'b', 'p', 3, { v: 3 }]]));
    expect(ledger.violations).toEqual([]);
    expect(ledger.acknowledged).toBe(3);
    expect(ledger.recovered).toBe(4);
  });

  it('reports an acknowledged write missing from a later recovery, once', () => {
    const ledger = new KillLedger();
    ledger.recordAck(0, ack(1, 'a'));
    ledger.recordAck(0, ack(2, 'b'));
    ledger.checkRecovery(1, state(1, [['kill', 'a', 'p', 1, { seq: 1 }]]));
    ledger.checkRecovery(2, state(1, [['kill', 'a', 'p', 1, { seq: 1 }]]));
    expect(ledger.lost).toEqual([{ origin: 'p', seq: 2 }]);
    expect(ledger.violations.filter((v) => v.startsWith('lost:'))).toHaveLength(1);
    expect(ledger.violations.join('\n')).toMatch(/no value for kill\/b/);
  });

  it('reports a seq acknowledged by two lives (reused with other content)', () => {
    const ledger = new KillLedger();
    ledger.recordAck(0, ack(5, 'a', { life: 0 }));
    ledger.recordAck(1, ack(5, 'a', { life: 1 }));
    expect(ledger.reused).toEqual([{ origin: 'p', seq: 5 }]);
    expect(ledger.violations[0]).toMatch(/seq reused/);
  });

  it('reports a seq acknowledged after the same life recovered it', () => {
    const ledger = new KillLedger();
    ledger.checkRecovery(3, state(6, []));
    ledger.recordAck(3, ack(6, 'a'));
    expect(ledger.reused).toEqual([{ origin: 'p', seq: 6 }]);
    expect(ledger.violations[0]).toMatch(/had recovered at start/);
  });

  it('reports a winner older than the newest acknowledged write of its key, or holding another value', () => {
    const ledger = new KillLedger();
    ledger.recordAck(0, ack(1, 'a', { v: 1 }));
    ledger.recordAck(0, ack(2, 'a', { v: 2 }));
    ledger.recordAck(0, ack(3, 'b', { v: 3 }));
    ledger.checkRecovery(1, state(3, [['kill', 'a', 'p', 1, { v: 1 }], ['kill', 'b', 'p', 3, { v: 'other' }]]));
    expect(ledger.lost).toEqual([]);
    const text = ledger.violations.join('\n');
    expect(text).toMatch(/p:1 as the winner of kill\/a, older than the acknowledged p:2/);
    expect(text).toMatch(/kill\/b = \{"v":"other"\} for p:3/);
  });

  it('reports a recovery that holds less than the one before it, even of writes never acknowledged', () => {
    const ledger = new KillLedger();
    ledger.checkRecovery(0, state(5, []));
    ledger.checkRecovery(1, state(3, []));
    expect(ledger.lost).toEqual([]);
    expect(ledger.violations).toEqual(['forgotten: life 1 recovered less than the recovery before it; it lacks p:4…5']);
  });

  it('reports malformed vectors and values instead of throwing', () => {
    const ledger = new KillLedger();
    ledger.checkRecovery(0, { peer: 'p', vv: { p: -1 }, ops: 0, winners: [] });
    ledger.recordAck(0, { origin: 'p', seq: 1, collection: 'kill', key: 'k', value: '{oops' });
    expect(ledger.violations).toHaveLength(2);
  });
});
