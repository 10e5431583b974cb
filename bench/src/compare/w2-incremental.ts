/**
 * W2 incremental: after a history of `ops` sets synced to B (as W1, not
 * measured), `delta` more sets on A, then a sync of only what B lacks, over a
 * new connection. Measures its time, bytes, and the handshake (what B sends to
 * say what it has).
 */
import type { Adapter } from './adapter.ts';
import { Meter } from './meter.ts';
import { compareStates } from './same-state.ts';
import { itemStream } from './seeded-items.ts';
import { assertNoErrors, expectedState, seedOf, settle, writeSets, type WorkloadParams } from './workload.ts';

export async function runIncremental(adapter: Adapter, params: WorkloadParams): Promise<Record<string, number>> {
  const a = await adapter.createPeer('a', 0);
  const b = await adapter.createPeer('b', 1);
  try {
    const stream = itemStream(seedOf(0), params.keys);
    await writeSets(a, stream, params.ops, params.batch);
    await adapter.pull(a, b, new Meter());
    await settle();
    const writeMs = await writeSets(a, stream, params.delta, params.batch);
    const meter = new Meter();
    const started = performance.now();
    await adapter.pull(a, b, meter);
    const syncMs = performance.now() - started;
    assertNoErrors([a, b]);
    const expected = expectedState(seedOf(0), params.keys, params.ops + params.delta);
    const problemA = compareStates(a.readAll(), expected);
    if (problemA !== undefined) throw new Error(`A does not hold what it wrote: ${problemA}`);
    const problemB = compareStates(b.readAll(), expected);
    if (problemB !== undefined) throw new Error(`B differs from A after the delta sync: ${problemB}`);
    return {
      writeMs,
      syncMs,
      encodeMs: meter.senderMs,
      applyMs: meter.receiverMs,
      bytes: meter.totalBytes,
      handshakeBytes: meter.handshakeBytes,
      messages: meter.messages,
    };
  } finally {
    await a.close();
    await b.close();
  }
}
