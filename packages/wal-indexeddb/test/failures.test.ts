import { VersionVector, isSyncError, type SyncErrorCode, type Wal, type WalRecord, type WalRecovery, type WalSnapshot } from '@softadastra/sync-core';
import { IDBFactory, forceCloseDatabase } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { createIndexedDbWal, type IndexedDbWal } from '../src/index.js';
import { indexedDbWalLevers } from '../src/indexeddb-wal.js';
import { createFaultyFactory, type FaultMode, type FaultyFactory } from './faulty-idb.js';
import { deleteDatabase, rawOpen } from './harness.js';

// The failures browsers produce, injected through test/faulty-idb.ts over fake-indexeddb (a fresh
// factory per test): what each append, open and reopen must then do.

const NAME = 'softadastra-failures';

/** A record told apart by its meta `n`. */
const record = (n: number): WalRecord => ({ ops: [], meta: { n: String(n) } });

async function recordsOf(recovery: WalRecovery): Promise<WalRecord[]> {
  const out: WalRecord[] = [];
  if (Symbol.asyncIterator in recovery.records) for await (const r of recovery.records) out.push(r);
  else for (const r of recovery.records) out.push(r);
  return out;
}

const numbers = (records: readonly WalRecord[]): string[] => records.map((r) => r.meta?.n ?? '?');

/** What `promise` rejected with; fails if it resolved. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** Asserts that `promise` rejects with a SyncError of `code`, and returns its message. */
async function expectCode(promise: Promise<unknown>, code: SyncErrorCode): Promise<string> {
  const error = await rejection(promise);
  expect(isSyncError(error), `a SyncError, got ${String(error)}`).toBe(true);
  if (!isSyncError(error)) throw new Error('unreachable');
  expect(error.code, error.message).toBe(code);
  return error.message;
}

let opened: Wal[] = [];

afterEach(async () => {
  // Bounded: a handle wedged by a bug must fail its own test, not every later one through this hook.
  for (const wal of opened) await Promise.race([wal.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1_000))]);
  opened = [];
});

function setup(): { real: IDBFactory; faulty: FaultyFactory; make: (options?: { openTimeoutMs?: number }) => IndexedDbWal } {
  const real = new IDBFactory();
  const faulty = createFaultyFactory(real);
  return {
    real,
    faulty,
    make: (options = {}) => {
      const wal = createIndexedDbWal({ name: NAME, indexedDB: faulty.factory, openTimeoutMs: options.openTimeoutMs ?? 2_000 });
      opened.push(wal);
      return wal;
    },
  };
}

/** Opens a new handle and returns the records it replays, then closes it. */
async function replay(make: () => IndexedDbWal): Promise<{ numbers: string[]; snapshot: boolean }> {
  const wal = make();
  const recovery = await wal.open();
  const records = await recordsOf(recovery);
  await wal.close();
  return { numbers: numbers(records), snapshot: recovery.snapshot !== undefined };
}

