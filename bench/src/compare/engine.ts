/**
 * Our engine, in two rows: with the in-memory WAL and with the file WAL
 * (`durability: 'fsync'`, a temporary directory per replica).
 *
 * @remarks
 * Real `createSyncEngine` replicas syncing over real sessions on the memory
 * transport (one network per connection, delivering on `setImmediate`: see
 * {@link createImmediateClock}). A commit is a group of `put()`s awaited
 * together (the engine's group commit makes them one WAL append); `put()`
 * resolves once durable. A pull is a fresh connection: both sides say
 * hello, the holder sends what the other lacks, and the pull ends when the
 * receiver's durable version vector covers everything the holder had — so
 * the receiver's WAL appends are inside the time, as are the event-loop
 * turns between messages. Acks and the holder's own hello count as control
 * bytes; the receiver's hello is the handshake. Live: one session stays
 * open; each put is pushed by the engine once durable as its own `ops`
 * message, and counts as applied when the receiver emits its `change`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Operation, VersionVector, Wal } from '@softadastra/sync-core';
import { createSyncEngine, type SyncEngine } from '@softadastra/sync-engine';
import { createMemoryNetwork } from '@softadastra/transport-memory';
import { createFileWal } from '@softadastra/wal-file';
import { createMemoryWal } from '@softadastra/wal-memory';
import type { Adapter, BenchPeer, LiveLink, State } from './adapter.ts';
import { createImmediateClock } from './immediate-clock.ts';
import type { Meter } from './meter.ts';
import { meteredConnection } from './metered-connection.ts';

export interface EnginePeer extends BenchPeer {
  readonly engine: SyncEngine;
  /** Background errors the engine reported (a row with any is marked failed). */
  readonly errors: string[];
}

/** How long a sync may take before the row is marked failed. */
const SYNC_TIMEOUT_MS = 15 * 60 * 1000;

/** Resolves once `done()` holds, checked on every status and ack event and every millisecond. */
function waitFor(engines: readonly SyncEngine[], done: () => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (done()) {
      resolve();
      return;
    }
    const offs: Array<() => void> = [];
    const finish = (error?: Error): void => {
      for (const off of offs) off();
      clearInterval(poll);
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    const check = (): void => {
      if (done()) finish();
    };
    for (const engine of engines) offs.push(engine.on('status', check), engine.on('ack', check));
    const poll = setInterval(check, 1);
    const timer = setTimeout(() => finish(new Error(`timed out after ${SYNC_TIMEOUT_MS} ms waiting for ${what}`)), SYNC_TIMEOUT_MS);
  });
}

/** Connects two replicas over a fresh memory link; `from` is metered as the sender. */
function link(from: EnginePeer, to: EnginePeer, meter: Meter): () => void {
  const network = createMemoryNetwork({ clock: createImmediateClock() });
  const [atFrom, atTo] = network.connect(from.name, to.name);
  const sessions = [from.engine.connect(meteredConnection(atFrom, meter, 'sender')), to.engine.connect(meteredConnection(atTo, meter, 'receiver'))];
  return () => {
    for (const session of sessions) session.close();
  };
}

const covers = (engine: SyncEngine, target: VersionVector) => (): boolean => engine.versionVector().dominates(target);

function engineAdapter(options: { id: string; label: string; notes: string; wal: () => { wal: Wal; cleanup: () => void } }): Adapter<EnginePeer> {
  return {
    id: options.id,
    label: options.label,
    family: 'ours',
    notes: options.notes,
    async createPeer(name) {
      const { wal, cleanup } = options.wal();
      const errors: string[] = [];
      const engine = await createSyncEngine({ wal, peerId: name, space: 'bench', onError: (error) => errors.push(`${error.code}: ${error.message}`) });
      let pending: Array<Promise<Operation>> = [];
      return {
        name,
        engine,
        errors,
        set(key, value) {
          pending.push(engine.put('items', key, value));
        },
        async commit() {
          const writes = pending;
          pending = [];
          await Promise.all(writes);
        },
        readAll: () => Object.fromEntries(engine.entries('items')) as State,
        async close() {
          await engine.close();
          cleanup();
        },
      };
    },
    async pull(from, to, meter) {
      const target = from.engine.versionVector();
      const close = link(from, to, meter);
      try {
        await waitFor([from.engine, to.engine], covers(to.engine, target), `${to.name} to hold what ${from.name} holds`);
      } finally {
        close();
      }
    },
    async exchange(a, b, meter) {
      const [aHas, bHas] = [a.engine.versionVector(), b.engine.versionVector()];
      const close = link(a, b, meter);
      try {
        const bothCovered = (): boolean => covers(a.engine, bHas)() && covers(b.engine, aHas)();
        await waitFor([a.engine, b.engine], bothCovered, `${a.name} and ${b.name} to converge`);
      } finally {
        close();
      }
    },
    async openLive(from, to, meter): Promise<LiveLink> {
      const close = link(from, to, meter);
      await waitFor([from.engine, to.engine], () => from.engine.status === 'synced' && to.engine.status === 'synced', 'the live session to open');
      let applied = 0;
      let waiter: { count: number; resolve: () => void } | undefined;
      const off = to.engine.on('change', (changes) => {
        for (const change of changes) if (change.source === 'remote') applied++;
        if (waiter !== undefined && applied >= waiter.count) {
          const { resolve } = waiter;
          waiter = undefined;
          resolve();
        }
      });
      return {
        whenApplied: (count) =>
          applied >= count
            ? Promise.resolve()
            : new Promise<void>((resolve) => {
                waiter = { count, resolve };
              }),
        close() {
          off();
          close();
          return Promise.resolve();
        },
      };
    },
  };
}

export const engineMemoryAdapter = engineAdapter({
  id: 'engine-memory',
  label: 'Softadastra engine (memory WAL)',
  notes: 'createSyncEngine + createMemoryWal (default compaction) over createMemoryNetwork with a setImmediate clock; real sessions (hello/ops/covered/ack), bytes metered on each Connection.send. The memory WAL keeps the log (a simulated disk) in the heap.',
  wal: () => ({ wal: createMemoryWal(), cleanup: () => undefined }),
});

export const engineFileAdapter = engineAdapter({
  id: 'engine-file',
  label: 'Softadastra engine (file WAL, fsync)',
  notes: 'As the memory row, with createFileWal({ durability: \'fsync\' }) in a temporary directory per replica: every commit and every received batch is fdatasynced before it resolves, is sent, or is acked.',
  wal: () => {
    const dir = mkdtempSync(join(tmpdir(), 'softadastra-compare-'));
    return { wal: createFileWal({ dir, durability: 'fsync' }), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  },
});
