/**
 * Ours through the engine's data path: what `SyncEngine` does with typed
 * operations between its API and its WAL/sessions, driven synchronously —
 * the reconciler's `ReplicaState` (typed keys held per policy, their
 * essential operations indexed by origin), the applier's `applyBatch`
 * (validation, policy payload checks, dedupe, merge) and core's binary batch
 * codec (format version 2, typed operations) for messages.
 *
 * @remarks
 * Not measured here: the WAL append of every write and the session protocol
 * (hello, covered, acks) — the engine's own costs, the same as for LWW
 * collections in W1–W5 (bench/RESULTS.md). A write is stamped as
 * `engine.update()` stamps it: the payload from the key's current state
 * (`counterIncrement`, `setAdd`, `setRemove`), then merged into the store.
 */
import { VersionVector, decodeOperations, encodeOperations, type JsonValue, type Operation, type OperationType } from '@softadastra/sync-core';
import { applyBatch } from '@softadastra/sync-applier';
import { ReplicaState, counterIncrement, counterPolicy, setAdd, setPolicy, setRemove, type CounterState, type SetState } from '@softadastra/sync-reconciler';
import type { Contestant, CounterPeer, Message, SetPeer } from './contestant.ts';

class WirePeer {
  readonly store = new ReplicaState();
  readonly seen = new VersionVector();
  private seq = 0;

  constructor(
    readonly origin: string,
    private readonly type: OperationType,
    private readonly collection: string,
  ) {}

  state(key: string): unknown {
    return this.store.getTyped(this.type, this.collection, key)?.state;
  }

  write(key: string, payload: (state: unknown) => JsonValue): void {
    this.seq++;
    const empty = this.type === 'counter' ? counterPolicy.empty() : setPolicy.empty();
    const op: Operation = {
      origin: this.origin,
      seq: this.seq,
      hlc: { wall: 1_700_000_000_000 + this.seq, counter: 0, peer: this.origin },
      collection: this.collection,
      key,
      kind: 'put',
      type: this.type,
      value: payload(this.state(key) ?? empty),
    };
    this.seen.add(op);
    this.store.merge(op);
  }

  /** What a planner sends a peer that has nothing: every held operation, as one binary batch. */
  encode(): Uint8Array {
    return encodeOperations([...this.store.winners()]);
  }

  receive(message: Message): void {
    if (typeof message === 'string') throw new Error('wire: expected a binary batch');
    const report = applyBatch({ store: this.store, seen: this.seen }, decodeOperations(message));
    if (report.rejected.length > 0) throw report.rejected[0]!.error;
  }
}

function counterPeer(index: number, counters: number): CounterPeer {
  const peer = new WirePeer(`peer${index}`, 'counter', 'counters');
  return {
    increment(counter) {
      peer.write(`c${counter}`, (state) => counterIncrement(state as CounterState, peer.origin, 1) as unknown as JsonValue);
    },
    encode: () => peer.encode(),
    receive: (message) => peer.receive(message),
    values: () =>
      Array.from({ length: counters }, (_, i) => {
        const state = peer.state(`c${i}`);
        return state === undefined ? 0 : counterPolicy.value(state as CounterState);
      }),
    close: () => undefined,
  };
}

function setPeer(index: number): SetPeer {
  const peer = new WirePeer(`peer${index}`, 'set', 'sets');
  return {
    add: (value) => peer.write('s', () => setAdd(value)),
    remove: (value) => peer.write('s', (state) => setRemove(state as SetState, value)),
    encode: () => peer.encode(),
    receive: (message) => peer.receive(message),
    values: () => {
      const state = peer.state('s');
      return state === undefined ? [] : (setPolicy.value(state as SetState) as string[]).slice().sort();
    },
    close: () => undefined,
  };
}

export const oursWire: Contestant = {
  id: 'ours-wire',
  label: "Softadastra engine data path (store, applier, binary codec; no WAL, no sessions)",
  family: 'ours',
  notes: {
    w6: 'The engine\'s data path for typed operations, synchronously: a write is stamped as `engine.update()` stamps it (`counterIncrement` on the key\'s state in the reconciler\'s `ReplicaState`) and merged; a message is the binary batch (core codec, format 2) of every held operation — one per origin per counter; a receiver decodes it and runs the applier\'s `applyBatch` (validation, the counter policy\'s payload check, dedupe, merge op by op into its store). No WAL append, no session.',
    w7: 'As for W6 with the set policy on one key: `setAdd` / `setRemove(state, value)`, merged op by op with the incremental `apply`; a message is the binary batch of the live adds and the removes held.',
  },
  counterPeer,
  setPeer,
};
