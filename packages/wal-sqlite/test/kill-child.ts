// The child of test/kill.integration.test.ts: writes through the engine into a SQLite WAL in the
// directory given as first argument until it is SIGKILLed. The second argument, if any, is the
// synchronous level.
import { join } from 'node:path';
import { createSyncEngine } from '@softadastra/sync-engine';
import { runKillChild } from '@softadastra/sync-testing/kill';
import { createSqliteWal, type SqliteSynchronous } from '../src/index.js';

const synchronous = (process.argv[3] ?? 'full') as SqliteSynchronous;
await runKillChild((dir) => createSqliteWal({ path: join(dir, 'space.db'), synchronous }), { createEngine: createSyncEngine });
