import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWalConformance } from '@softadastra/sync-testing';
import { createSqliteWal, type SqliteWal } from '../src/index.js';
import { sqliteWalLevers } from '../src/sqlite-wal.js';

// A real database file in a temporary directory per case. The levers are the handle's own:
// holdWrites defers commits (a sync that hangs), crash drops the connection without closing it
// as a killed process would (uncommitted writes lost, committed ones kept, or written into a
// transaction SQLite rolls back), failNextAppend makes the next commit fail as SQLITE_IOERR_WRITE.
// tearTail and corruptRecord are not provided: SQLite commits a transaction whole, so a torn last
// record cannot exist, and a damaged last row is corruption to refuse, not a tail to drop
// (test/corruption.integration.test.ts checks that damage is refused with E_WAL_CORRUPT).
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
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  },
});
