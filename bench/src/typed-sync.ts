/**
 * Issue 15, "sync stays O(difference)": what a newcomer is sent for a counter
 * and a set, as the number of increments (or of adds and removes of the same
 * members) grows — through real engines and sessions over the memory
 * transport, bytes counted on the wire. Run:
 * `pnpm --filter @softadastra/bench typed-sync` (prints a markdown table).
 */
import { wrapConnection } from '@softadastra/sync-core';
import { createSyncEngine, type SyncEngine } from '@softadastra/sync-engine';
import { counterIncrement, setAdd, setRemove, type CounterState, type SetState } from '@softadastra/sync-reconciler';
import { createMemoryNetwork } from '@softadastra/transport-memory';
import { createMemoryWal } from '@softadastra/wal-memory';

const WRITERS = 4;
const COUNTERS = 10;
const MEMBERS = 20;

async function open(peerId: string): Promise<SyncEngine> {
  return createSyncEngine({ wal: createMemoryWal(), peerId, compaction: false, collections: { votes: 'counter', tags: 'set' } });
}

/** Syncs a fresh peer from `source`; returns the bytes and operations `source` sent it. */
async function newcomerBytes(source: SyncEngine): Promise<{ bytes: number; ops: number }> {
  const fresh = await open('newcomer');
  const [rawToFresh, toSource] = createMemoryNetwork().connect('source', 'newcomer');
  let bytes = 0;
  const toFresh = wrapConnection(rawToFresh, {
    send(message, forward) {
      bytes += message.length;
      forward(message);
    },
  });
  let ops = 0;
  fresh.on('change', (changes) => (ops += changes.length));
  source.connect(toFresh);
  fresh.connect(toSource);
  await new Promise<void>((resolve) => {
    const check = (): void => (fresh.versionVector().equals(source.versionVector()) && fresh.digest().root === source.digest().root ? resolve() : void setTimeout(check, 1));
    check();
  });
  await fresh.close();
  return { bytes, ops };
}

/** `WRITERS` peers each increment `COUNTERS` counters `rounds` times, all merged into the first. */
async function counters(rounds: number): Promise<{ writes: number; bytes: number; ops: number; value: number }> {
  const writers = await Promise.all(Array.from({ length: WRITERS }, (_, i) => open(`w${i}`)));
  for (const writer of writers) {
    for (let r = 0; r < rounds; r++) {
      for (let c = 0; c < COUNTERS; c++) void writer.update('votes', `c${c}`, 'counter', (state, origin) => counterIncrement(state as CounterState, origin, 1) as never);
    }
    await writer.flush();
  }
  const hub = writers[0]!;
  const network = createMemoryNetwork();
  for (const writer of writers.slice(1)) {
    const [a, b] = network.connect(hub.peerId, writer.peerId);
    hub.connect(a);
    writer.connect(b);
  }
  const total = WRITERS * rounds;
  await new Promise<void>((resolve) => {
    const check = (): void => (hub.get('votes', 'c0') === total ? resolve() : void setTimeout(check, 1));
    check();
  });
  const sent = await newcomerBytes(hub);
  const value = hub.get('votes', 'c0') as number;
  for (const writer of writers) await writer.close();
  return { writes: WRITERS * rounds * COUNTERS, ...sent, value };
}

/** One peer adds and removes the same `MEMBERS` members `rounds` times, then adds them all once more. */
async function sets(rounds: number): Promise<{ writes: number; bytes: number; ops: number; members: number }> {
  const peer = await open('w0');
  let writes = 0;
  for (let r = 0; r < rounds; r++) {
    for (let m = 0; m < MEMBERS; m++) {
      await peer.update('tags', 'post', 'set', () => setAdd(`m${m}`));
      await peer.update('tags', 'post', 'set', (state) => setRemove(state as SetState, `m${m}`));
      writes += 2;
    }
  }
  for (let m = 0; m < MEMBERS; m++) await peer.update('tags', 'post', 'set', () => setAdd(`m${m}`));
  writes += MEMBERS;
  const sent = await newcomerBytes(peer);
  const members = (peer.get('tags', 'post') as unknown[]).length;
  await peer.close();
  return { writes, ...sent, members };
}

const lines = [
  `What a newcomer is sent (bytes on the wire from the peer that holds everything) after more and more writes: ${WRITERS} writers × ${COUNTERS} counters; one set key whose ${MEMBERS} members are added and removed again and again.`,
  '',
  '| collection | writes made | value | bytes to a newcomer | changes it applies |',
  '|---|---:|---:|---:|---:|',
];
for (const rounds of [1, 10, 100, 1000]) {
  const r = await counters(rounds);
  lines.push(`| counter | ${r.writes.toLocaleString('en')} | ${r.value} | ${r.bytes.toLocaleString('en')} | ${r.ops} |`);
}
for (const rounds of [1, 10, 100]) {
  const r = await sets(rounds);
  lines.push(`| set | ${r.writes.toLocaleString('en')} | ${r.members} members | ${r.bytes.toLocaleString('en')} | ${r.ops} |`);
}
console.log(lines.join('\n'));
