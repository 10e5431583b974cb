/**
 * Floor 1: a plain `Map` copied with `JSON.stringify`. No versions, no
 * conflict semantics (an incoming copy simply overwrites): the cost of moving
 * the data and nothing else. Its "delta" is a full copy, since it cannot know
 * what the other side lacks.
 */
import type { BenchPeer, Item, State } from './adapter.ts';
import { codecAdapter, fromJsonBytes, jsonBytes } from './codec-adapter.ts';

interface PlainMapPeer extends BenchPeer {
  readonly map: Map<string, Item>;
  /** Writes of the current commit, for the live update. */
  readonly batch: Array<[string, Item]>;
  readonly listeners: Array<(update: Uint8Array) => void>;
}

export const plainMapAdapter = codecAdapter<PlainMapPeer>({
  id: 'floor-map',
  label: 'floor: Map + JSON copy',
  family: 'floor',
  notes: 'A `Map`; sync sends `JSON.stringify([...map])` (always a full copy, no handshake) and the receiver overwrites key by key. Live: the JSON of the commit\'s entries. No versions, no conflict semantics, no durability.',
  createPeer(name) {
    const peer: PlainMapPeer = {
      name,
      map: new Map(),
      batch: [],
      listeners: [],
      set(key, value) {
        peer.map.set(key, value);
        if (peer.listeners.length > 0) peer.batch.push([key, value]);
      },
      commit() {
        if (peer.batch.length > 0) {
          const update = jsonBytes(peer.batch);
          peer.batch.length = 0;
          for (const listener of peer.listeners) listener(update);
        }
        return Promise.resolve();
      },
      readAll() {
        const out: State = {};
        for (const [key, value] of peer.map) out[key] = value;
        return out;
      },
      close: () => Promise.resolve(),
    };
    return Promise.resolve(peer);
  },
  stateVector: () => new Uint8Array(0),
  encodeDelta: (peer) => jsonBytes([...peer.map]),
  applyUpdate(peer, update) {
    for (const [key, value] of fromJsonBytes<Array<[string, Item]>>(update)) peer.map.set(key, value);
  },
  onCommit(peer, listener) {
    peer.listeners.push(listener);
    return () => peer.listeners.splice(peer.listeners.indexOf(listener), 1);
  },
});
