/**
 * W6 (counters) and W7 (sets): seeded offline writes on every peer, then one
 * all-to-all round (every peer receives every other peer's message), checked
 * against a reference computed plainly from the same seeded writes.
 */
import { seededRandom } from '../compare/seeded-items.ts';
import { byteSize, type Contestant, type Message } from './contestant.ts';

export type WorkloadId = 'w6' | 'w7';

export interface W6Params {
  readonly peers: number;
  /** Increments per peer. */
  readonly increments: number;
  readonly counters: number;
}

export interface W7Params {
  readonly peers: number;
  /** Adds per peer. */
  readonly adds: number;
  /** Removes per peer. */
  readonly removes: number;
}

const seedOf = (workload: WorkloadId, peer: number): number => (workload === 'w6' ? 6000 : 7000) + peer;

/** Which counter each of peer `peer`'s increments hits. */
function* counterStream(peer: number, params: W6Params): Generator<number> {
  const random = seededRandom(seedOf('w6', peer));
  for (let i = 0; i < params.increments; i++) yield Math.floor(random() * params.counters);
}

/** Every counter's expected total: the increments counted plainly. */
export function expectedCounters(params: W6Params): number[] {
  const totals = new Array<number>(params.counters).fill(0);
  for (let peer = 0; peer < params.peers; peer++) for (const counter of counterStream(peer, params)) totals[counter] = (totals[counter] ?? 0) + 1;
  return totals;
}

/**
 * Peer `peer`'s set writes: `adds` adds and `removes` removes, interleaved at
 * random. Half of the adds draw from a pool shared by all peers (the same
 * value added concurrently by several peers), half from the peer's own pool;
 * a remove takes a value of the peer's own pool that it holds.
 *
 * @remarks
 * Only the peer that owns a value ever removes it, and no other peer adds
 * it, so there is no add/remove conflict: every library's set semantics
 * (add-wins OR-set, last-writer-wins map keys) gives the same contents, and
 * one plain reference checks them all. The add-wins case is the policy's
 * property tests' business, not this benchmark's.
 */
function* setStream(peer: number, params: W7Params): Generator<{ action: 'add' | 'remove'; value: string }> {
  const random = seededRandom(seedOf('w7', peer));
  const shared = Math.max(1, Math.round(params.adds * params.peers * 0.3));
  const own = Math.max(1, Math.round(params.adds * 1.5));
  const held: string[] = [];
  const heldIndex = new Map<string, number>();
  let adds = params.adds;
  let removes = params.removes;
  while (adds + removes > 0) {
    const wantRemove = random() * (adds + removes) < removes;
    if (wantRemove && held.length > 0) {
      removes--;
      const at = Math.floor(random() * held.length);
      const value = held[at]!;
      const last = held.pop()!;
      if (last !== value) {
        held[at] = last;
        heldIndex.set(last, at);
      }
      heldIndex.delete(value);
      yield { action: 'remove', value };
      continue;
    }
    if (adds === 0) throw new Error(`w7: peer ${peer} has nothing left to remove`);
    adds--;
    if (random() < 0.5) {
      yield { action: 'add', value: `s${Math.floor(random() * shared)}` };
    } else {
      const value = `p${peer}-${Math.floor(random() * own)}`;
      if (!heldIndex.has(value)) {
        heldIndex.set(value, held.length);
        held.push(value);
      }
      yield { action: 'add', value };
    }
  }
}

/** The expected members: each peer's writes played on a plain `Set`, then the union. */
export function expectedSet(params: W7Params): string[] {
  const union = new Set<string>();
  for (let peer = 0; peer < params.peers; peer++) {
    const local = new Set<string>();
    for (const write of setStream(peer, params)) {
      if (write.action === 'add') local.add(write.value);
      else local.delete(write.value);
    }
    for (const value of local) union.add(value);
  }
  return [...union].sort();
}

