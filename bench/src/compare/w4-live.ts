/**
 * W4 live: over one open link, `ops` sets on A, each committed, sent and
 * applied on B on its own before the next (one set per message, for every
 * contestant). Measures µs per set and bytes per set each way.
 */
import type { Adapter } from './adapter.ts';
import { Meter } from './meter.ts';
import { compareStates } from './same-state.ts';
import { itemStream } from './seeded-items.ts';
import { assertNoErrors, expectedState, seedOf, type WorkloadParams } from './workload.ts';

export async function runLive(adapter: Adapter, params: WorkloadParams): Promise<Record<string, number>> {
  const a = await adapter.createPeer('a', 0);
  const b = await adapter.createPeer('b', 1);
  try {
    const meter = new Meter();
    const link = await adapter.openLive(a, b, meter);
    meter.reset();
    const stream = itemStream(seedOf(0), params.keys);
    const started = performance.now();
    for (let i = 1; i <= params.ops; i++) {
      const [key, value] = stream.next();
      a.set(key, value);
      await a.commit();
      await link.whenApplied(i);
    }
    const elapsed = performance.now() - started;
    await link.close();
    assertNoErrors([a, b]);
    const expected = expectedState(seedOf(0), params.keys, params.ops);
    const problemA = compareStates(a.readAll(), expected);
    if (problemA !== undefined) throw new Error(`A does not hold what it wrote: ${problemA}`);
    const problemB = compareStates(b.readAll(), expected);
    if (problemB !== undefined) throw new Error(`B differs from A after the live sets: ${problemB}`);
    return {
      usPerSet: (elapsed * 1000) / params.ops,
      bytesPerSet: meter.forwardBytes / params.ops,
      backBytesPerSet: meter.backBytes / params.ops,
    };
  } finally {
    await a.close();
    await b.close();
  }
}
