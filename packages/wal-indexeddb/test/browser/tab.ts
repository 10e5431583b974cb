/**
 * The page script of the two-tab test (test/browser.integration.test.ts): one WAL handle on the
 * page's real indexedDB, driven through `globalThis.walTab` with `page.evaluate`. Two pages of one
 * origin load it and open the same database: the Web Lock decides who may write.
 */
import { isSyncError, type WalRecord } from '@softadastra/sync-core';
import { createIndexedDbWal, type IndexedDbWal } from '../../src/index.js';

/** What `open()` gave: the records replayed (their meta `n`), or the typed error. */
export type TabOpen = { readonly ok: true; readonly records: string[]; readonly snapshot: boolean } | { readonly ok: false; readonly code: string; readonly message: string };

export interface WalTab {
  open(name: string): Promise<TabOpen>;
  append(...n: number[]): Promise<void>;
  close(): Promise<void>;
  /** Whether the Web Locks API is there, and the locks this origin holds now. */
  locks(): Promise<{ api: boolean; held: string[] }>;
}

let wal: IndexedDbWal | undefined;

const tab: WalTab = {
  async open(name) {
    const handle = createIndexedDbWal({ name, openTimeoutMs: 5_000 });
    try {
      const recovery = await handle.open();
      const records: string[] = [];
      for await (const r of recovery.records) records.push(r.meta?.n ?? '?');
      wal = handle;
      return { ok: true, records, snapshot: recovery.snapshot !== undefined };
    } catch (error) {
      if (isSyncError(error)) return { ok: false, code: error.code, message: error.message };
      throw error;
    }
  },
  async append(...n) {
    if (wal === undefined) throw new Error('walTab.open() first');
    const w = wal;
    await Promise.all(n.map((i): Promise<void> => w.append({ ops: [], meta: { n: String(i) } } satisfies WalRecord)));
  },
  async close() {
    await wal?.close();
    wal = undefined;
  },
  async locks() {
    const api = typeof navigator.locks?.query === 'function';
    if (!api) return { api, held: [] };
    const state = await navigator.locks.query();
    return { api, held: (state.held ?? []).map((lock) => lock.name ?? '?') };
  },
};

(globalThis as unknown as { walTab: WalTab }).walTab = tab;
