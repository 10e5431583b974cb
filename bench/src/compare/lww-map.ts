/**
 * Floor 2: the cost of the semantics without any engine — a minimal
 * last-writer-wins map with version vectors, written by hand.
 *
 * @remarks
 * Each write gets `(origin, seq)` and a Lamport clock; the winner of a key is
 * the greater `(clock, origin)`. A replica's version vector is the highest
 * seq seen per origin. To sync, the receiver sends its vector; the sender
 * sends every winner whose seq is above the receiver's entry for its origin,
 * plus its own vector, which the receiver joins into its own: a superseded
 * write need not be sent, because the receiver got the winner that beat it.
 * JSON on the wire, no validation, no durability, no acknowledgements.
 */
import type { BenchPeer, Item, State } from './adapter.ts';
import { codecAdapter, fromJsonBytes, jsonBytes } from './codec-adapter.ts';

/** A winner: `[origin, seq, clock, value]`. */
type Entry = [origin: string, seq: number, clock: number, value: Item];
/** An update: `[vector, [key, origin, seq, clock, value][]]`. */
type Update = [Record<string, number>, Array<[string, ...Entry]>];

interface LwwPeer extends BenchPeer {
  readonly entries: Map<string, Entry>;
  readonly vv: Map<string, number>;
  clock: number;
  seq: number;
  readonly batch: Array<[string, ...Entry]>;
  readonly listeners: Array<(update: Uint8Array) => void>;
}

function wins(incoming: Entry, current: Entry | undefined): boolean {
  return current === undefined || incoming[2] > current[2] || (incoming[2] === current[2] && incoming[0] > current[0]);
}

function vector(peer: LwwPeer): Record<string, number> {
  return Object.fromEntries(peer.vv);
}

export const lwwMapAdapter = codecAdapter<LwwPeer>({
  id: 'floor-lww',
  label: 'floor: hand-written LWW map + version vectors',
  family: 'floor',
  notes: 'Lamport clock + (origin, seq) per write, winner = greatest (clock, origin); handshake = the receiver\'s version vector as JSON; delta = winners above it + the sender\'s vector. Live: the commit\'s entries + vector. No validation, no durability, no acks.',
  createPeer(name) {
    const peer: LwwPeer = {
      name,
      entries: new Map(),
      vv: new Map(),
      clock: 0,
      seq: 0,
      batch: [],
      listeners: [],
      set(key, value) {
        const entry: Entry = [name, ++peer.seq, ++peer.clock, value];
        peer.entries.set(key, entry);
        peer.vv.set(name, peer.seq);
        if (peer.listeners.length > 0) peer.batch.push([key, ...entry]);
      },
      commit() {
        if (peer.batch.length > 0) {
          const update = jsonBytes([vector(peer), peer.batch] satisfies Update);
          peer.batch.length = 0;
          for (const listener of peer.listeners) listener(update);
        }
        return Promise.resolve();
      },
      readAll() {
        const out: State = {};
        for (const [key, entry] of peer.entries) out[key] = entry[3];
        return out;
      },
      close: () => Promise.resolve(),
    };
    return Promise.resolve(peer);
  },
  stateVector: (peer) => jsonBytes(vector(peer)),
  encodeDelta(peer, remoteState) {
    const remote = fromJsonBytes<Record<string, number>>(remoteState);
    const out: Update[1] = [];
    for (const [key, entry] of peer.entries) if (entry[1] > (remote[entry[0]] ?? 0)) out.push([key, ...entry]);
    return jsonBytes([vector(peer), out] satisfies Update);
  },
  applyUpdate(peer, bytes) {
    const [vv, entries] = fromJsonBytes<Update>(bytes);
    for (const [key, origin, seq, clock, value] of entries) {
      const entry: Entry = [origin, seq, clock, value];
      if (wins(entry, peer.entries.get(key))) peer.entries.set(key, entry);
      if (clock > peer.clock) peer.clock = clock;
    }
    for (const [origin, seq] of Object.entries(vv)) if (seq > (peer.vv.get(origin) ?? 0)) peer.vv.set(origin, seq);
  },
  onCommit(peer, listener) {
    peer.listeners.push(listener);
    return () => peer.listeners.splice(peer.listeners.indexOf(listener), 1);
  },
});
