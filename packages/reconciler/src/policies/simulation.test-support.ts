/**
 * Test support (not exported): random, causally valid, shrinkable histories
 * of several peers writing one key concurrently with partial knowledge, and
 * the laws every policy must satisfy on them.
 */
import fc from 'fast-check';
import { compareHlc, type Hlc, type PeerId } from '@softadastra/sync-core';
import { describe, expect, it } from 'vitest';
import type { MergePolicy, PolicyOperation } from './policy.js';

export const PEERS: readonly PeerId[] = ['a', 'b', 'c'];

/** One write of a history, with what its writer had seen (ids `origin:seq`, not itself). */
export interface SimEvent<P> {
  readonly op: PolicyOperation<P>;
  readonly seenAtWrite: ReadonlySet<string>;
  /** Whatever the reference model needs to know about the write (a counter's delta, say). */
  readonly meta: unknown;
}

/** A policy under simulation: how a peer makes a write, and the plain reference model. */
export interface SimPolicy<P, S, V> {
  readonly policy: MergePolicy<P, S, V>;
  /** The payload a peer with `state` writes for the random `choice`. */
  write(state: S, origin: PeerId, choice: number): { readonly value: P; readonly meta?: unknown };
  /** The value the events a peer has seen give, computed the naive way. */
  reference(events: readonly SimEvent<P>[]): V;
  /** Turns a value into something `toEqual` compares the intended way. */
  normalize?(value: V): unknown;
}

export type Command =
  | { readonly type: 'write'; readonly peer: number; readonly choice: number; readonly wall: number; readonly gap: number }
  | { readonly type: 'sync'; readonly from: number; readonly to: number; readonly mode: 'essential' | 'log' };

export const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    arbitrary: fc.record({
      type: fc.constant('write' as const),
      peer: fc.integer({ min: 0, max: PEERS.length - 1 }),
      choice: fc.nat(1000),
      wall: fc.integer({ min: 0, max: 6 }),
      // Seqs an origin spends on other keys: a key's seqs from one origin are sparse.
      gap: fc.integer({ min: 0, max: 2 }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      type: fc.constant('sync' as const),
      from: fc.integer({ min: 0, max: PEERS.length - 1 }),
      to: fc.integer({ min: 0, max: PEERS.length - 1 }),
      // 'essential': what a planner sends; 'log': every op the sender ever received, superseded ones too.
      mode: fc.constantFrom('essential' as const, 'log' as const),
    }),
    weight: 2,
  },
);

export const historyArb = (maxLength = 30): fc.Arbitrary<Command[]> => fc.array(commandArb, { maxLength, size: 'max' });

interface Peer<P, S> {
  state: S;
  /** Every op whose effect this peer has (causally closed: a write's context is what it had seen). */
  seen: Set<string>;
  /** Every op this peer received or wrote (what a log replay would send). */
  log: Map<string, PolicyOperation<P>>;
  maxHlc: Hlc | undefined;
  seq: number;
}

export interface SimResult<P, S> {
  readonly events: readonly SimEvent<P>[];
  readonly peers: readonly { readonly state: S; readonly seen: ReadonlySet<string> }[];
}

export const idOf = (op: { readonly origin: string; readonly seq: number }): string => `${op.origin}:${op.seq}`;

function tick(max: Hlc | undefined, wall: number, peer: PeerId): Hlc {
  if (max === undefined || wall > max.wall) return { wall, counter: 0, peer };
  return { wall: max.wall, counter: max.counter + 1, peer };
}

/** Runs `commands` on peers that write through `sim` and sync by its policy's merge. */
export function simulate<P, S, V>(sim: SimPolicy<P, S, V>, commands: readonly Command[]): SimResult<P, S> {
  const { policy } = sim;
  const peers: Peer<P, S>[] = PEERS.map(() => ({ state: policy.empty(), seen: new Set(), log: new Map(), maxHlc: undefined, seq: 0 }));
  const events: SimEvent<P>[] = [];
  for (const command of commands) {
    if (command.type === 'write') {
      const peer = peers[command.peer]!;
      const origin = PEERS[command.peer]!;
      peer.seq += 1 + command.gap;
      const { value: payload, meta } = sim.write(peer.state, origin, command.choice);
      const hlc = tick(peer.maxHlc, command.wall, origin);
      const op: PolicyOperation<P> = { origin, seq: peer.seq, hlc, collection: 'c', key: 'k', value: payload };
      events.push({ op, seenAtWrite: new Set(peer.seen), meta });
      peer.state = policy.apply(peer.state, op);
      peer.seen.add(idOf(op));
      peer.log.set(idOf(op), op);
      peer.maxHlc = hlc;
      continue;
    }
    if (command.from === command.to) continue;
    const from = peers[command.from]!;
    const to = peers[command.to]!;
    const sent = command.mode === 'essential' ? policy.essential(from.state) : [...from.log.values()];
    for (const op of sent) {
      to.state = policy.apply(to.state, op);
      to.log.set(idOf(op), op);
    }
    for (const id of from.seen) to.seen.add(id);
    if (from.maxHlc !== undefined && (to.maxHlc === undefined || compareHlc(from.maxHlc, to.maxHlc) > 0)) to.maxHlc = from.maxHlc;
  }
  return { events, peers: peers.map(({ state, seen }) => ({ state, seen })) };
}

