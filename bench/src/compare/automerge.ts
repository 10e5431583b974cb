/**
 * Automerge 3 (a map document `{ items: { [key]: { name, n, done } } }`), in
 * two rows: full save/load with incremental saves, and Automerge's sync
 * protocol.
 *
 * @remarks
 * One `Automerge.change()` per commit. Every replica starts from the same
 * genesis document (one change creating `items`, made once with a fixed
 * actor and time): replicas that each created `items` themselves would hold
 * conflicting maps and lose writes. A value becomes a nested Automerge map
 * (the idiomatic way; one object and three fields per write).
 *
 * - `automerge`: the receiver sends its heads (32 bytes each); a receiver
 *   still at genesis gets `save()` (the compressed whole document), any other
 *   `saveSince(doc, heads)`; the receiver `load`s the former (a fresh replica
 *   takes the whole document) and `loadIncremental`s the latter. Live:
 *   `getLastLocalChange()` after each change, `applyChanges()` on the other side.
 * - `automerge-sync`: `generateSyncMessage` / `receiveSyncMessage` in both
 *   directions until neither side has anything to say, with fresh sync states
 *   for each connection (a reconnect, as for every other contestant); live:
 *   the same loop after each change, on sync states kept for the link.
 */
import * as Automerge from '@automerge/automerge';
import { countingLink, type Adapter, type BenchPeer, type Item, type LiveLink } from './adapter.ts';
import { codecAdapter } from './codec-adapter.ts';
import type { Meter } from './meter.ts';

type Shape = { items: Record<string, Item> };

interface AutomergePeer extends BenchPeer {
  doc: Automerge.Doc<Shape>;
  readonly actor: string;
  readonly afterCommit: Array<() => void>;
}

const version = '3.5.0';
let genesis: { bytes: Uint8Array; head: string } | undefined;

function genesisDoc(): { bytes: Uint8Array; head: string } {
  if (genesis === undefined) {
    const doc = Automerge.change(Automerge.init<Shape>({ actor: '00' }), { time: 0 }, (d) => {
      d.items = {};
    });
    genesis = { bytes: Automerge.save(doc), head: Automerge.getHeads(doc)[0]! };
  }
  return genesis;
}

function createAutomergePeer(name: string, index: number): Promise<AutomergePeer> {
  const actor = (index + 1).toString(16).padStart(2, '0').repeat(8);
  let batch: Array<[string, Item]> = [];
  const peer: AutomergePeer = {
    name,
    doc: Automerge.load<Shape>(genesisDoc().bytes, { actor }),
    actor,
    afterCommit: [],
    set(key, value) {
      batch.push([key, value]);
    },
    commit() {
      const writes = batch;
      batch = [];
      peer.doc = Automerge.change(peer.doc, (d) => {
        for (const [key, value] of writes) d.items[key] = { name: value.name, n: value.n, done: value.done };
      });
      for (const hook of peer.afterCommit) hook();
      return Promise.resolve();
    },
    readAll: () => Automerge.toJS(peer.doc).items,
    close: () => Promise.resolve(),
  };
  return Promise.resolve(peer);
}

/** Whether `heads` are those of a replica holding nothing but the genesis document. */
function atGenesis(heads: readonly string[]): boolean {
  return heads.length === 0 || (heads.length === 1 && heads[0] === genesisDoc().head);
}

/** Whether `bytes` start with a document chunk (magic, checksum, then chunk type 0), as `save()` makes. */
function isWholeDocument(bytes: Uint8Array): boolean {
  return bytes.length > 8 && bytes[8] === 0;
}

function encodeHeads(heads: readonly string[]): Uint8Array {
  const out = new Uint8Array(heads.length * 32);
  heads.forEach((head, i) => out.set(Buffer.from(head, 'hex'), i * 32));
  return out;
}

function decodeHeads(bytes: Uint8Array): string[] {
  const heads: string[] = [];
  for (let i = 0; i < bytes.length; i += 32) heads.push(Buffer.from(bytes.subarray(i, i + 32)).toString('hex'));
  return heads;
}

