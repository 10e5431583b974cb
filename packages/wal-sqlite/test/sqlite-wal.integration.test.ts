import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { once } from 'node:events';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VersionVector } from '@softadastra/sync-core';
import { createSyncEngine } from '@softadastra/sync-engine';
import { createSqliteWal, type SqliteWalOptions } from '../src/index.js';
import { sqliteWalLevers } from '../src/sqlite-wal.js';
import { put, record, recordsOf, rejection, seqsOf, tempDir } from './helpers.js';

let temp: ReturnType<typeof tempDir>;
let path: string;

beforeEach(() => {
  temp = tempDir();
  path = temp.path();
});

afterEach(() => {
  temp.remove();
});

function wal(options: Partial<SqliteWalOptions> = {}): ReturnType<typeof createSqliteWal> {
  return createSqliteWal({ path, busyTimeoutMs: 50, ...options });
}

/** Creates a WAL at `path` holding records 1..n, closed. */
async function seed(n: number): Promise<void> {
  const w = wal();
  await w.open();
  for (let seq = 1; seq <= n; seq++) await w.append(record(seq));
  await w.close();
}

function size(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

describe('locking: one writer per database', () => {
  it('refuses to open with E_WAL_LOCKED while another connection holds an exclusive transaction, and opens once it lets go', async () => {
    await seed(2);
    const other = new Database(path);
    other.exec('BEGIN EXCLUSIVE');
    const error = await rejection(wal().open(), 'E_WAL_LOCKED');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/50 ms/);
    other.exec('ROLLBACK');
    other.close();
    const w = wal();
    expect(seqsOf(await recordsOf(await w.open()))).toEqual([1, 2]);
    await w.close();
  });

  it('holds the database exclusively while open: another connection cannot even read it', async () => {
    const w = wal();
    await w.open();
    await w.append(record(1));
    const other = new Database(path, { timeout: 20 });
    expect(() => other.prepare('SELECT count(*) FROM wal_commits').get()).toThrow(/locked/);
    other.close();
    await w.close();
    const after = new Database(path, { readonly: true });
    expect(after.prepare('SELECT count(*) AS n FROM wal_commits').get()).toEqual({ n: 1 });
    after.close();
  });

  it('refuses a second handle on the same file in this process at once, and accepts it after close()', async () => {
    const first = wal({ busyTimeoutMs: 5000 });
    await first.open();
    const started = Date.now();
    const error = await rejection(wal({ busyTimeoutMs: 5000 }).open(), 'E_WAL_LOCKED');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error.message).toMatch(/another handle in this process/);
    await first.close();
    const second = wal();
    await second.open();
    await second.close();
  });

  it('is refused while another process holds the database, and opens once that process is killed', async () => {
    await seed(1);
    const require = createRequire(import.meta.url);
    const script = `
      const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
      const db = new Database(${JSON.stringify(path)});
      db.exec('BEGIN EXCLUSIVE');
      process.stdout.write('HELD\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
      expect(chunk.toString()).toBe('HELD\n');
      await rejection(wal().open(), 'E_WAL_LOCKED');
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    // The OS released the dead process's lock; its transaction never committed.
    const w = wal();
    expect(seqsOf(await recordsOf(await w.open()))).toEqual([1]);
    await w.close();
  });
});

describe('files that are not a WAL', () => {
  it('refuses a database of another application with E_INVALID_ARGUMENT and leaves it untouched', async () => {
    const other = new Database(path);
    other.exec("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ada')");
    other.close();
    const before = readFileSync(path);
    const error = await rejection(wal().open(), 'E_INVALID_ARGUMENT');
    expect(error.message).toMatch(/another application.*users/);
    expect(readFileSync(path).equals(before)).toBe(true);
    const check = new Database(path);
    expect(check.pragma('journal_mode', { simple: true })).toBe('delete');
    check.close();
  });

  it('refuses an empty database that carries another application id', async () => {
    const other = new Database(path);
    other.pragma('application_id = 1234');
    other.close();
    await rejection(wal().open(), 'E_INVALID_ARGUMENT');
  });

  it('refuses a WAL of a newer format with E_INVALID_ARGUMENT, asking for an upgrade', async () => {
    await seed(1);
    const raw = new Database(path);
    raw.pragma('user_version = 2');
    raw.close();
    const error = await rejection(wal().open(), 'E_INVALID_ARGUMENT');
    expect(error.message).toMatch(/format 2.*upgrade @softadastra\/wal-sqlite/);
  });

  it('refuses a WAL that lost one of its tables with E_WAL_CORRUPT', async () => {
    await seed(1);
    const raw = new Database(path);
    raw.exec('DROP TABLE wal_snapshot');
    raw.close();
    const error = await rejection(wal().open(), 'E_WAL_CORRUPT');
    expect(error.message).toMatch(/lacks the table wal_snapshot/);
  });

  it('refuses a file that is not a SQLite database with E_WAL_CORRUPT naming the path', async () => {
    writeFileSync(path, Buffer.alloc(8192, 'not a database '));
    const error = await rejection(wal().open(), 'E_WAL_CORRUPT');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/SQLITE_NOTADB/);
  });

  it('fails with E_WAL_FAILED, saying why, when the directory does not exist', async () => {
    const error = await rejection(createSqliteWal({ path: temp.path('missing/dir/space.db') }).open(), 'E_WAL_FAILED');
    expect(error.message).toMatch(/directory/);
  });
});

describe('synchronous levels', () => {
  it.each([
    ['full', 2],
    ['normal', 1],
  ] as const)("runs with synchronous '%s' (SQLite level %i), a WAL journal, an exclusive lock and incremental vacuum", async (level, pragma) => {
    const w = wal({ synchronous: level });
    await w.open();
    const levers = sqliteWalLevers(w);
    expect(levers.readPragma('synchronous')).toBe(pragma);
    expect(levers.readPragma('journal_mode')).toBe('wal');
    expect(levers.readPragma('locking_mode')).toBe('exclusive');
    expect(levers.readPragma('auto_vacuum')).toBe(2);
    expect(levers.readPragma('busy_timeout')).toBe(50);
    await w.append(record(1));
    await w.close();
    const again = wal({ synchronous: level });
    expect(seqsOf(await recordsOf(await again.open()))).toEqual([1]);
    await again.close();
  });
});

describe('group commit', () => {
  const FRAME = 4096 + 24;

  it('commits appends issued in the same tick as one transaction: the log grows by a few pages, not one per append', async () => {
    const w = wal();
    await w.open();
    const before = size(`${path}-wal`);
    await Promise.all(Array.from({ length: 200 }, (_, i) => w.append(record(i + 1))));
    const grouped = (size(`${path}-wal`) - before) / FRAME;
    expect(grouped).toBeLessThan(12);
    const middle = size(`${path}-wal`);
    for (let i = 201; i <= 220; i++) await w.append(record(i));
    const oneByOne = (size(`${path}-wal`) - middle) / FRAME;
    expect(oneByOne).toBeGreaterThanOrEqual(20);
    await w.close();
    const again = wal();
    expect(seqsOf(await recordsOf(await again.open()))).toEqual(Array.from({ length: 220 }, (_, i) => i + 1));
    await again.close();
  });
});

describe('compaction', () => {
  it('gives the space of the compacted records back to the file system', async () => {
    const w = wal();
    await w.open();
    const text = 'x'.repeat(200);
    for (let i = 0; i < 50; i++) await Promise.all(Array.from({ length: 100 }, (_, j) => w.append(record(i * 100 + j + 1, text))));
    await w.close();
    const full = size(path);
    expect(full).toBeGreaterThan(1_000_000);
    const again = wal();
    await again.open();
    await again.compact({ ops: [put(5000, 'k', text)], vv: new VersionVector().addRange('alice', 1, 5000), meta: {} });
    expect(size(`${path}-wal`)).toBe(0);
    await again.close();
    expect(size(path)).toBeLessThan(full / 10);
  });

  it('stores a snapshot of 20,000 operations in parts and replays it whole, then the records after it', async () => {
    const ops = Array.from({ length: 20_000 }, (_, i) => put(i + 1, `key-${i}`, { i, tag: 'ü✓' }));
    const w = wal();
    await w.open();
    await w.compact({ ops, vv: new VersionVector().addRange('alice', 1, 20_000).addRange('bob', 3, 9), meta: { peerId: 'alice', space: 'team' } });
    await w.append(record(20_001));
    await w.close();
    const again = wal();
    const recovery = await again.open();
    expect(recovery.snapshot?.ops).toHaveLength(20_000);
    expect(recovery.snapshot?.ops[19_999]).toEqual(ops[19_999]);
    expect(recovery.snapshot?.vv.toJSON()).toEqual({ alice: 20_000, bob: [3, 9] });
    expect(recovery.snapshot?.meta).toEqual({ peerId: 'alice', space: 'team' });
    expect(seqsOf(await recordsOf(recovery))).toEqual([20_001]);
    await again.close();
  });
});

describe('under the engine', () => {
  it('keeps values, peer id, version vector and sequence numbers across a restart and a compaction', async () => {
    const first = await createSyncEngine({ wal: wal(), space: 'team' });
    await Promise.all(Array.from({ length: 300 }, (_, i) => first.put('todos', `t${i % 50}`, { i })));
    await first.compact();
    await first.put('todos', 'after', 'compaction');
    const peerId = first.peerId;
    const vv = first.versionVector();
    await first.close();

    const second = await createSyncEngine({ wal: wal(), space: 'team' });
    expect(second.peerId).toBe(peerId);
    expect(second.versionVector().equals(vv)).toBe(true);
    expect(second.get('todos', 't49')).toEqual({ i: 299 });
    expect(second.get('todos', 'after')).toBe('compaction');
    const next = await second.put('todos', 'next', 1);
    expect(next.seq).toBe(302);
    await second.close();
  });
});
