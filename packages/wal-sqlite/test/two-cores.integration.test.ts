import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The core's own helper: its sources, copied and imported as a second install would be.
import { importSecondCopy } from '../../core/test/second-copy.js';
import { createSqliteWal } from '../src/index.js';
import { record, recordsOf, tempDir } from './helpers.js';

let other: Awaited<ReturnType<typeof importSecondCopy>>['core'];
let remove: () => Promise<void>;
beforeAll(async () => {
  ({ core: other, remove } = await importSecondCopy());
});
afterAll(() => remove());

describe('the SQLite WAL under an engine on another copy of sync-core', () => {
  it("stores that copy's version vectors, in records and snapshots", async () => {
    const temp = tempDir();
    try {
      const wal = createSqliteWal({ path: temp.path() });
      await wal.open();
      const covered = new other.VersionVector().addRange('bob', 1, 3).addRange('bob', 7, 7);
      await wal.append({ ...record(1), covered });
      await wal.compact({ ops: record(1).ops, vv: new other.VersionVector().addRange('alice', 1, 1).merge(covered), meta: {} });
      await wal.append({ ...record(2), covered: new other.VersionVector().addRange('carol', 1, 2) });
      await wal.close();

      const reopened = createSqliteWal({ path: temp.path() });
      const recovery = await reopened.open();
      expect(recovery.snapshot?.vv.toJSON()).toEqual({ alice: 1, bob: [1, 3, 7, 7] });
      expect((await recordsOf(recovery)).map((r) => r.covered?.toJSON())).toEqual([{ carol: 2 }]);
      await reopened.close();
    } finally {
      temp.remove();
    }
  });
});