describe('quota exceeded', () => {
  for (const mode of ['throw', 'abort'] as const satisfies readonly FaultMode[]) {
    const how = mode === 'throw' ? 'thrown by the write at once' : 'as the abort of its transaction';
    it(`rejects the append with E_STORAGE_QUOTA (${how}); after reopening, nothing of it is there and earlier records are`, async () => {
      const { faulty, make } = setup();
      const wal = make();
      await wal.open();
      await wal.append(record(1));
      await wal.append(record(2));
      faulty.failNext('put', mode, 'QuotaExceededError');
      const message = await expectCode(wal.append(record(3)), 'E_STORAGE_QUOTA');
      expect(message).toMatch(/quota/i);
      expect(message).toContain('navigator.storage.persist()');
      // The storage state is known (rolled back) but the handle stays failed until reopened.
      await expectCode(wal.append(record(4)), 'E_WAL_FAILED');
      await wal.close();
      expect(await replay(make)).toEqual({ numbers: ['1', '2'], snapshot: false });
      // And the log goes on after it.
      const next = make();
      await next.open();
      await next.append(record(5));
      await next.close();
      expect((await replay(make)).numbers).toEqual(['1', '2', '5']);
    });
  }

  it('rejects every append of the group commit with E_STORAGE_QUOTA and stores none of them', async () => {
    const { faulty, make } = setup();
    const wal = make();
    await wal.open();
    await wal.append(record(1));
    faulty.failNext('put', 'abort', 'QuotaExceededError');
    // Issued in the same tick: one transaction, whose first put succeeds and then aborts it.
    const appends = [2, 3, 4].map((n) => wal.append(record(n)));
    for (const append of appends) await expectCode(append, 'E_STORAGE_QUOTA');
    await wal.close();
    expect((await replay(make)).numbers).toEqual(['1']);
  });

  it('rejects compact() with E_STORAGE_QUOTA and keeps the records it would have replaced', async () => {
    const { faulty, make } = setup();
    const wal = make();
    await wal.open();
    await wal.append(record(1));
    await wal.append(record(2));
    faulty.failNext('put', 'throw', 'QuotaExceededError');
    await expectCode(wal.compact(emptySnapshot()), 'E_STORAGE_QUOTA');
    await wal.close();
    expect(await replay(make)).toEqual({ numbers: ['1', '2'], snapshot: false });
  });
});

describe('the connection lost', () => {
  it("rejects pending and later appends with E_WAL_CLOSED when another connection deletes the database; reopening gives an empty WAL", async () => {
    const { real, make } = setup();
    const wal = make();
    await wal.open();
    await wal.append(record(1));
    indexedDbWalLevers(wal).holdWrites();
    const pending = wal.append(record(2));
    // Another tab deletes the database: the WAL gets versionchange and must let go.
    const deleted = deleteDatabase(real, NAME);
    const message = await expectCode(pending, 'E_WAL_CLOSED');
    expect(message).toMatch(/deleting or upgrading/);
    await deleted; // not blocked: the WAL closed its connection
    indexedDbWalLevers(wal).releaseWrites();
    await expectCode(wal.append(record(3)), 'E_WAL_CLOSED');
    await expectCode(wal.compact(emptySnapshot()), 'E_WAL_CLOSED');
    await wal.close();
    expect(await replay(make)).toEqual({ numbers: [], snapshot: false });
  });

  it('rejects the next append with E_WAL_CLOSED when the browser closes the connection; reopening gives the earlier records', async () => {
    const { faulty, make } = setup();
    const wal = make();
    await wal.open();
    await wal.append(record(1));
    await wal.append(record(2));
    expect(faulty.connections).toHaveLength(1);
    // (fake-indexeddb types its parameter as the class; it takes a connection.)
    forceCloseDatabase(faulty.connections[0]! as unknown as Parameters<typeof forceCloseDatabase>[0]);
    const message = await expectCode(wal.append(record(3)), 'E_WAL_CLOSED');
    expect(message).toMatch(/closed by the browser/);
    await wal.close();
    const again = make();
    const recovery = await again.open();
    expect(numbers(await recordsOf(recovery))).toEqual(['1', '2']);
    await again.append(record(4));
    await again.close();
    expect((await replay(make)).numbers).toEqual(['1', '2', '4']);
  });

  it('maps an InvalidStateError from db.transaction() to E_WAL_CLOSED, storing nothing; reopening works', async () => {
    const { faulty, make } = setup();
    const wal = make();
    await wal.open();
    await wal.append(record(1));
    faulty.failNextTransaction('InvalidStateError');
    await expectCode(wal.append(record(2)), 'E_WAL_CLOSED');
    await expectCode(wal.append(record(3)), 'E_WAL_CLOSED');
    await wal.close();
    expect((await replay(make)).numbers).toEqual(['1']);
  });
});

