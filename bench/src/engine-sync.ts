/**
 * Engine benchmark (issue 3): applying 100,000 remote operations, bytes per
 * operation on the wire, and a full sync of 100,000 operations to a fresh peer
 * over the memory transport. Run: `pnpm --filter @softadastra/bench engine`.
 */
import { VersionVector, decodeMessage, encodeMessage, wrapConnection, type Operation } from '@softadastra/sync-core';
import { applyBatch } from '@softadastra/sync-applier';
import { ReplicaState } from '@softadastra/sync-reconciler';
import { createSyncEngine } from '@softadastra/sync-engine';
import { createMemoryNetwork } from '@softadastra/transport-memory';
import { createMemoryWal } from '@softadastra/wal-memory';

const OPS = Number(process.env['BENCH_OPS'] ?? 100_000);
const KEYS = Math.max(1, Math.floor(OPS / 10));


function makeOps(origin: string, count: number): Operation[] {
  const ops: Operation[] = [];
  const start = 1_700_000_000_000;
  for (let i = 0; i < count; i++) {
    ops.push({
      origin,
      seq: i + 1,
      hlc: { wall: start + Math.floor(i / 16), counter: i % 16, peer: origin },
      collection: 'items',
      key: `item-${i % KEYS}`,
      kind: 'put',
      value: { name: `item ${i}`, n: i, done: i % 3 === 0 },
    });
  }
  return ops;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function applyRemote(): void {
  const ops = makeOps('remote', OPS);
  // Decode from the wire first, as a peer would receive them.
  const batches: Operation[][] = [];
  for (let i = 0; i < ops.length; i += 1000) {
    const message = decodeMessage(encodeMessage({ type: 'ops', epoch: 1, n: 1, ops: ops.slice(i, i + 1000) }));
    if (message.type === 'ops') batches.push([...message.ops]);
  }
  const times: number[] = [];
  for (let run = 0; run < 5; run++) {
    const target = { store: new ReplicaState(), seen: new VersionVector() };
    const started = performance.now();
    for (const batch of batches) applyBatch(target, batch);
    times.push(performance.now() - started);
  }
  const ms = median(times);
  console.log(`apply ${OPS} remote ops (applier: validate, dedupe, merge): ${ms.toFixed(1)} ms, ${Math.round(OPS / (ms / 1000)).toLocaleString('en')} ops/s`);
}

async function syncFresh(keys: number): Promise<void> {
  const times: number[] = [];
  let bytesPerOp = 0;
  let winners = 0;
  for (let run = 0; run < 3; run++) {
    const a = await createSyncEngine({ wal: createMemoryWal(), peerId: 'writer', compaction: false });
    for (let i = 0; i < OPS; i += 1000) {
      await Promise.all(Array.from({ length: Math.min(1000, OPS - i) }, (_, j) => a.put('items', `item-${(i + j) % keys}`, { name: `item ${i + j}`, n: i + j, done: (i + j) % 3 === 0 })));
    }
    const b = await createSyncEngine({ wal: createMemoryWal(), peerId: 'fresh', compaction: false });
    const network = createMemoryNetwork();
    const [rawToB, toA] = network.connect('a', 'b');
    let wireBytes = 0;
    const toB = wrapConnection(rawToB, {
      send(bytes, forward) {
        forward(bytes);
        wireBytes += bytes.length;
      },
    });
    const started = performance.now();
    a.connect(toB);
    b.connect(toA);
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (b.versionVector().equals(a.versionVector()) && b.digest().root === a.digest().root) resolve();
        else setTimeout(check, 1);
      };
      check();
    });
    times.push(performance.now() - started);
    winners = b.entries('items').length;
    bytesPerOp = wireBytes / winners;
    await a.close();
    await b.close();
  }
  const ms = median(times);
  console.log(`sync ${OPS} ops (${winners} winning keys) to a fresh peer over the memory transport: ${ms.toFixed(1)} ms`);
  console.log(`  bytes on the wire per op sent: ${bytesPerOp.toFixed(1)} (small JSON objects; ${keys} keys)`);
}

applyRemote();
await syncFresh(OPS);
await syncFresh(KEYS);
