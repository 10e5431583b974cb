// A kill-test child over the in-memory WAL: nothing survives the process, so the harness must report losses.
import { createSyncEngine } from '@softadastra/sync-engine';
import { runKillChild } from '@softadastra/sync-testing/kill';
import { createMemoryWal } from '@softadastra/wal-memory';

await runKillChild(() => createMemoryWal(), { createEngine: createSyncEngine });
