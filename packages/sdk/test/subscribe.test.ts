import { describe, expect, it } from 'vitest';
import { createMemoryNetwork, type CollectionChange, type Peer } from '../src/index.js';
import { openPeer } from './helpers.js';

const peer = (): Promise<Peer> => openPeer();

const describeChanges = (changes: ReadonlyArray<CollectionChange<unknown>>): string[] => changes.map((c) => `${c.source}:${c.key}=${JSON.stringify(c.value)}`);

describe('subscribe({ initial: true })', () => {
  it('delivers the current entries first, synchronously, then each live change once', async () => {
    const p = await peer();
    const notes = (await p.space('team')).collection<number>('notes');
    await notes.put('a', 1);
    await notes.put('b', 2);
    await notes.put('gone', 3);
    await notes.delete('gone');
    const calls: string[][] = [];
    const off = notes.subscribe((changes) => calls.push(describeChanges(changes)), { initial: true });
    // Synchronous: already there when subscribe returns.
    expect(calls).toHaveLength(1);
    expect(calls[0]!.sort()).toEqual(['local:a=1', 'local:b=2']);
    const handle = notes.put('c', 3);
    await handle;
    await notes.put('a', 10);
    off();
    await notes.put('d', 4);
    expect(calls.slice(1)).toEqual([['local:c=3'], ['local:a=10']]);
  });

  it('without initial, or on an empty collection, delivers nothing up front', async () => {
    const p = await peer();
    const space = await p.space('team');
    await space.collection('other').put('x', 1);
    const calls: string[][] = [];
    space.collection('notes').subscribe((changes) => calls.push(describeChanges(changes)), { initial: true });
    await space.collection('notes').put('k', 1);
    space.collection('notes').subscribe((changes) => calls.push(describeChanges(changes)));
    expect(calls).toEqual([['local:k=1']]);
  });

  it('for one key: its value first (remote source when another peer wrote it), nothing for a key without a value', async () => {
    const a = await peer();
    const b = await peer();
    const spaceA = await a.space('team');
    const spaceB = await b.space('team');
    const [ab, ba] = createMemoryNetwork().connect('a', 'b');
    spaceA.connect(ab);
    spaceB.connect(ba);
    const write = spaceA.collection('notes').put('k', 'from a');
    await write.acked;
    const notes = spaceB.collection<string>('notes');
    const seen: Array<[string | undefined, string]> = [];
    notes.subscribe('k', (value, change) => seen.push([value, change.source]), { initial: true });
    notes.subscribe('missing', (value, change) => seen.push([value, `missing ${change.source}`]), { initial: true });
    expect(seen).toEqual([['from a', 'remote']]);
    await notes.delete('k');
    expect(seen).toEqual([
      ['from a', 'remote'],
      [undefined, 'local'],
    ]);
  });

  it('never repeats a change when subscribing from inside a change listener', async () => {
    const p = await peer();
    const notes = (await p.space('team')).collection<number>('notes');
    const inner: string[][] = [];
    const outer = notes.subscribe(() => {
      outer();
      notes.subscribe((changes) => inner.push(describeChanges(changes)), { initial: true });
    });
    await notes.put('a', 1);
    await notes.put('b', 2);
    expect(inner).toEqual([['local:a=1'], ['local:b=2']]);
  });
});