/** Two full collections (the child runs with `--expose-gc`). */
function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run node with --expose-gc');
  gc();
  gc();
}

/** Heap plus external memory (WASM linear memory) after two full collections. */
function settledMemory(): number {
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

interface Peer {
  encode(): Message;
  receive(message: Message): void;
  close(): void;
}

/** Times the all-to-all round: every peer encodes once, then every peer receives every other peer's message. */
function converge(peers: readonly Peer[]): { encodeMs: number; applyMs: number; bytes: number; messages: number } {
  let started = performance.now();
  const messages = peers.map((peer) => peer.encode());
  const encodeMs = performance.now() - started;
  let bytes = 0;
  let count = 0;
  started = performance.now();
  for (let to = 0; to < peers.length; to++) {
    for (let from = 0; from < peers.length; from++) {
      if (from === to) continue;
      peers[to]!.receive(messages[from]!);
      bytes += byteSize(messages[from]!);
      count++;
    }
  }
  return { encodeMs, applyMs: performance.now() - started, bytes, messages: count };
}

function firstDifference<T>(actual: readonly T[], expected: readonly T[]): string | undefined {
  if (actual.length !== expected.length) return `${actual.length} entries instead of ${expected.length}`;
  for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) return `entry ${i}: ${String(actual[i])} instead of ${String(expected[i])}`;
  return undefined;
}

/** W6: `peers` × `increments` on `counters` counters, then converge. */
export function runW6(contestant: Contestant, params: W6Params): Record<string, number> {
  const expected = expectedCounters(params);
  if (expected.reduce((a, b) => a + b, 0) !== params.peers * params.increments) throw new Error('w6: reference total is off');
  const before = settledMemory();
  const peers = Array.from({ length: params.peers }, (_, i) => contestant.counterPeer(i, params.counters));
  let started = performance.now();
  for (let i = 0; i < peers.length; i++) for (const counter of counterStream(i, params)) peers[i]!.increment(counter);
  const writeMs = performance.now() - started;
  collectGarbage();
  started = performance.now();
  const round = converge(peers);
  const convergeMs = performance.now() - started;
  for (let i = 0; i < peers.length; i++) {
    const problem = firstDifference(peers[i]!.values(), expected);
    if (problem !== undefined) throw new Error(`w6: peer ${i} did not converge to the expected totals: ${problem}`);
  }
  const memory = settledMemory() - before;
  for (const peer of peers) peer.close();
  return { writeMs, convergeMs, encodeMs: round.encodeMs, applyMs: round.applyMs, bytes: round.bytes, messages: round.messages, memoryMB: memory / 2 ** 20, total: expected.reduce((a, b) => a + b, 0) };
}

/** W7: `peers` × (`adds` adds + `removes` removes) on one set, then converge. */
export function runW7(contestant: Contestant, params: W7Params): Record<string, number> {
  const expected = expectedSet(params);
  const before = settledMemory();
  const peers = Array.from({ length: params.peers }, (_, i) => contestant.setPeer(i));
  let started = performance.now();
  for (let i = 0; i < peers.length; i++) {
    const peer = peers[i]!;
    for (const write of setStream(i, params)) {
      if (write.action === 'add') peer.add(write.value);
      else peer.remove(write.value);
    }
  }
  const writeMs = performance.now() - started;
  collectGarbage();
  started = performance.now();
  const round = converge(peers);
  const convergeMs = performance.now() - started;
  for (let i = 0; i < peers.length; i++) {
    const problem = firstDifference(peers[i]!.values(), expected);
    if (problem !== undefined) throw new Error(`w7: peer ${i} does not hold the expected members: ${problem}`);
  }
  const memory = settledMemory() - before;
  for (const peer of peers) peer.close();
  return { writeMs, convergeMs, encodeMs: round.encodeMs, applyMs: round.applyMs, bytes: round.bytes, messages: round.messages, memoryMB: memory / 2 ** 20, members: expected.length };
}