export function stateOf<P, S, V>(policy: MergePolicy<P, S, V>, ops: readonly PolicyOperation<P>[]): S {
  let state = policy.empty();
  for (const op of ops) state = policy.apply(state, op);
  return state;
}

/** Registers the lattice laws, the model comparison and the essential-set checks for a policy. */
export function describeLaws<P, S, V>(sim: SimPolicy<P, S, V>, numRuns = 100): void {
  const { policy } = sim;
  const norm = (value: V): unknown => (sim.normalize === undefined ? value : sim.normalize(value));
  const expectSame = (a: S, b: S): void => {
    if (!policy.equals(a, b)) expect.fail(`states differ:\n${JSON.stringify(a)}\n${JSON.stringify(b)}`);
    expect(norm(policy.value(a))).toEqual(norm(policy.value(b)));
  };
  const ops = (result: SimResult<P, S>): PolicyOperation<P>[] => result.events.map((event) => event.op);
  /** Three sub-histories of a history: each op goes to the ones its mask names. */
  const parts = (all: readonly PolicyOperation<P>[], mask: (i: number) => number): [S, S, S] => {
    const pick = (bit: number): S => stateOf(policy, all.filter((_, i) => (mask(i) & bit) !== 0));
    return [pick(1), pick(2), pick(4)];
  };

  describe(`${policy.name} policy laws`, () => {
    it('gives every peer the value the reference model gives for what it has seen', () => {
      fc.assert(
        fc.property(historyArb(), (commands) => {
          const result = simulate(sim, commands);
          for (const peer of result.peers) {
            const visible = result.events.filter((event) => peer.seen.has(idOf(event.op)));
            expect(norm(policy.value(peer.state))).toEqual(norm(sim.reference(visible)));
          }
        }),
        { numRuns },
      );
    });

    it('reaches one state from any order of a history, with duplicates', () => {
      fc.assert(
        fc.property(historyArb(), fc.func(fc.integer()), fc.nat(10), (commands, key, duplicates) => {
          const all = ops(simulate(sim, commands));
          const shuffled = [...all, ...all.slice(0, duplicates)]
            .map((op, i) => ({ op, k: key(i) }))
            .sort((x, y) => x.k - y.k)
            .map((entry) => entry.op);
          expectSame(stateOf(policy, shuffled), stateOf(policy, all));
          // Applying an op the state already holds changes nothing.
          const state = stateOf(policy, all);
          for (const op of all) expectSame(policy.apply(state, op), state);
        }),
        { numRuns },
      );
    });

    it('merges commutatively, associatively and idempotently', () => {
      fc.assert(
        fc.property(historyArb(), fc.func(fc.nat(7)), (commands, mask) => {
          const [x, y, z] = parts(ops(simulate(sim, commands)), mask);
          expectSame(policy.merge(x, y), policy.merge(y, x));
          expectSame(policy.merge(policy.merge(x, y), z), policy.merge(x, policy.merge(y, z)));
          expectSame(policy.merge(x, x), x);
          expectSame(policy.merge(x, policy.empty()), x);
        }),
        { numRuns },
      );
    });

    it('gives the state of a history as the merge of the states of sub-histories covering it', () => {
      fc.assert(
        fc.property(historyArb(), fc.func(fc.nat(7)), (commands, mask) => {
          const result = simulate(sim, commands);
          const all = ops(result);
          // Masks with no bit set fall to the first part, so the three cover the history.
          const [x, y, z] = parts(all, (i) => mask(i) || 1);
          expectSame(policy.merge(policy.merge(x, y), z), stateOf(policy, all));
          // The peers' states (built by essential and log syncs) cover it too.
          const peersMerged = result.peers.reduce((acc, peer) => policy.merge(acc, peer.state), policy.empty());
          expectSame(peersMerged, stateOf(policy, all));
        }),
        { numRuns },
      );
    });

    it('rebuilds a state from its essential ops alone, and none of them can be left out', () => {
      fc.assert(
        fc.property(historyArb(), fc.func(fc.nat(7)), (commands, mask) => {
          const all = ops(simulate(sim, commands));
          const [state, other] = parts(all, mask);
          const essential = policy.essential(state);
          const rebuilt = stateOf(policy, essential);
          expectSame(rebuilt, state);
          expectSame(policy.merge(rebuilt, other), policy.merge(state, other));
          for (let i = 0; i < essential.length; i++) {
            expect(policy.equals(stateOf(policy, essential.filter((_, j) => j !== i)), state)).toBe(false);
          }
        }),
        { numRuns },
      );
    });
  });
}

/** The last-writer-wins order of the reference models: HLC, then origin, then seq. */
export function lwwGreater(a: PolicyOperation<unknown>, b: PolicyOperation<unknown>): boolean {
  const byClock = compareHlc(a.hlc, b.hlc);
  if (byClock !== 0) return byClock > 0;
  if (a.origin !== b.origin) return a.origin > b.origin;
  return a.seq > b.seq;
}

/** Orders by `(origin, seq)`. */
export function byId(a: { readonly origin: string; readonly seq: number }, b: { readonly origin: string; readonly seq: number }): number {
  return a.origin !== b.origin ? (a.origin < b.origin ? -1 : 1) : a.seq - b.seq;
}
