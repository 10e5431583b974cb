// The child of test/kill.integration.test.ts: writes through the engine into a file WAL in the
// directory given as first argument until it is SIGKILLed.
import { createSyncEngine } from '@softadastra/sync-engine';
import { runKillChild } from '@softadastra/sync-testing/kill';
import { createFileWal } from '../src/index.js';

await runKillChild((dir) => createFileWal({ dir }), { createEngine: createSyncEngine });
