import { describe, expect, it } from 'vitest';
import { isSyncError, type Peer, type StandardSchema } from '../src/index.js';
import { openPeer } from './helpers.js';

const peer = (): Promise<Peer> => openPeer();

/** The code of what `write` throws synchronously, or `'no throw'` (a returned handle is silenced). */
function syncThrow(write: () => PromiseLike<unknown>): string {
  try {
    const handle = write();
    Promise.resolve(handle).catch(() => undefined);
    return 'no throw';
  } catch (error) {
    return isSyncError(error) ? error.code : `not a SyncError: ${String(error)}`;
  }
}

/** An asynchronous Standard Schema that accepts anything, after a tick. */
const slowSchema: StandardSchema<unknown> = {
  '~standard': { version: 1, vendor: 'test', validate: async (value) => Promise.resolve({ value }) },
};

describe('invalid writes throw synchronously', () => {
  it('throws from put() and delete() without await: nothing written, nothing emitted', async () => {
    const p = await peer();
    const space = await p.space('team');
    const notes = space.collection<unknown>('notes');
    await notes.put('k', 'before');
    const changes: string[] = [];
    notes.subscribe((list) => changes.push(...list.map((c) => c.key)));
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const cases: Array<[string, () => PromiseLike<unknown>, string]> = [
      ['a bigint (the issue)', () => notes.put('k', 10n), 'E_INVALID_VALUE'],
      ['a cyclic object', () => notes.put('k', cyclic), 'E_INVALID_VALUE'],
      ['a function', () => notes.put('k', () => 1), 'E_INVALID_VALUE'],
      ['a Date', () => notes.put('k', new Date()), 'E_INVALID_VALUE'],
      ['a value over 1 MiB', () => notes.put('k', 'x'.repeat(1024 * 1024 + 1)), 'E_TOO_LARGE'],
      ['an empty key', () => notes.put('', 1), 'E_INVALID_KEY'],
      ['an over-long key', () => notes.put('k'.repeat(1025), 1), 'E_INVALID_KEY'],
      ['a delete of an empty key', () => notes.delete(''), 'E_INVALID_KEY'],
    ];
    for (const [name, write, code] of cases) expect(syncThrow(write), name).toBe(code);
    await space.engine.flush();
    expect(notes.get('k')).toBe('before');
    expect(notes.size).toBe(1);
    expect(changes).toEqual([]);
    expect(space.versionVector().toJSON()).toEqual({ [p.id]: 1 });
  });

  it('with a validator: a bad key throws before an asynchronous schema runs, a non-JSON result of a sync one throws too', async () => {
    const p = await peer();
    const space = await p.space('team');
    let ran = 0;
    const slow = space.collection('slow', {
      validate: {
        '~standard': {
          ...slowSchema['~standard'],
          validate: (value: unknown) => {
            ran++;
            return slowSchema['~standard'].validate(value);
          },
        },
      },
    });
    expect(syncThrow(() => slow.put('', 1))).toBe('E_INVALID_KEY');
    expect(ran).toBe(0);
    // The verdict of an asynchronous schema can only arrive through the handle: so does a non-JSON value behind it.
    await expect(slow.put('k', 10n).durable).rejects.toMatchObject({ code: 'E_INVALID_VALUE' });
    const sync = space.collection<unknown>('sync', { validate: (value) => value });
    expect(syncThrow(() => sync.put('k', 10n))).toBe('E_INVALID_VALUE');
    expect(syncThrow(() => sync.put('k'.repeat(1025), 1))).toBe('E_INVALID_KEY');
    await space.engine.flush();
    expect(space.versionVector().isEmpty()).toBe(true);
  });
});
