/**
 * Ours: the merge-policy core of `@softadastra/sync-reconciler`
 * (`counterPolicy`, `setPolicy`) driven directly, with JSON messages — the
 * merge semantics alone (`wire.ts` is the engine's binary data path).
 *
 * @remarks
 * A peer keeps one policy state per key. A write builds its payload with
 * `counterIncrement` / `setAdd` / `setRemove`, wraps it in an op (origin,
 * seq, a deterministic HLC, collection, key) and `apply`s it. Its message is
 * the `essential` ops of all its keys as JSON text (a stand-in: the wire
 * format for policy ops is not designed yet). A receiver parses the text,
 * checks every payload with the policy's `validatePayload`, and either
 * builds the state of each key's received ops (one-op states merged pairwise
 * in a balanced tree) and `merge`s that into its own (`ours`), or `apply`s
 * them one by one to its own state (`ours-apply`).
 */
import {
  counterIncrement,
  counterPolicy,
  setAdd,
  setPolicy,
  setRemove,
  type CounterPayload,
  type CounterState,
  type MergePolicy,
  type PolicyOperation,
  type SetPayload,
  type SetState,
} from '@softadastra/sync-reconciler';
import type { Contestant, CounterPeer, Message, SetPeer } from './contestant.ts';

type Receive = 'merge' | 'apply';

/** Per-key policy states of one peer, with its op ids. */
class PolicyPeer<P, S, V> {
  readonly states = new Map<string, S>();
  private seq = 0;

  constructor(
    readonly origin: string,
    private readonly policy: MergePolicy<P, S, V>,
    private readonly collection: string,
    private readonly receiveMode: Receive,
  ) {}

  state(key: string): S {
    return this.states.get(key) ?? this.policy.empty();
  }

  write(key: string, value: P): void {
    this.seq++;
    const op: PolicyOperation<P> = { origin: this.origin, seq: this.seq, hlc: { wall: this.seq, counter: 0, peer: this.origin }, collection: this.collection, key, value };
    this.states.set(key, this.policy.apply(this.state(key), op));
  }

  encode(): string {
    const ops: PolicyOperation<P>[] = [];
    for (const state of this.states.values()) ops.push(...this.policy.essential(state));
    return JSON.stringify(ops);
  }

  receive(message: Message): void {
    if (typeof message !== 'string') throw new Error('ours: expected JSON text');
    const ops = JSON.parse(message) as Array<PolicyOperation<unknown>>;
    const byKey = new Map<string, PolicyOperation<P>[]>();
    for (const op of ops) {
      const checked = this.policy.validatePayload(op.value);
      if (!checked.ok) throw checked.error;
      const list = byKey.get(op.key);
      const valid = { ...op, value: checked.value };
      if (list === undefined) byKey.set(op.key, [valid]);
      else list.push(valid);
    }
    for (const [key, list] of byKey) {
      if (this.receiveMode === 'merge') {
        this.states.set(key, this.policy.merge(this.state(key), this.stateOf(list)));
      } else {
        this.states.set(key, list.reduce((state, op) => this.policy.apply(state, op), this.state(key)));
      }
    }
  }

  /**
   * The state of `ops` alone, by merging their one-op states pairwise in a
   * balanced tree: O(n log n) merges' worth of work where folding with
   * `apply` (which rebuilds the state every time) would be O(n²).
   */
  private stateOf(ops: readonly PolicyOperation<P>[]): S {
    let level = ops.map((op) => this.policy.apply(this.policy.empty(), op));
    if (level.length === 0) return this.policy.empty();
    while (level.length > 1) {
      const next: S[] = [];
      for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? this.policy.merge(level[i]!, level[i + 1]!) : level[i]!);
      level = next;
    }
    return level[0]!;
  }

  value(key: string): V {
    return this.policy.value(this.state(key));
  }
}

function counterPeer(index: number, counters: number, mode: Receive): CounterPeer {
  const peer = new PolicyPeer<CounterPayload, CounterState, number>(`peer${index}`, counterPolicy, 'counters', mode);
  return {
    increment(counter) {
      const key = `c${counter}`;
      peer.write(key, counterIncrement(peer.state(key), peer.origin, 1));
    },
    encode: () => peer.encode(),
    receive: (message) => peer.receive(message),
    values: () => Array.from({ length: counters }, (_, i) => peer.value(`c${i}`)),
    close: () => undefined,
  };
}

function setPeer(index: number, mode: Receive): SetPeer {
  const peer = new PolicyPeer<SetPayload, SetState, unknown[]>(`peer${index}`, setPolicy, 'sets', mode);
  return {
    add: (value) => peer.write('s', setAdd(value)),
    remove: (value) => peer.write('s', setRemove(peer.state('s'), value)),
    encode: () => peer.encode(),
    receive: (message) => peer.receive(message),
    values: () => (peer.value('s') as string[]).slice().sort(),
    close: () => undefined,
  };
}

const common =
  'Softadastra policy core (reconciler): per-key policy states, one op per write, message = JSON of every key\'s `essential` ops (the merge semantics alone; `ours-wire` is the binary wire path), receiver runs `validatePayload` on every op.';

export const oursMerge: Contestant = {
  id: 'ours',
  label: 'Softadastra policy core (reconciler, JSON messages)',
  family: 'ours',
  notes: {
    w6: `${common} \`counterPolicy\`: a write is \`counterIncrement(state, origin, 1)\` (the origin's running total), \`essential\` = one op per origin per counter. Receive: per key, the message's ops as one state (one-op states merged pairwise in a balanced tree), then \`merge\`d into the peer's.`,
    w7: `${common} \`setPolicy\` (add-wins OR-set), the whole set is one key: \`setAdd(value)\` / \`setRemove(state, value)\`, \`essential\` = live adds + the removes still held. Receive: the message's ops as one state (one-op states merged pairwise in a balanced tree), then \`merge\`d into the peer's.`,
  },
  counterPeer: (index, counters) => counterPeer(index, counters, 'merge'),
  setPeer: (index) => setPeer(index, 'merge'),
};

export const oursApply: Contestant = {
  id: 'ours-apply',
  label: 'Softadastra policy core, receiving op by op (`apply` into the peer\'s state)',
  family: 'ours',
  notes: {
    w6: 'As the row above, but a receiver `apply`s each received op to its own state.',
    w7: 'As the row above, but a receiver `apply`s each received op to its own (already large) state: the incremental `apply`, O(state) array work per op.',
  },
  counterPeer: (index, counters) => counterPeer(index, counters, 'apply'),
  setPeer: (index) => setPeer(index, 'apply'),
};
