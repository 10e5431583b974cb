/**
 * Loro 1.17: counters as `LoroCounter` (root containers `c0…`), sets as a
 * `LoroMap` whose keys are the members. One `commit()` per write; message =
 * `export({ mode: 'update' })` (everything), received with `import`.
 */
import { LoroDoc } from 'loro-crdt';
import type { Contestant, CounterPeer, SetPeer } from './contestant.ts';

function counterPeer(index: number, counters: number): CounterPeer {
  const doc = new LoroDoc();
  doc.setPeerId(index + 1);
  const handles = Array.from({ length: counters }, (_, i) => doc.getCounter(`c${i}`));
  return {
    increment(counter) {
      handles[counter]!.increment(1);
      doc.commit();
    },
    encode: () => doc.export({ mode: 'update' }),
    receive(message) {
      if (typeof message === 'string') throw new Error('loro: expected bytes');
      doc.import(message);
    },
    values: () => handles.map((handle) => handle.value),
    close: () => doc.free(),
  };
}

function setPeer(index: number): SetPeer {
  const doc = new LoroDoc();
  doc.setPeerId(index + 1);
  const map = doc.getMap('set');
  return {
    add(value) {
      map.set(value, true);
      doc.commit();
    },
    remove(value) {
      map.delete(value);
      doc.commit();
    },
    encode: () => doc.export({ mode: 'update' }),
    receive(message) {
      if (typeof message === 'string') throw new Error('loro: expected bytes');
      doc.import(message);
    },
    values: () => (map.keys() as string[]).sort(),
    close: () => doc.free(),
  };
}

export const loro: Contestant = {
  id: 'loro',
  label: 'Loro 1.17.1',
  family: 'peer',
  notes: {
    w6: 'LoroCounter per counter (root containers), increment(1) + commit() per increment. Message: export({ mode: "update" }) → import. WASM: its memory shows in `external`.',
    w7: 'LoroMap with the members as keys (value `true`; remove = delete), one commit() per write — chosen over LoroList/LoroMovableList, which have no lookup by value. Message: export({ mode: "update" }) → import. (LoroMap is last-writer-wins per key, see the notes.)',
  },
  counterPeer,
  setPeer,
};
