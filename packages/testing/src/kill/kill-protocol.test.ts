import { describe, expect, it } from 'vitest';
import { canonicalJson, formatAck, formatReady, parseKillLine, type KillChildState } from './kill-protocol.js';

describe('kill protocol lines', () => {
  it('parses the ACK line it formats', () => {
    const line = formatAck('peer-1', 42, 'kill', 'k7', { life: 1, n: 9, text: 'a b/c' });
    expect(line.endsWith('\n')).toBe(true);
    expect(parseKillLine(line.slice(0, -1))).toEqual({
      type: 'ack',
      ack: { origin: 'peer-1', seq: 42, collection: 'kill', key: 'k7', value: '{"life":1,"n":9,"text":"a b/c"}' },
    });
  });

  it('parses the READY line it formats', () => {
    const state: KillChildState = { peer: 'p', vv: { p: 3 }, ops: 3, winners: [['kill', 'k0', 'p', 3, { n: 2 }]] };
    expect(parseKillLine(formatReady(state).slice(0, -1))).toEqual({ type: 'ready', state });
  });

  it('treats a line cut short or unknown as another line, never as an event', () => {
    expect(parseKillLine('ACK peer-1:4').type).toBe('other');
    expect(parseKillLine('ACK peer-1:x kill/k1 {}').type).toBe('other');
    expect(parseKillLine('ACK peer-1:0 kill/k1 {}').type).toBe('other');
    expect(parseKillLine('READY {"peer":').type).toBe('other');
    expect(parseKillLine('CLOSED').type).toBe('closed');
    expect(parseKillLine('some log line').type).toBe('other');
  });

  it('compares values whatever the order of their keys', () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: null }] })).toBe(canonicalJson({ a: [{ x: null, y: 2 }], b: 1 }));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
  });
});
