/**
 * Loro (`LoroMap` of plain objects; Rust compiled to WASM).
 *
 * @remarks
 * One `doc.commit()` per commit. Sync: the receiver sends its
 * `oplogVersion().encode()`; a fresh receiver (empty vector) gets
 * `export({ mode: 'snapshot' })`, any other `export({ mode: 'update', from })`;
 * the receiver `import`s it. Live: `subscribeLocalUpdates`, one update per
 * commit. In memory, no durability. Its memory is WASM linear memory, counted
 * in `external`, which never shrinks (a high-water mark).
 */
import { LoroDoc, VersionVector } from 'loro-crdt';
import type { BenchPeer, Item, State } from './adapter.ts';
import { codecAdapter } from './codec-adapter.ts';

interface LoroPeer extends BenchPeer {
  readonly doc: LoroDoc;
}

export const loroAdapter = codecAdapter<LoroPeer>({
  id: 'loro',
  label: 'Loro 1.17.1',
  family: 'peer',
  notes: 'LoroMap of plain objects, one commit() per commit. Sync: oplogVersion().encode() → export snapshot (fresh receiver) or update from that version → import. Live: subscribeLocalUpdates. WASM; its memory shows in `external`.',
  createPeer(name, index) {
    const doc = new LoroDoc();
    doc.setPeerId(index + 1);
    const map = doc.getMap('items');
    let batch: Array<[string, Item]> = [];
    const peer: LoroPeer = {
      name,
      doc,
      set(key, value) {
        batch.push([key, value]);
      },
      commit() {
        for (const [key, value] of batch) map.set(key, value);
        batch = [];
        doc.commit();
        return Promise.resolve();
      },
      readAll: () => map.toJSON() as State,
      close() {
        doc.free();
        return Promise.resolve();
      },
    };
    return Promise.resolve(peer);
  },
  stateVector: (peer) => peer.doc.oplogVersion().encode(),
  encodeDelta(peer, remote) {
    const from = VersionVector.decode(remote);
    return from.length() === 0 ? peer.doc.export({ mode: 'snapshot' }) : peer.doc.export({ mode: 'update', from });
  },
  applyUpdate(peer, update) {
    peer.doc.import(update);
  },
  onCommit: (peer, listener) => peer.doc.subscribeLocalUpdates(listener),
});
