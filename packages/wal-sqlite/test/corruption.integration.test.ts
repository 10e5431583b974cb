import { copyFileSync, openSync, readFileSync, closeSync, statSync, truncateSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VersionVector } from '@softadastra/sync-core';
import { createSqliteWal } from '../src/index.js';
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

function wal(at = path): ReturnType<typeof createSqliteWal> {
  return createSqliteWal({ path: at, busyTimeoutMs: 50 });
}

/** Overwrites bytes of `file` at `offset`. */
function overwrite(file: string, offset: number, bytes: Uint8Array): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

/** Flips one byte in the middle of the only occurrence of `marker` in `file`. */
function flipInside(file: string, marker: string): void {
  const bytes = readFileSync(file);
  const at = bytes.indexOf(marker);
  expect(at, `marker ${marker} in ${file}`).toBeGreaterThanOrEqual(0);
  expect(bytes.indexOf(marker, at + 1), `a second ${marker} in ${file}`).toBe(-1);
  const offset = at + Math.floor(marker.length / 2);
  overwrite(file, offset, new Uint8Array([bytes[offset]! ^ 0x20]));
}

describe('a damaged database', () => {
  it('refuses with E_WAL_CORRUPT, naming the path and the record, when a byte of a record in the middle flips', async () => {
    const w = wal();
    await w.open();
    await w.append(record(1));
    await w.append(record(2, 'MARKER-OF-RECORD-TWO'));
    await w.append(record(3));
    await w.close();
    flipInside(path, 'MARKER-OF-RECORD-TWO');
    const error = await rejection(wal().open(), 'E_WAL_CORRUPT');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/commit row 2 \(record 1\) fails its checksum/);
    expect(error.message).toMatch(/restore/);
    // Refused loudly, never repaired: a second open refuses again.
    await rejection(wal().open(), 'E_WAL_CORRUPT');
  });

  it('refuses a damaged last record too: SQLite commits whole, so a bad last row is corruption, not a torn tail', async () => {
    const w = wal();
    await w.open();
    await w.append(record(1));
    await w.append(record(2, 'MARKER-OF-THE-LAST-ONE'));
    await w.close();
    flipInside(path, 'MARKER-OF-THE-LAST-ONE');
    const error = await rejection(wal().open(), 'E_WAL_CORRUPT');
    expect(error.message).toMatch(/commit row 2 \(record 1\)/);
  });

  it('refuses a damaged snapshot part with E_WAL_CORRUPT', async () => {
    const w = wal();
    await w.open();
    await w.compact({ ops: [put(1), put(2, 'k2', 'MARKER-IN-THE-SNAPSHOT')], vv: new VersionVector().addRange('alice', 1, 2), meta: {} });
    await w.close();
    flipInside(path, 'MARKER-IN-THE-SNAPSHOT');
    const error = await rejection(wal().open(), 'E_WAL_CORRUPT');
    expect(error.message).toMatch(/snapshot part 0 fails its checksum/);
  });

  it('refuses a snapshot whose header row vanished while its operations are still stored', async () => {
    const w = wal();
    await w.open();
    await w.compact({ ops: [put(1)], vv: new VersionVector().addRange('alice', 1, 1), meta: {} });
    await w.close();
    const raw = new Database(path);
    raw.exec('DELETE FROM wal_snapshot');
    raw.close();
    const error = await rejection(wal().open(), 'E_WAL_CORRUPT');
    expect(error.message).toMatch(/snapshot lost its header row/);
  });

  it('refuses a commit row that vanished from the middle of the log', async () => {
    const w = wal();
    await w.open();
    for (let seq = 1; seq <= 4; seq++) await w.append(record(seq));
    await w.close();
    const raw = new Database(path);
    raw.exec('DELETE FROM wal_commits WHERE id = 2');
    raw.close();
    const error = await rejection(wal().open(), 'E_WAL_CORRUPT');
    expect(error.message).toMatch(/commit rows 2…2 are missing, before record 1/);
  });

  it('refuses a file whose SQLite header was overwritten with E_WAL_CORRUPT', async () => {
    const w = wal();
    await w.open();
    await w.append(record(1));
    await w.close();
    overwrite(path, 0, new TextEncoder().encode('garbage garbage!'));
    const error = await rejection(wal().open(), 'E_WAL_CORRUPT');
    expect(error.message).toMatch(/SQLITE_NOTADB|SQLITE_CORRUPT/);
  });

  it('refuses a file whose table pages were overwritten with E_WAL_CORRUPT', async () => {
    const w = wal();
    await w.open();
    for (let i = 0; i < 20; i++) await Promise.all(Array.from({ length: 50 }, (_, j) => w.append(record(i * 50 + j + 1, 'y'.repeat(100)))));
    await w.close();
    const pageSize = 4096;
    const pages = statSync(path).size / pageSize;
    // Page 1 holds the header and the schema; every later page is a table page.
    for (let page = 1; page < pages; page++) overwrite(path, page * pageSize, new Uint8Array(pageSize).fill(0xa5));
    const error = await rejection(wal().open(), 'E_WAL_CORRUPT');
    expect(error.message).toMatch(/SQLITE_CORRUPT|checksum|malformed/);
  });
});

