/**
 * Yjs 13: counters as a `Y.Map` of per-client totals per counter (the idiom
 * Yjs users write: Yjs has no counter type), sets as a `Y.Map` whose keys are
 * the members. One `transact()` per write; message =
 * `encodeStateAsUpdate(doc)` (update V1), received with `applyUpdate`.
 */
import * as Y from 'yjs';
import type { Contestant, CounterPeer, SetPeer } from './contestant.ts';

function counterPeer(index: number, counters: number): CounterPeer {
  const doc = new Y.Doc();
  doc.clientID = index + 1;
  const me = String(doc.clientID);
  // Top-level types: every peer names the same ones, no concurrent creation conflicts.
  const maps = Array.from({ length: counters }, (_, i) => doc.getMap<number>(`c${i}`));
  return {
    increment(counter) {
      const map = maps[counter]!;
      doc.transact(() => map.set(me, (map.get(me) ?? 0) + 1));
    },
    encode: () => Y.encodeStateAsUpdate(doc),
    receive(message) {
      if (typeof message === 'string') throw new Error('yjs: expected bytes');
      Y.applyUpdate(doc, message);
    },
    values: () => maps.map((map) => [...map.values()].reduce((sum, n) => sum + n, 0)),
    close: () => doc.destroy(),
  };
}

function setPeer(index: number): SetPeer {
  const doc = new Y.Doc();
  doc.clientID = index + 1;
  const map = doc.getMap<boolean>('set');
  return {
    add: (value) => doc.transact(() => map.set(value, true)),
    remove: (value) => doc.transact(() => map.delete(value)),
    encode: () => Y.encodeStateAsUpdate(doc),
    receive(message) {
      if (typeof message === 'string') throw new Error('yjs: expected bytes');
      Y.applyUpdate(doc, message);
    },
    values: () => [...map.keys()].sort(),
    close: () => doc.destroy(),
  };
}

export const yjs: Contestant = {
  id: 'yjs',
  label: 'Yjs 13.6.33',
  family: 'peer',
  notes: {
    w6: 'No counter type in Yjs: per counter a top-level Y.Map of per-client totals (key = clientID, value = that client\'s running total; value = the sum), one transact() per increment. Message: encodeStateAsUpdate(doc) (V1) → applyUpdate.',
    w7: 'Y.Map with the members as keys (value `true`; remove = delete), one transact() per write. Message: encodeStateAsUpdate(doc) (V1) → applyUpdate. (Y.Map is last-writer-wins per key, not add-wins: the workload has no add/remove conflicts, see the notes.)',
  },
  counterPeer,
  setPeer,
};
