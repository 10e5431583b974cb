/**
 * W1 bulk: `ops` sets over `keys` keys on A (committed every `batch`), then a
 * full sync to a fresh B. Measures write time, sync time (and the sender's and
 * receiver's shares), bytes on the wire, and the memory A and B retain.
 */
import type { Adapter } from './adapter.ts';
import { Meter } from './meter.ts';
import { compareStates } from './same-state.ts';
import { itemStream } from './seeded-items.ts';
import { assertNoErrors, expectedState, seedOf, settledMemory, writeSets, type WorkloadParams } from './workload.ts';

export async function runBulk(adapter: Adapter, params: WorkloadParams): Promise<Record<string, number>> {
  const before = settledMemory();
  const a = await adapter.createPeer('a', 0);
  const b = await adapter.createPeer('b', 1);
  try {
    const writeMs = await writeSets(a, itemStream(seedOf(0), params.keys), params.ops, params.batch);
    const meter = new Meter();
    const started = performance.now();
    await adapter.pull(a, b, meter);
    const syncMs = performance.now() - started;
    verify();
    const memoryMB = (settledMemory() - before) / 2 ** 20;
    return {
      writeMs,
      syncMs,
      totalMs: writeMs + syncMs,
      encodeMs: meter.senderMs,
      applyMs: meter.receiverMs,
      bytes: meter.totalBytes,
      handshakeBytes: meter.handshakeBytes,
      memoryMB,
    };
  } finally {
    await a.close();
    await b.close();
  }

  function verify(): void {
    assertNoErrors([a, b]);
    const expected = expectedState(seedOf(0), params.keys, params.ops);
    const problemA = compareStates(a.readAll(), expected);
    if (problemA !== undefined) throw new Error(`A does not hold what it wrote: ${problemA}`);
    const problemB = compareStates(b.readAll(), expected);
    if (problemB !== undefined) throw new Error(`B differs from A after the sync: ${problemB}`);
  }
}