describe('a write torn by a power cut', () => {
  /**
   * Copies the database and its -wal file while the WAL is open — what the disk holds when
   * the process dies — and returns the size of the -wal file before and after the last commit.
   */
  async function imageWithLastCommit(): Promise<{ image: string; before: number; after: number }> {
    const w = wal();
    await w.open();
    await w.append(record(1));
    await w.append(record(2));
    const before = statSync(`${path}-wal`).size;
    await w.append({ ops: Array.from({ length: 200 }, (_, i) => put(3 + i, `big-${i}`, 'z'.repeat(300))) });
    const after = statSync(`${path}-wal`).size;
    const image = temp.path('image.db');
    copyFileSync(path, image);
    copyFileSync(`${path}-wal`, `${image}-wal`);
    await w.close();
    expect(after - before).toBeGreaterThan(10 * 4096);
    return { image, before, after };
  }

  it('recovers the commits before it when the last transaction reached the disk only in part', async () => {
    const { image, before, after } = await imageWithLastCommit();
    truncateSync(`${image}-wal`, before + Math.floor((after - before) / 2));
    const w = wal(image);
    const recovery = await w.open();
    expect(seqsOf(await recordsOf(recovery))).toEqual([1, 2]);
    await w.append(record(3));
    await w.close();
    const again = wal(image);
    expect(seqsOf(await recordsOf(await again.open()))).toEqual([1, 2, 3]);
    await again.close();
  });

  it('drops the last transaction when its commit frame is damaged (SQLite checksums the -wal frames)', async () => {
    const { image, after } = await imageWithLastCommit();
    const frame = 4096 + 24;
    overwrite(`${image}-wal`, after - frame + 24 + 100, new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
    const w = wal(image);
    expect(seqsOf(await recordsOf(await w.open()))).toEqual([1, 2]);
    await w.close();
  });

  it('makes what it recovered from a killed process durable before open() resolves: the -wal is checkpointed into the database', async () => {
    const { image } = await imageWithLastCommit();
    expect(statSync(`${image}-wal`).size).toBeGreaterThan(0);
    const w = wal(image);
    const records = await recordsOf(await w.open());
    // Still open (close() would checkpoint anyway): the commits read back are in the synced database
    // file now, none only in a -wal that may sit in the page cache.
    expect(statSync(`${image}-wal`).size, 'the -wal after open()').toBe(0);
    const dbOnly = temp.path('db-only.db');
    copyFileSync(image, dbOnly);
    await w.close();
    const fromDb = wal(dbOnly);
    expect(seqsOf(await recordsOf(await fromDb.open())), 'the database file alone').toEqual(seqsOf(records));
    await fromDb.close();
  });

  it('recovers every commit from an intact image of a killed process', async () => {
    const { image } = await imageWithLastCommit();
    const w = wal(image);
    const records = await recordsOf(await w.open());
    expect(seqsOf(records)).toEqual(Array.from({ length: 202 }, (_, i) => i + 1));
    await w.close();
  });
});
