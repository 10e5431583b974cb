/**
 * WAL storage benchmark: durable appends per second for 1, 16 and 256
 * concurrent writers, bytes on disk per op, replay speed on open, and
 * compaction time — for @softadastra/wal-file, @softadastra/wal-sqlite and, as the baseline, raw
 * better-sqlite3 with one INSERT per op (WAL mode, synchronous=FULL, batched
 * in transactions). Prints a markdown table, one column per subject.
 *
 * Run: `pnpm --filter @softadastra/bench wal`
 * (BENCH_OPS scales the replay set, default 1,000,000; BENCH_MS the time per
 * append measurement, default 2000).
 *
 * To add a column (e.g. the file WAL), add an entry to SUBJECTS: `walSubject`
 * wraps any core `Wal` factory.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { VersionVector, type JsonValue, type Operation, type Wal } from '@softadastra/sync-core';
import { createFileWal } from '@softadastra/wal-file';
import { createSqliteWal } from '@softadastra/wal-sqlite';

const REPLAY_OPS = Number(process.env['BENCH_OPS'] ?? 1_000_000);
const APPEND_MS = Number(process.env['BENCH_MS'] ?? 2000);
const WRITERS = [1, 16, 256] as const;
/** Distinct keys written: the compaction keeps one winner per key. */
const KEYS = Math.max(1, Math.floor(REPLAY_OPS / 10));
/** Ops per record in the second replay set, as the engine's group commits produce. */
const GROUPED = 100;

/** One storage under test, seen through what the benchmark needs. */
interface BenchStore {
  /** Appends one op durably (resolves once durable). */
  append(op: Operation): Promise<void>;
  /** Appends a record of many ops durably. */
  appendMany(ops: readonly Operation[]): Promise<void>;
  /** Replaces everything by these winners. */
  compact(winners: readonly Operation[]): Promise<void>;
  close(): Promise<void>;
}

/** A column of the table. */
interface BenchSubject {
  readonly name: string;
  /** Whether a record of many ops is a unit of its own (false: rows per op, the grouped replay is the same). */
  readonly records: boolean;
  /** Opens the store in `dir` and replays it; returns the store and how many ops it replayed. */
  open(dir: string): Promise<{ store: BenchStore; replayed: number }>;
}

/** A column for any core `Wal` adapter. */
function walSubject(name: string, create: (dir: string) => Wal): BenchSubject {
  return {
    name,
    records: true,
    async open(dir) {
      const wal = create(dir);
      const recovery = await wal.open();
      let replayed = recovery.snapshot?.ops.length ?? 0;
      for await (const record of recovery.records) replayed += record.ops.length;
      let vv = new VersionVector();
      return {
        replayed,
        store: {
          append: (op) => wal.append({ ops: [op] }),
          appendMany: (ops) => wal.append({ ops }),
          compact: (winners) => {
            vv = new VersionVector();
            for (const op of winners) vv.add(op);
            return wal.compact({ ops: winners, vv, meta: { peerId: 'bench' } });
          },
          close: () => wal.close(),
        },
      };
    },
  };
}

/** The baseline: raw better-sqlite3, one row per op, batched like a group commit. */
const rawSqlite: BenchSubject = {
  name: 'raw better-sqlite3 (row per op)',
  records: false,
  open(dir) {
    const db = new Database(join(dir, 'raw.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(
      'CREATE TABLE IF NOT EXISTS ops (origin TEXT NOT NULL, seq INTEGER NOT NULL, wall INTEGER NOT NULL, counter INTEGER NOT NULL, ' +
        'collection TEXT NOT NULL, key TEXT NOT NULL, kind INTEGER NOT NULL, value TEXT, PRIMARY KEY (origin, seq)) WITHOUT ROWID',
    );
    const insert = db.prepare('INSERT INTO ops VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const insertOp = (op: Operation): void => {
      insert.run(op.origin, op.seq, op.hlc.wall, op.hlc.counter, op.collection, op.key, op.kind === 'put' ? 1 : 0, op.kind === 'put' ? JSON.stringify(op.value) : null);
    };
    const replayed: Operation[] = [];
    for (const row of db.prepare('SELECT origin, seq, wall, counter, collection, key, kind, value FROM ops').raw(true).iterate() as IterableIterator<
      [string, number, number, number, string, string, number, string | null]
    >) {
      const [origin, seq, wall, counter, collection, key, kind, value] = row;
      const hlc = { wall, counter, peer: origin };
      replayed.push(
        kind === 1 ? { origin, seq, hlc, collection, key, kind: 'put', value: JSON.parse(value!) as JsonValue } : { origin, seq, hlc, collection, key, kind: 'del' },
      );
    }
    // Group commit as the WAL does it: everything queued in one tick is one transaction.
    let queue: Array<{ ops: readonly Operation[]; resolve: () => void }> = [];
    const commit = db.transaction((batch: typeof queue) => {
      for (const entry of batch) for (const op of entry.ops) insertOp(op);
    });
    const enqueue = (ops: readonly Operation[]): Promise<void> =>
      new Promise((resolve) => {
        if (queue.length === 0) {
          queueMicrotask(() => {
            const batch = queue;
            queue = [];
            commit(batch);
            for (const entry of batch) entry.resolve();
          });
        }
        queue.push({ ops, resolve });
      });
    return Promise.resolve({
      replayed: replayed.length,
      store: {
        append: (op) => enqueue([op]),
        appendMany: (ops) => enqueue(ops),
        compact: (winners) => {
          db.transaction(() => {
            db.exec('DELETE FROM ops');
            for (const op of winners) insertOp(op);
          })();
          db.pragma('wal_checkpoint(TRUNCATE)');
          return Promise.resolve();
        },
        close: () => {
          db.close();
          return Promise.resolve();
        },
      },
    });
  },
};

const SUBJECTS: readonly BenchSubject[] = [
  walSubject('@softadastra/wal-file', (dir) => createFileWal({ dir })),
  walSubject('@softadastra/wal-sqlite', (dir) => createSqliteWal({ path: join(dir, 'space.db') })),
  rawSqlite,
];

function makeOp(i: number): Operation {
  const origin = 'bench';
  return {
    origin,
    seq: i + 1,
    hlc: { wall: 1_700_000_000_000 + Math.floor(i / 16), counter: i % 16, peer: origin },
    collection: 'items',
    key: `item-${i % KEYS}`,
    kind: 'put',
    value: { name: `item ${i}`, n: i, done: i % 3 === 0 },
  };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'softadastra-bench-wal-'));
}

