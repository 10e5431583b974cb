/**
 * Builds an {@link Adapter} for contestants whose sync is "send me what I
 * lack": the receiver sends its state (a state vector, heads, a version
 * vector), the sender answers with one update, the receiver applies it.
 * Yjs, Automerge's save/load, Loro and both floors work this way.
 */
import { countingLink, pullBothWays, type Adapter, type AdapterFamily, type BenchPeer, type LiveLink } from './adapter.ts';
import type { Meter } from './meter.ts';

/** What a one-round-trip contestant must provide. */
export interface CodecSpec<P extends BenchPeer> {
  readonly id: string;
  readonly label: string;
  readonly family: AdapterFamily;
  readonly notes: string;
  createPeer(name: string, index: number): Promise<P>;
  /** The handshake: what `peer` sends to ask for what it lacks. */
  stateVector(peer: P): Uint8Array;
  /** Everything `peer` holds that a replica whose handshake was `remoteState` lacks. */
  encodeDelta(peer: P, remoteState: Uint8Array): Uint8Array;
  /** Applies an update made by `encodeDelta` or sent live. */
  applyUpdate(peer: P, update: Uint8Array): void;
  /**
   * Calls `listener` with the update of each later commit of `peer`, as the
   * contestant's live protocol would send it. Returns a function that stops.
   */
  onCommit(peer: P, listener: (update: Uint8Array) => void): () => void;
}

export function codecAdapter<P extends BenchPeer>(spec: CodecSpec<P>): Adapter<P> {
  const adapter: Adapter<P> = {
    id: spec.id,
    label: spec.label,
    family: spec.family,
    notes: spec.notes,
    createPeer: (name, index) => spec.createPeer(name, index),
    pull(from: P, to: P, meter: Meter): Promise<void> {
      const handshake = meter.time('receiver', () => spec.stateVector(to));
      meter.send('back', 'handshake', handshake.byteLength);
      const update = meter.time('sender', () => spec.encodeDelta(from, handshake));
      meter.send('forward', 'data', update.byteLength);
      meter.time('receiver', () => spec.applyUpdate(to, update));
      return Promise.resolve();
    },
    exchange: (a, b, meter) => pullBothWays(adapter, a, b, meter),
    openLive(from: P, to: P, meter: Meter): Promise<LiveLink> {
      let stop: () => void = () => undefined;
      const link = countingLink(() => stop());
      stop = spec.onCommit(from, (update) => {
        meter.send('forward', 'data', update.byteLength);
        spec.applyUpdate(to, update);
        link.applied();
      });
      return Promise.resolve(link);
    },
  };
  return adapter;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 bytes of a JSON text, as a WebSocket would carry it. */
export function jsonBytes(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** The value of {@link jsonBytes}' output. */
export function fromJsonBytes<T>(bytes: Uint8Array): T {
  return JSON.parse(decoder.decode(bytes)) as T;
}
