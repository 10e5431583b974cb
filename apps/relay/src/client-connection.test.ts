import { encodeMessage, type Operation } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { opsInMessage } from './relay.js';

describe('opsInMessage', () => {
  it('reads the operation count of an ops message without decoding it', () => {
    const ops: Operation[] = Array.from({ length: 300 }, (_, i) => ({
      origin: i % 2 ? 'alice' : 'bob',
      seq: i + 1,
      hlc: { wall: 1_700_000_000_000 + i, counter: 0, peer: i % 2 ? 'alice' : 'bob' },
      collection: i % 3 ? 'todos' : 'notes',
      key: `k${i}`,
      kind: 'put',
      value: { i },
    }));
    expect(opsInMessage(encodeMessage({ type: 'ops', epoch: 123456789, n: 4000, ops }))).toBe(300);
    expect(opsInMessage(encodeMessage({ type: 'ops', epoch: 1, n: 1, ops: [] }))).toBe(0);
  });
});