function bytesIn(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) total += statSync(join(dir, name)).size;
  return total;
}

/** Appends single-op records from `writers` concurrent loops for APPEND_MS; returns appends per second. */
async function appendRate(subject: BenchSubject, writers: number): Promise<number> {
  const dir = tempDir();
  try {
    const { store } = await subject.open(dir);
    let next = 0;
    const deadline = performance.now() + APPEND_MS;
    const started = performance.now();
    const writer = async (): Promise<void> => {
      while (performance.now() < deadline) await store.append(makeOp(next++));
    };
    await Promise.all(Array.from({ length: writers }, writer));
    const seconds = (performance.now() - started) / 1000;
    await store.close();
    return next / seconds;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface ReplayResult {
  readonly bytesPerOp: number;
  readonly replayOpsPerSecond: number;
  readonly compactMs: number;
  readonly bytesAfterCompaction: number;
}

/** Writes REPLAY_OPS ops (`perRecord` per record, 256 writers), then measures size, replay and compaction. */
async function replaySet(subject: BenchSubject, perRecord: number): Promise<ReplayResult> {
  const dir = tempDir();
  try {
    const { store } = await subject.open(dir);
    let next = 0;
    const writer = async (): Promise<void> => {
      while (next < REPLAY_OPS) {
        const start = next;
        next = Math.min(REPLAY_OPS, next + perRecord);
        if (perRecord === 1) await store.append(makeOp(start));
        else await store.appendMany(Array.from({ length: next - start }, (_, j) => makeOp(start + j)));
      }
    };
    await Promise.all(Array.from({ length: 256 }, writer));
    await store.close();
    const bytesPerOp = bytesIn(dir) / REPLAY_OPS;

    const started = performance.now();
    const reopened = await subject.open(dir);
    const replayMs = performance.now() - started;
    if (reopened.replayed !== REPLAY_OPS) throw new Error(`${subject.name} replayed ${reopened.replayed} ops, expected ${REPLAY_OPS}`);

    const winners = new Map<string, Operation>();
    for (let i = 0; i < REPLAY_OPS; i++) {
      const op = makeOp(i);
      winners.set(op.key, op);
    }
    const compactStarted = performance.now();
    await reopened.store.compact([...winners.values()]);
    const compactMs = performance.now() - compactStarted;
    await reopened.store.close();
    return { bytesPerOp, replayOpsPerSecond: REPLAY_OPS / (replayMs / 1000), compactMs, bytesAfterCompaction: bytesIn(dir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const int = (n: number): string => Math.round(n).toLocaleString('en');
const rows: Array<[string, ...string[]]> = [];
const results = new Map<BenchSubject, { rates: number[]; single: ReplayResult; grouped: ReplayResult | undefined }>();

for (const subject of SUBJECTS) {
  const rates: number[] = [];
  for (const writers of WRITERS) rates.push(await appendRate(subject, writers));
  const single = await replaySet(subject, 1);
  const grouped = subject.records ? await replaySet(subject, GROUPED) : undefined;
  results.set(subject, { rates, single, grouped });
  process.stderr.write(`done: ${subject.name}\n`);
}

const column = (pick: (r: NonNullable<ReturnType<typeof results.get>>) => string): string[] => SUBJECTS.map((subject) => pick(results.get(subject)!));
WRITERS.forEach((writers, i) => rows.push([`durable appends/s, ${writers} writer${writers === 1 ? '' : 's'} (single-op records)`, ...column((r) => int(r.rates[i]!))]));
rows.push([`bytes on disk per op (${int(REPLAY_OPS)} ops, single-op records)`, ...column((r) => r.single.bytesPerOp.toFixed(1))]);
rows.push([`bytes on disk per op (${int(REPLAY_OPS)} ops, ${GROUPED}-op records)`, ...column((r) => (r.grouped ? r.grouped.bytesPerOp.toFixed(1) : '—'))]);
rows.push([`replay on open, ops/s (${int(REPLAY_OPS)} ops, single-op records)`, ...column((r) => int(r.single.replayOpsPerSecond))]);
rows.push([`replay on open, ops/s (${int(REPLAY_OPS)} ops, ${GROUPED}-op records)`, ...column((r) => (r.grouped ? int(r.grouped.replayOpsPerSecond) : '—'))]);
rows.push([`compaction to ${int(KEYS)} winners, ms (from ${int(REPLAY_OPS)} single-op records)`, ...column((r) => int(r.single.compactMs))]);
rows.push([`bytes on disk after compaction`, ...column((r) => int(r.single.bytesAfterCompaction))]);

console.log(`| metric | ${SUBJECTS.map((subject) => subject.name).join(' | ')} |`);
console.log(`|---|${SUBJECTS.map(() => '---:').join('|')}|`);
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
console.log(`\nNode ${process.version}, ${APPEND_MS} ms per append measurement, synchronous=FULL everywhere.`);