const automergeSaveLoad = codecAdapter<AutomergePeer>({
  id: 'automerge',
  label: `Automerge ${version} (save/load)`,
  family: 'peer',
  notes: 'One change() per commit, values as nested maps, all replicas from one genesis doc. Sync: heads → save() + load() for a receiver at genesis, else saveSince(heads) → loadIncremental. Live: getLastLocalChange() → applyChanges() per change. WASM; its memory shows in `external`.',
  createPeer: createAutomergePeer,
  stateVector: (peer) => encodeHeads(Automerge.getHeads(peer.doc)),
  encodeDelta(peer, remote) {
    const heads = decodeHeads(remote);
    return atGenesis(heads) ? Automerge.save(peer.doc) : Automerge.saveSince(peer.doc, heads);
  },
  applyUpdate(peer, update) {
    // A fresh replica loads the whole document (what an app does on first sync): merging it into
    // the genesis doc with loadIncremental is correct too, but two orders of magnitude slower.
    if (isWholeDocument(update) && atGenesis(Automerge.getHeads(peer.doc))) peer.doc = Automerge.load<Shape>(update, { actor: peer.actor });
    else peer.doc = Automerge.loadIncremental(peer.doc, update);
  },
  onCommit(peer, listener) {
    const hook = (): void => listener(Automerge.getLastLocalChange(peer.doc)!);
    peer.afterCommit.push(hook);
    return () => peer.afterCommit.splice(peer.afterCommit.indexOf(hook), 1);
  },
});

export const automergeAdapter: Adapter<AutomergePeer> = {
  ...automergeSaveLoad,
  // Live, each change travels alone: getLastLocalChange() → applyChanges(), Automerge's way of
  // shipping one change (measured faster here than saveIncremental → loadIncremental).
  openLive(from, to, meter): Promise<LiveLink> {
    let stop: () => void = () => undefined;
    const link = countingLink(() => stop());
    const hook = (): void => {
      const change = Automerge.getLastLocalChange(from.doc)!;
      meter.send('forward', 'data', change.byteLength);
      [to.doc] = Automerge.applyChanges(to.doc, [change]);
      link.applied();
    };
    from.afterCommit.push(hook);
    stop = () => from.afterCommit.splice(from.afterCommit.indexOf(hook), 1);
    return Promise.resolve(link);
  },
};

/** Runs the sync protocol until both sides are quiet; the receiver `to` speaks first. */
function syncLoop(from: AutomergePeer, to: AutomergePeer, states: { from: Automerge.SyncState; to: Automerge.SyncState }, meter: Meter, toFirst: boolean): void {
  let toSpeaks = toFirst;
  let quietTurns = 0;
  while (quietTurns < 2) {
    const speaker = toSpeaks ? to : from;
    const listener = toSpeaks ? from : to;
    const [nextState, message] = meter.time(toSpeaks ? 'receiver' : 'sender', () =>
      Automerge.generateSyncMessage(speaker.doc, toSpeaks ? states.to : states.from),
    );
    if (toSpeaks) states.to = nextState;
    else states.from = nextState;
    if (message === null) {
      quietTurns++;
    } else {
      quietTurns = 0;
      meter.send(toSpeaks ? 'back' : 'forward', toSpeaks ? 'handshake' : 'data', message.byteLength);
      meter.time(toSpeaks ? 'sender' : 'receiver', () => {
        const [doc, state] = Automerge.receiveSyncMessage(listener.doc, toSpeaks ? states.from : states.to, message);
        listener.doc = doc;
        if (toSpeaks) states.from = state;
        else states.to = state;
      });
    }
    toSpeaks = !toSpeaks;
  }
}

export const automergeSyncAdapter: Adapter<AutomergePeer> = {
  id: 'automerge-sync',
  label: `Automerge ${version} (sync protocol)`,
  family: 'peer',
  notes: 'As Automerge save/load, but synced with generateSyncMessage/receiveSyncMessage both ways until quiet, fresh sync states per connection. Live: the same loop after each change on the link\'s sync states. Every message from the receiver counts as handshake.',
  createPeer: createAutomergePeer,
  pull(from, to, meter) {
    syncLoop(from, to, { from: Automerge.initSyncState(), to: Automerge.initSyncState() }, meter, true);
    return Promise.resolve();
  },
  exchange(a, b, meter) {
    // The protocol is symmetric: one conversation brings both sides up to date.
    syncLoop(a, b, { from: Automerge.initSyncState(), to: Automerge.initSyncState() }, meter, true);
    return Promise.resolve();
  },
  openLive(from, to, meter): Promise<LiveLink> {
    const states = { from: Automerge.initSyncState(), to: Automerge.initSyncState() };
    syncLoop(from, to, states, meter, true);
    let stop: () => void = () => undefined;
    const link = countingLink(() => stop());
    const hook = (): void => {
      syncLoop(from, to, states, meter, false);
      link.applied();
    };
    from.afterCommit.push(hook);
    stop = () => from.afterCommit.splice(from.afterCommit.indexOf(hook), 1);
    return Promise.resolve(link);
  },
};
