/**
 * W3 concurrent: 3 replicas each write `ops` sets offline on the same `keys`
 * keys, then sync pairwise (A↔B, B↔C, A↔C, again if needed) until they hold
 * the same state. Measures the sync time and bytes (writes reported apart).
 */
import type { Adapter, BenchPeer } from './adapter.ts';
import { Meter } from './meter.ts';
import { compareStates } from './same-state.ts';
import { itemStream } from './seeded-items.ts';
import { assertNoErrors, expectedState, seedOf, writeSets, type WorkloadParams } from './workload.ts';

const PEERS = 3;
const PAIRS: ReadonlyArray<readonly [number, number]> = [
  [0, 1],
  [1, 2],
  [0, 2],
];
const MAX_ROUNDS = 3;

export async function runConcurrent(adapter: Adapter, params: WorkloadParams): Promise<Record<string, number>> {
  const peers: BenchPeer[] = [];
  try {
    for (let i = 0; i < PEERS; i++) peers.push(await adapter.createPeer(String.fromCharCode(97 + i), i));
    let writeMs = 0;
    for (let i = 0; i < PEERS; i++) writeMs += await writeSets(peers[i]!, itemStream(seedOf(i), params.keys), params.ops, params.batch);
    const meter = new Meter();
    let syncMs = 0;
    let rounds = 0;
    let problem: string | undefined = 'not synced';
    while (problem !== undefined && rounds < MAX_ROUNDS) {
      rounds++;
      const started = performance.now();
      for (const [x, y] of PAIRS) await adapter.exchange(peers[x]!, peers[y]!, meter);
      syncMs += performance.now() - started;
      problem = convergence(peers, params);
    }
    assertNoErrors(peers);
    if (problem !== undefined) throw new Error(`not converged after ${MAX_ROUNDS} rounds: ${problem}`);
    return { writeMs, syncMs, bytes: meter.totalBytes, rounds, messages: meter.messages };
  } finally {
    for (const peer of peers) await peer.close();
  }
}

/** `undefined` once every replica holds the same state over every key written. */
function convergence(peers: readonly BenchPeer[], params: WorkloadParams): string | undefined {
  const first = peers[0]!.readAll();
  const keys = new Set<string>();
  for (let i = 0; i < peers.length; i++) for (const key of Object.keys(expectedState(seedOf(i), params.keys, params.ops))) keys.add(key);
  if (Object.keys(first).length !== keys.size) return `${peers[0]!.name} holds ${Object.keys(first).length} keys, ${keys.size} were written`;
  for (const peer of peers.slice(1)) {
    const problem = compareStates(peer.readAll(), first);
    if (problem !== undefined) return `${peer.name} differs from ${peers[0]!.name}: ${problem}`;
  }
  return undefined;
}
