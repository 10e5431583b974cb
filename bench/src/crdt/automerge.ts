/**
 * Automerge 3: counters as `Automerge.Counter` fields of one map, sets as a
 * map whose keys are the members. One `change()` per write. All peers start
 * from one genesis document (made once with a fixed actor), so that the map
 * and the counters are the same objects everywhere. Message =
 * `saveSince(doc, genesis heads)` (the peer's changes, compressed), received
 * with `loadIncremental` — Automerge's documented way to ship a batch of
 * changes.
 */
import * as Automerge from '@automerge/automerge';
import type { Contestant, CounterPeer, SetPeer } from './contestant.ts';

type Counters = { counters: Record<string, Automerge.Counter> };
type Members = { set: Record<string, boolean> };

const genesisCache = new Map<string, { bytes: Uint8Array; heads: string[] }>();

function genesis<T>(name: string, init: (d: T) => void): { bytes: Uint8Array; heads: string[] } {
  let known = genesisCache.get(name);
  if (known === undefined) {
    const doc = Automerge.change(Automerge.init<T>({ actor: '00' }), { time: 0 }, init);
    known = { bytes: Automerge.save(doc), heads: Automerge.getHeads(doc) };
    genesisCache.set(name, known);
  }
  return known;
}

const actorOf = (index: number): string => (index + 1).toString(16).padStart(4, '0').repeat(4);

function counterPeer(index: number, counters: number): CounterPeer {
  const base = genesis<Counters>(`counters-${counters}`, (d) => {
    d.counters = {};
    for (let i = 0; i < counters; i++) d.counters[`c${i}`] = new Automerge.Counter(0);
  });
  let doc = Automerge.load<Counters>(base.bytes, { actor: actorOf(index) });
  return {
    increment(counter) {
      doc = Automerge.change(doc, (d) => {
        d.counters[`c${counter}`]!.increment(1);
      });
    },
    encode: () => Automerge.saveSince(doc, base.heads),
    receive(message) {
      if (typeof message === 'string') throw new Error('automerge: expected bytes');
      doc = Automerge.loadIncremental(doc, message);
    },
    values: () => Array.from({ length: counters }, (_, i) => doc.counters[`c${i}`]!.value),
    close: () => undefined,
  };
}

function setPeer(index: number): SetPeer {
  const base = genesis<Members>('set', (d) => {
    d.set = {};
  });
  let doc = Automerge.load<Members>(base.bytes, { actor: actorOf(index) });
  return {
    add(value) {
      doc = Automerge.change(doc, (d) => {
        d.set[value] = true;
      });
    },
    remove(value) {
      doc = Automerge.change(doc, (d) => {
        delete d.set[value];
      });
    },
    encode: () => Automerge.saveSince(doc, base.heads),
    receive(message) {
      if (typeof message === 'string') throw new Error('automerge: expected bytes');
      doc = Automerge.loadIncremental(doc, message);
    },
    values: () => Object.keys(doc.set).sort(),
    close: () => undefined,
  };
}

export const automerge: Contestant = {
  id: 'automerge',
  label: 'Automerge 3.5.0',
  family: 'peer',
  notes: {
    w6: 'Automerge.Counter fields of one map (new Automerge.Counter() in a shared genesis doc), one change() with increment(1) per increment. Message: saveSince(doc, genesis heads) → loadIncremental. WASM: its memory shows in `external`.',
    w7: 'A map with the members as keys (value `true`; remove = delete), one change() per write, shared genesis doc. Message: saveSince(doc, genesis heads) → loadIncremental.',
  },
  counterPeer,
  setPeer,
};
