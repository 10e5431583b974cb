/**
 * The relay under test, in its own process: `createRelay` with the default
 * storage (SQLite, `synchronous=FULL`: its fsyncs are real), no logs, and the
 * per-connection limits raised so that they do not cap the measurement (see
 * LIMITS). Started by `../relay.ts` with an IPC channel; prints
 * `relay listening on ws://HOST:PORT` like `apps/relay/src/main.ts`, and
 * answers `{ type: 'stats', id, gc }` with its memory, CPU time and event-loop
 * utilisation (after a full GC when `gc` is set; the process runs with
 * `--expose-gc`). `{ type: 'close' }` shuts it down gracefully.
 *
 * Usage: node --expose-gc --import tsx --conditions=@softadastra/source server.ts DATA_DIR
 */
import { performance } from 'node:perf_hooks';
import { createRelay } from '@softadastra/relay';
import type { RelayStats, ToRelay } from './protocol.js';

/**
 * The defaults are 2,000 ops/s sustained per connection (bursts of 10,000)
 * and 256 connections per IP: a benchmark whose clients all come from
 * 127.0.0.1 and write as fast as they can would only measure the limits.
 */
const LIMITS = { opsPerSecond: 1e9, opsBurst: 1e9, connectionsPerIp: 1_000_000, spacesPerClient: 1_000 };

const dataDir = process.argv[2];
if (dataDir === undefined) {
  console.error('usage: server.ts DATA_DIR');
  process.exit(2);
}

const relay = await createRelay({ dataDir, port: 0, logger: false, limits: LIMITS });
console.log(`relay listening on ${relay.url}`);

const gc = (globalThis as { gc?: () => void }).gc;

process.on('message', (message: ToRelay) => {
  switch (message.type) {
    case 'stats': {
      if (message.gc && gc !== undefined) {
        gc();
        gc();
      }
      const elu = performance.eventLoopUtilization();
      const stats: RelayStats = {
        type: 'stats',
        id: message.id,
        at: performance.timeOrigin + performance.now(),
        memory: process.memoryUsage(),
        cpu: process.cpuUsage(),
        elu: { idle: elu.idle, active: elu.active },
      };
      process.send?.(stats);
      return;
    }
    case 'close':
      relay.close().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error('relay: shutdown failed', error);
          process.exit(1);
        },
      );
      return;
  }
});
