// A kill-test child over the file WAL: durable, so the harness must find nothing wrong.
import { createSyncEngine } from '@softadastra/sync-engine';
import { runKillChild } from '@softadastra/sync-testing/kill';
import { createFileWal } from '@softadastra/wal-file';

await runKillChild((dir) => createFileWal({ dir }), { createEngine: createSyncEngine, writers: 8 });
