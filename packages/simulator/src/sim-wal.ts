import { VersionVector, type Operation, type Wal, type WalRecord, type WalRecovery, type WalSnapshot } from '@softadastra/sync-core';
import type { History } from './history.js';

/**
 * A WAL wrapper that tells the history which operations became durable where:
 * on each resolved append, and on each replay (a crash may have kept an
 * append that was never acknowledged); and what each WAL acknowledged, to
 * check that its next open gives all of it back.
 * @internal
 */
export function observeWal(inner: Wal, storage: string, history: History): Wal {
  return {
    capabilities: inner.capabilities,
    async open(): Promise<WalRecovery> {
      const recovery = await inner.open();
      const records: WalRecord[] = [];
      for await (const record of recovery.records) records.push(record);
      const replayed = (op: Operation): void => history.durableAt(storage, op, true);
      const recovered = recovery.snapshot?.vv.clone() ?? new VersionVector();
      if (recovery.snapshot !== undefined) for (const op of recovery.snapshot.ops) replayed(op);
      for (const record of records) {
        for (const op of record.ops) {
          replayed(op);
          recovered.add(op);
        }
        if (record.covered !== undefined) recovered.merge(record.covered);
      }
      history.walRecovered(storage, recovered);
      return { snapshot: recovery.snapshot, records, ...(recovery.repair === undefined ? {} : { repair: recovery.repair }) };
    },
    async append(record: WalRecord): Promise<void> {
      await inner.append(record);
      for (const op of record.ops) history.durableAt(storage, op, false);
      history.walAcknowledged(storage, record.ops, record.covered);
    },
    async compact(snapshot: WalSnapshot): Promise<void> {
      await inner.compact(snapshot);
      // Durable now (a reset's snapshot holds writes no record did).
      for (const op of snapshot.ops) history.durableAt(storage, op, true);
      history.walAcknowledged(storage, [], snapshot.vv);
    },
    close(): Promise<void> {
      return inner.close();
    },
  };
}
