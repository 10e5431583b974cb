/**
 * The page script of the conformance run in Chromium (test/browser.integration.test.ts): the WAL
 * suite of `@softadastra/sync-testing`, bundled with `vitest` aliased to ./vitest-shim.ts, on the
 * page's own `indexedDB` through the same harness as in Node (test/harness.ts), one database per
 * case, deleted afterwards. Imported from the Node-free entry `@softadastra/sync-testing/conformance`
 * (the package's main entry also holds the simulator and the kill harness, which need Node).
 *
 * It also spies on `IDBDatabase.prototype.transaction` (installed before anything runs), so that
 * `probeDurability()` can show which durability every transaction of the WAL asked Chromium for.
 */
import { VersionVector, type WalRecord } from '@softadastra/sync-core';
import { runWalConformance } from '@softadastra/sync-testing/conformance';
import { createIndexedDbWal } from '../../src/index.js';
import { createIdbHarness, deleteDatabase } from '../harness.js';
import { runRegistered } from './vitest-shim.js';

/** One call of `IDBDatabase.prototype.transaction`, as the spy saw it. */
export interface SeenCall {
  readonly database: string;
  readonly mode: string;
  /** `options.durability` as passed by the caller (undefined: no options). */
  readonly requested: string | undefined;
  /** The transaction's own `durability` attribute, as Chromium reports it. */
  readonly actual: string | undefined;
}

/** What `probeDurability()` saw. */
export interface DurabilityProbe {
  readonly calls: SeenCall[];
  /** The records the reopened WAL replayed (their meta `n`). */
  readonly replayed: string[];
  readonly snapshot: boolean;
}

const seen: SeenCall[] = [];
const transaction = IDBDatabase.prototype.transaction;
IDBDatabase.prototype.transaction = function spied(this: IDBDatabase, stores: string | string[], mode?: IDBTransactionMode, options?: IDBTransactionOptions): IDBTransaction {
  const tx = transaction.call(this, stores, mode, options);
  seen.push({ database: this.name, mode: mode ?? 'readonly', requested: options?.durability, actual: (tx as { durability?: string }).durability });
  return tx;
};

let n = 0;
runWalConformance('indexeddb (Chromium)', {
  create: () => {
    const name = `softadastra-conformance-${n++}`;
    return createIdbHarness(indexedDB, name, () => deleteDatabase(indexedDB, name, 5_000));
  },
});

const record = (i: number): WalRecord => ({ ops: [], meta: { n: String(i) } });

/** A WAL on the page's real indexedDB (no wrapper): one append, a group commit of three, a compaction, one more append; then a reopen. */
async function probeDurability(): Promise<DurabilityProbe> {
  const name = 'softadastra-durability-probe';
  const from = seen.length;
  const wal = createIndexedDbWal({ name });
  await wal.open();
  await wal.append(record(1));
  await Promise.all([2, 3, 4].map((i) => wal.append(record(i))));
  await wal.compact({ ops: [], vv: new VersionVector(), meta: { snapshot: 'yes' } });
  await wal.append(record(5));
  await wal.close();
  const again = createIndexedDbWal({ name });
  const recovery = await again.open();
  const replayed: string[] = [];
  for await (const r of recovery.records) replayed.push(r.meta?.n ?? '?');
  await again.close();
  const calls = seen.slice(from).filter((call) => call.database === name);
  await deleteDatabase(indexedDB, name, 5_000);
  return { calls, replayed, snapshot: recovery.snapshot !== undefined };
}

Object.assign(globalThis, { runConformance: runRegistered, probeDurability });
