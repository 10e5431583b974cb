import { isSyncError, type JsonValue } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import { World } from './harness.js';

/** The code of what `write` throws synchronously, or `'no throw'`. */
function syncThrow(write: () => unknown): string {
  try {
    const result = write();
    // A promise that rejects would be the bug this guards against: report it as "no throw".
    if (result instanceof Promise) result.catch(() => undefined);
    return 'no throw';
  } catch (error) {
    return isSyncError(error) ? error.code : `not a SyncError: ${String(error)}`;
  }
}

describe('invalid local writes throw synchronously', () => {
  it('throws a typed SyncError before returning, and writes, applies and emits nothing', async () => {
    const world = new World();
    const peer = await world.add('alice');
    const engine = peer.engine;
    await engine.put('c', 'k', 'before');
    const bytes = peer.storage.bytes();
    const changes: string[] = [];
    engine.on('change', (list) => changes.push(...list.map((c) => c.key)));
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    const cases: Array<[string, () => unknown, string]> = [
      ['a bigint', () => engine.put('c', 'k', 10n as unknown as JsonValue), 'E_INVALID_VALUE'],
      ['a bigint deep inside', () => engine.put('c', 'k', { ok: [1, 2, { no: 10n }] } as unknown as JsonValue), 'E_INVALID_VALUE'],
      ['a cyclic object', () => engine.put('c', 'k', cyclic as JsonValue), 'E_INVALID_VALUE'],
      ['NaN', () => engine.put('c', 'k', Number.NaN), 'E_INVALID_VALUE'],
      ['undefined', () => engine.put('c', 'k', undefined as unknown as JsonValue), 'E_INVALID_VALUE'],
      ['a value over the limit', () => engine.put('c', 'k', 'x'.repeat(1024 * 1024 + 1)), 'E_TOO_LARGE'],
      ['an empty key', () => engine.put('c', '', 1), 'E_INVALID_KEY'],
      ['an over-long key', () => engine.put('c', 'k'.repeat(2000), 1), 'E_INVALID_KEY'],
      ['a key that is not a string', () => engine.put('c', 7 as unknown as string, 1), 'E_INVALID_KEY'],
      ['an empty collection', () => engine.put('', 'k', 1), 'E_INVALID_COLLECTION'],
      ['an over-long collection', () => engine.put('c'.repeat(2000), 'k', 1), 'E_INVALID_COLLECTION'],
      ['a delete with an empty key', () => engine.delete('c', ''), 'E_INVALID_KEY'],
      ['a delete with an over-long key', () => engine.delete('c', 'k'.repeat(2000)), 'E_INVALID_KEY'],
    ];
    for (const [name, write, code] of cases) expect(syncThrow(write), name).toBe(code);
    await engine.flush();
    expect(engine.get('c', 'k')).toBe('before');
    expect(engine.collections()).toEqual(['c']);
    expect(engine.versionVector().toJSON()).toEqual({ alice: 1 });
    expect(changes).toEqual([]);
    expect(peer.storage.bytes()).toBe(bytes);
    // No seq was used up: the next write is seq 2, and a restart sees exactly the valid writes.
    expect((await engine.put('c', 'k', 'after')).seq).toBe(2);
    world.crash('alice');
    const reopened = await world.restart('alice');
    expect(reopened.get('c', 'k')).toBe('after');
    expect(reopened.versionVector().toJSON()).toEqual({ alice: 2 });
  });

  it('keeps the value it stored out of reach of the caller', async () => {
    const world = new World();
    const engine = (await world.add('alice')).engine;
    const value = { list: [1, 2] };
    const write = engine.put('c', 'k', value);
    value.list.push(3);
    await write;
    expect(engine.get('c', 'k')).toEqual({ list: [1, 2] });
  });
});
