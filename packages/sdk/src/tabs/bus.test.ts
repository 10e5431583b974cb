import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUS_MARK, BUS_VERSION, busObject, parseBusMessage, type BusMessage } from './bus.js';

// The tab bus never trusts another tab: anything that is not a well-formed message is ignored
// (undefined), never thrown; every well-formed message reads back as posted.

const tab = 'tab-1';
const valid: BusMessage[] = [
  { t: 'who', tab },
  { t: 'leader', tab },
  { t: 'req', tab, to: 'tab-2', id: 1, call: 'open', space: 'team' },
  { t: 'req', tab, to: 'tab-2', id: 2, call: 'put', space: 'team', collection: 'tasks', key: 'k', value: { a: [1, null] } },
  { t: 'req', tab, to: 'tab-2', id: 3, call: 'delete', space: 'team', collection: 'tasks', key: 'k' },
  { t: 'req', tab, to: 'tab-2', id: 4, call: 'acked', space: 'team', origin: 'peer-1', seq: 7 },
  { t: 'req', tab, to: 'tab-2', id: 5, call: 'digest', space: 'team', leaves: true, timeoutMs: 100 },
  { t: 'req', tab, to: 'tab-2', id: 6, call: 'online', online: false },
  { t: 'req', tab, to: 'tab-2', id: 7, call: 'declare', space: 'team', collection: 'votes', policy: 'counter' },
  { t: 'req', tab, to: 'tab-2', id: 8, call: 'update', space: 'team', collection: 'votes', key: 'k', type: 'counter', intent: { op: 'increment', n: 2 } },
  { t: 'req', tab, to: 'tab-2', id: 9, call: 'update', space: 'team', collection: 'tags', key: 'k', type: 'set', intent: { op: 'remove', value: { a: 1 } } },
  { t: 'req', tab, to: 'tab-2', id: 10, call: 'update', space: 'team', collection: 'title', key: 'k', type: 'mv', intent: { op: 'mv', value: null } },
  { t: 'req', tab, to: 'tab-2', id: 11, call: 'update', space: 'team', collection: 'cards', key: 'k', type: 'map', intent: { op: 'map', set: { a: 1 }, del: ['b'] } },
  { t: 'res', tab, to: 'tab-2', id: 1, ok: true, result: null },
  { t: 'res', tab, to: 'tab-2', id: 2, ok: false, code: 'E_INVALID_KEY', message: 'bad key' },
  { t: 'state', tab, space: 'team', status: 'synced', pending: 0, acked: [[1, 5]] },
];

describe('the tab bus', () => {
  it('reads every well-formed message back as posted', () => {
    for (const message of valid) expect(parseBusMessage(busObject(message))).toEqual(message);
  });

  it('ignores what is not its own: another marker or version, a bad tab id', () => {
    const message = busObject({ t: 'who', tab });
    expect(parseBusMessage({ ...message, m: 'other' })).toBeUndefined();
    expect(parseBusMessage({ ...message, v: BUS_VERSION + 1 })).toBeUndefined();
    expect(parseBusMessage({ ...message, tab: 'not a peer id!' })).toBeUndefined();
    expect(parseBusMessage(null)).toBeUndefined();
    expect(parseBusMessage('who')).toBeUndefined();
  });

  it('refuses malformed fields: unknown calls, negative or fractional ids and seqs, bad ranges and statuses', () => {
    const base = { m: BUS_MARK, v: BUS_VERSION, tab, to: 'tab-2' };
    for (const bad of [
      { ...base, t: 'req', id: 1, call: 'drop-everything', space: 'team' },
      { ...base, t: 'req', id: -1, call: 'open', space: 'team' },
      { ...base, t: 'req', id: 1.5, call: 'open', space: 'team' },
      { ...base, t: 'req', id: 1, call: 'open', space: '' },
      { ...base, t: 'req', id: 1, call: 'put', space: 'team', collection: 'tasks', key: 'k' },
      { ...base, t: 'req', id: 1, call: 'acked', space: 'team', origin: 'peer-1', seq: 0 },
      { ...base, t: 'req', id: 1, call: 'digest', space: 'team', leaves: 'yes' },
      { ...base, t: 'req', id: 1, call: 'online', online: 1 },
      { ...base, t: 'req', id: 1, call: 'declare', space: 'team', collection: 'votes', policy: 'gcounter' },
      { ...base, t: 'req', id: 1, call: 'update', space: 'team', collection: 'votes', key: 'k', type: 'set', intent: { op: 'increment', n: 1 } },
      { ...base, t: 'req', id: 1, call: 'update', space: 'team', collection: 'votes', key: 'k', type: 'counter', intent: { op: 'increment' } },
      { ...base, t: 'req', id: 1, call: 'update', space: 'team', collection: 'tags', key: 'k', type: 'set', intent: { op: 'add' } },
      { ...base, t: 'req', id: 1, call: 'update', space: 'team', collection: 'cards', key: 'k', type: 'map', intent: { op: 'map', set: [], del: [] } },
      { ...base, t: 'req', id: 1, call: 'update', space: 'team', collection: 'cards', key: 'k', type: 'map', intent: { op: 'map', set: {}, del: [1] } },
      { ...base, t: 'req', id: 1, call: 'update', space: 'team', collection: 'votes', key: 'k', type: 'counter', intent: 'increment' },
      { ...base, t: 'res', id: 1, ok: false, code: 42, message: 'x' },
      { ...base, t: 'state', space: 'team', status: 'great', pending: 0, acked: [] },
      { ...base, t: 'state', space: 'team', status: 'synced', pending: 0, acked: [[5, 1]] },
      { ...base, t: 'state', space: 'team', status: 'synced', pending: -1, acked: [] },
    ]) {
      expect(parseBusMessage(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it('never throws, whatever arrives', () => {
    const fields = fc.record(
      { m: fc.constantFrom(BUS_MARK, 'x'), v: fc.constantFrom(BUS_VERSION, 2), t: fc.constantFrom('who', 'leader', 'req', 'res', 'state', 'x'), tab: fc.constantFrom(tab, ''), to: fc.anything(), id: fc.anything(), call: fc.constantFrom('open', 'put', 'delete', 'acked', 'digest', 'online', 'declare', 'update', 'x'), space: fc.anything(), status: fc.anything(), pending: fc.anything(), acked: fc.anything(), ok: fc.anything(), code: fc.anything(), message: fc.anything(), seq: fc.anything(), origin: fc.anything(), leaves: fc.anything(), online: fc.anything(), timeoutMs: fc.anything(), collection: fc.anything(), key: fc.anything(), policy: fc.constantFrom('counter', 'lww', 'x'), type: fc.constantFrom('counter', 'set', 'mv', 'map', 'x'), intent: fc.oneof(fc.anything(), fc.record({ op: fc.constantFrom('increment', 'decrement', 'add', 'remove', 'mv', 'map', 'x'), n: fc.anything(), value: fc.anything(), set: fc.anything(), del: fc.anything() }, { requiredKeys: [] })) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fields), (input) => {
        const message = parseBusMessage(input);
        if (message !== undefined) expect(parseBusMessage(busObject(message))).toEqual(message);
      }),
      { numRuns: 2_000 },
    );
  });
});
