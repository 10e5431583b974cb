import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runWalConformance } from '@softadastra/sync-testing';
import { createSqliteWal, type SqliteWal } from '../src/index.js';
import { sqliteWalLevers } from '../src/sqlite-wal.js';

// A real database file in a temporary directory per case. The levers are the handle's own:
// holdWrites defers commits (a sync that hangs), crash drops the connection without closing it
// as a killed process would (uncommitted writes lost, committed ones kept, or written into a
// transaction SQLite rolls back), failNextAppend makes the next commit fail as SQLITE_IOERR_WRITE.
// tearTail is not provided: SQLite commits a transaction whole, so a torn last record cannot exist.
// corruptRecord flips a byte inside the row holding the record, through a second connection while no
// handle is open, as bit rot would: a damaged row is corruption to refuse, the last one included
// (test/corruption.integration.test.ts flips bytes in the file itself).
runWalConformance('sqlite', {
  create: () => {
    const dir = mkdtempSync(join(tmpdir(), 'softadastra-wal-sqlite-'));
    const path = join(dir, 'space.db');
    let handles: SqliteWal[] = [];
    let holding = false;
    return {
      open: () => {
        const wal = createSqliteWal({ path, busyTimeoutMs: 200 });
        handles.push(wal);
        if (holding) sqliteWalLevers(wal).holdWrites();
        return wal;
      },
      crash: (options) => {
        for (const wal of handles) sqliteWalLevers(wal).crash(options?.inFlight);
        handles = [];
        holding = false;
      },
      holdWrites: () => {
        holding = true;
        for (const wal of handles) sqliteWalLevers(wal).holdWrites();
      },
      releaseWrites: () => {
        holding = false;
        for (const wal of handles) sqliteWalLevers(wal).releaseWrites();
      },
      failNextAppend: () => {
        const wal = handles.at(-1);
        if (wal !== undefined) sqliteWalLevers(wal).failNextWrite();
      },
      corruptRecord: (index) => {
        const db = new Database(path);
        try {
          let first = 0;
          for (const [id, records, body] of db.prepare('SELECT id, records, body FROM wal_commits ORDER BY id').raw(true).all() as Array<[number, number, Buffer]>) {
            if (index < first + records) {
              const damaged = Buffer.from(body);
              const at = damaged.length >> 1;
              damaged[at] = damaged[at]! ^ 0x20;
              db.prepare('UPDATE wal_commits SET body = ? WHERE id = ?').run(damaged, id);
              return;
            }
            first += records;
          }
          throw new Error(`conformance harness: no record ${index} to corrupt`);
        } finally {
          db.close();
        }
      },
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  },
});