describe('open refused', () => {
  it('fails open() with E_WAL_FAILED and a clear message on a SecurityError, and opens once storage is allowed', async () => {
    const { faulty, make } = setup();
    faulty.refuseOpen('SecurityError');
    const wal = make();
    const message = await expectCode(wal.open(), 'E_WAL_FAILED');
    expect(message).toContain('SecurityError');
    expect(message).toMatch(/refuses IndexedDB to this page/);
    expect(message).toMatch(/http\(s\) origin/);
    faulty.refuseOpen(undefined);
    // The failed open released its claim on the name: the same handle opens now.
    await wal.open();
    await wal.append(record(1));
    await wal.close();
    expect((await replay(make)).numbers).toEqual(['1']);
  });

  it('fails open() with E_WAL_LOCKED after openTimeoutMs while a deletion is blocked by another connection', async () => {
    const { real, make } = setup();
    const first = make();
    await first.open();
    await first.append(record(1));
    await first.close();
    // Another tab holds the database open and ignores versionchange: a deletion stays blocked, and
    // an open queued behind it never completes.
    const other = await rawOpen(real, NAME);
    let blocked = false;
    const deleting = real.deleteDatabase(NAME);
    deleting.onblocked = () => (blocked = true);
    const deleted = new Promise<void>((resolve) => (deleting.onsuccess = () => resolve()));
    const wal = make({ openTimeoutMs: 150 });
    const started = Date.now();
    const message = await expectCode(wal.open(), 'E_WAL_LOCKED');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(blocked).toBe(true);
    expect(message).toMatch(/did not complete within 150 ms/);
    other.close();
    await deleted;
    // The timed-out open does not keep a connection: the deletion went through, a new open works.
    expect(await replay(make)).toEqual({ numbers: [], snapshot: false });
  });

  it('refuses a second handle on the same database in the same page with E_WAL_LOCKED, until the first closes', async () => {
    const { make } = setup();
    const first = make();
    await first.open();
    await first.append(record(1));
    const second = make();
    const message = await expectCode(second.open(), 'E_WAL_LOCKED');
    expect(message).toMatch(/another handle/);
    // The first is unaffected.
    await first.append(record(2));
    await first.close();
    const recovery = await second.open();
    expect(numbers(await recordsOf(recovery))).toEqual(['1', '2']);
    await second.close();
  });

  it('lets handles on different databases, or on the same name in another factory, open together', async () => {
    const a = createIndexedDbWal({ name: NAME, indexedDB: new IDBFactory() });
    const b = createIndexedDbWal({ name: NAME, indexedDB: new IDBFactory() });
    const factory = new IDBFactory();
    const c = createIndexedDbWal({ name: `${NAME}-other`, indexedDB: factory });
    const d = createIndexedDbWal({ name: `${NAME}-another`, indexedDB: factory });
    opened.push(a, b, c, d);
    for (const wal of [a, b, c, d]) await wal.open();
    for (const wal of [a, b, c, d]) await wal.append(record(1));
  });
});

describe('durability', () => {
  it("opens every write transaction with durability 'strict' (appends, group commits and compactions)", async () => {
    const { faulty, make } = setup();
    const wal = make();
    await wal.open();
    await wal.append(record(1));
    await Promise.all([2, 3, 4].map((n) => wal.append(record(n))));
    await wal.compact(emptySnapshot());
    await wal.append(record(5));
    await wal.close();
    await replay(make);
    const writes = faulty.transactions.filter((tx) => tx.mode === 'readwrite');
    // One per append tick (3 ticks) and one compaction.
    expect(writes).toHaveLength(4);
    expect(writes.map((tx) => tx.durability)).toEqual(['strict', 'strict', 'strict', 'strict']);
    expect(writes.map((tx) => tx.writes)).toEqual([1, 3, 2, 1]);
    // The only other transactions are the replays on open: read-only (durability does not apply).
    expect(faulty.transactions.filter((tx) => tx.mode !== 'readwrite').map((tx) => tx.mode)).toEqual(['readonly', 'readonly']);
  });
});

/** A snapshot of nothing (what the records replaced does not matter to the WAL). */
function emptySnapshot(): WalSnapshot {
  return { ops: [], vv: new VersionVector(), meta: { snapshot: 'yes' } };
}
