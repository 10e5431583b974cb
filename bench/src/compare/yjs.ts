/**
 * Yjs 13 (`Y.Map` of plain objects), in two rows: the update encoding V1
 * (the default) and V2.
 *
 * @remarks
 * One `doc.transact()` per commit. Sync is Yjs' own: the receiver sends
 * `encodeStateVector`, the sender answers `encodeStateAsUpdate(doc, sv)`, the
 * receiver `applyUpdate`s it (what y-protocols' sync step 1/2 carries). Live:
 * the `update` (or `updateV2`) event of each transaction, applied on the
 * other side. A value is stored as Yjs `ContentAny` (a whole-object LWW
 * register per key, like ours). In memory only, no durability.
 */
import * as Y from 'yjs';
import type { BenchPeer, Item } from './adapter.ts';
import { codecAdapter } from './codec-adapter.ts';

interface YjsPeer extends BenchPeer {
  readonly doc: Y.Doc;
}

function createYjsPeer(name: string, index: number): Promise<YjsPeer> {
  const doc = new Y.Doc();
  doc.clientID = index + 1;
  const map = doc.getMap<Item>('items');
  let batch: Array<[string, Item]> = [];
  const peer: YjsPeer = {
    name,
    doc,
    set(key, value) {
      batch.push([key, value]);
    },
    commit() {
      const writes = batch;
      batch = [];
      doc.transact(() => {
        for (const [key, value] of writes) map.set(key, value);
      });
      return Promise.resolve();
    },
    readAll: () => map.toJSON(),
    close() {
      doc.destroy();
      return Promise.resolve();
    },
  };
  return Promise.resolve(peer);
}

const version = '13.6.33';

export const yjsV1Adapter = codecAdapter<YjsPeer>({
  id: 'yjs-v1',
  label: `Yjs ${version} (update V1)`,
  family: 'peer',
  notes: 'Y.Map of plain objects, one transact() per commit. Sync: encodeStateVector → encodeStateAsUpdate(doc, sv) → applyUpdate. Live: the doc\'s `update` event per transaction. In memory, no durability.',
  createPeer: createYjsPeer,
  stateVector: (peer) => Y.encodeStateVector(peer.doc),
  encodeDelta: (peer, sv) => Y.encodeStateAsUpdate(peer.doc, sv),
  applyUpdate: (peer, update) => Y.applyUpdate(peer.doc, update),
  onCommit(peer, listener) {
    const handler = (update: Uint8Array): void => listener(update);
    peer.doc.on('update', handler);
    return () => peer.doc.off('update', handler);
  },
});

export const yjsV2Adapter = codecAdapter<YjsPeer>({
  id: 'yjs-v2',
  label: `Yjs ${version} (update V2)`,
  family: 'peer',
  notes: 'As Yjs V1 with the V2 encoding: encodeStateAsUpdateV2 / applyUpdateV2 / the `updateV2` event.',
  createPeer: createYjsPeer,
  stateVector: (peer) => Y.encodeStateVector(peer.doc),
  encodeDelta: (peer, sv) => Y.encodeStateAsUpdateV2(peer.doc, sv),
  applyUpdate: (peer, update) => Y.applyUpdateV2(peer.doc, update),
  onCommit(peer, listener) {
    const handler = (update: Uint8Array): void => listener(update);
    peer.doc.on('updateV2', handler);
    return () => peer.doc.off('updateV2', handler);
  },
});
