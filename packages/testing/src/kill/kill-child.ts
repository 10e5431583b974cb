import type { JsonValue, Operation, PeerId, SyncError, VersionVector, Wal } from '@softadastra/sync-core';
import { KILL_GO_ENV, KILL_LIFE_ENV, KILL_MODE_ENV, formatAck, formatReady, type KillChildState } from './kill-protocol.js';

/**
 * What the kill child needs of an engine: the part of `SyncEngine` from
 * `@softadastra/sync-engine` that it writes through and reads back. The
 * harness does not import the engine (adapters below the engine run it, and
 * the engine's own tests run on those adapters); the child passes the
 * engine's factory in.
 */
export interface KillEngine {
  readonly peerId: PeerId;
  put(collection: string, key: string, value: JsonValue): Promise<Operation>;
  getOperation(collection: string, key: string): Operation | undefined;
  entries(collection: string): Array<[string, JsonValue]>;
  collections(): string[];
  versionVector(): VersionVector;
  close(): Promise<void>;
}

/** What {@link runKillChild} passes to {@link KillChildOptions.createEngine}. */
export interface KillEngineOptions {
  readonly wal: Wal;
  readonly compaction: false | { readonly minOps?: number; readonly ratio?: number };
  readonly onError: (error: SyncError) => void;
}

/** Options of {@link runKillChild}. */
export interface KillChildOptions {
  /**
   * Makes the engine that writes into the WAL: `createSyncEngine` from
   * `@softadastra/sync-engine`.
   */
  readonly createEngine: (options: KillEngineOptions) => Promise<KillEngine>;
  /**
   * How many writers put concurrently (each awaits its own put, none awaits
   * the others), so that the WAL sees group commits.
   * @default 32
   */
  readonly writers?: number;
  /**
   * How many distinct keys are written, round-robin: a small set makes writes
   * supersede each other and gives compaction work.
   * @default 64
   */
  readonly keys?: number;
  /**
   * The engine's automatic compaction, so that kills also land during
   * compactions; `false` to disable.
   * @default { minOps: 400, ratio: 2 }
   */
  readonly compaction?: false | { readonly minOps?: number; readonly ratio?: number };
  /**
   * The collection written to.
   * @default 'kill'
   */
  readonly collection?: string;
}

/**
 * The body of a kill-test child script: opens the WAL in the directory given
 * as first argument through the engine, prints what it recovered, then
 * writes as fast as it can until it is killed.
 *
 * @remarks
 * Runs the whole durable path: `createSyncEngine` replays the WAL, and every
 * `put()` goes through the engine's group commit to `wal.append()`. After
 * recovery it prints `READY <state>`; after each `put()` resolves, an `ACK`
 * line (see the protocol in `kill-protocol.ts`). Started by {@link runKillTest},
 * it first waits for `GO` on stdin (it is started ahead of its turn). In verify mode (set by
 * {@link runKillTest} for its last child) it prints `READY`, closes the
 * engine cleanly, prints `CLOSED` and exits. Any error is printed on stderr
 * and ends the process with code 1, which the parent reports.
 *
 * An adapter's child script is a few lines:
 *
 * @example
 * ```ts
 * // test/kill-child.ts
 * import { join } from 'node:path';
 * import { createSyncEngine } from '@softadastra/sync-engine';
 * import { runKillChild } from '@softadastra/sync-testing/kill';
 * import { createSqliteWal } from '../src/index.js';
 *
 * await runKillChild((dir) => createSqliteWal({ path: join(dir, 'space.db') }), { createEngine: createSyncEngine });
 * ```
 *
 * @param openWal - makes the adapter's WAL on the storage directory (not yet opened)
 * @param options - the engine's factory; writers, keys, compaction
 */
export async function runKillChild(openWal: (dir: string) => Wal | Promise<Wal>, options: KillChildOptions): Promise<void> {
  const dir = process.argv[2];
  try {
    if (dir === undefined || dir === '') throw new Error('kill child: pass the storage directory as the first argument');
    if (process.env[KILL_GO_ENV] === 'stdin' && !(await goSignal())) process.exit(0);
    const engine = await options.createEngine({
      wal: await openWal(dir),
      compaction: options.compaction ?? { minOps: 400, ratio: 2 },
      onError: (error) => process.stderr.write(`engine error: ${error.code} ${error.message}\n`),
    });
    process.stdout.write(formatReady(stateOf(engine)));
    if (process.env[KILL_MODE_ENV] === 'verify') {
      await engine.close();
      process.stdout.write('CLOSED\n');
      process.exit(0);
    }
    await write(engine, options);
  } catch (error) {
    process.stderr.write(`kill child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  }
}

/** Waits for the parent's `GO` line; false when stdin ends without it (the parent gave up on this child). */
function goSignal(): Promise<boolean> {
  return new Promise((resolve) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    const done = (go: boolean): void => {
      process.stdin.removeAllListeners('data');
      process.stdin.pause();
      resolve(go);
    };
    process.stdin.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) done(text.startsWith('GO\n'));
    });
    process.stdin.once('end', () => done(text.startsWith('GO')));
  });
}

/** Writes until the process is killed; rejects on the first failed put. */
async function write(engine: KillEngine, options: KillChildOptions): Promise<never> {
  const writers = options.writers ?? 32;
  const keys = options.keys ?? 64;
  const collection = options.collection ?? 'kill';
  const life = Number(process.env[KILL_LIFE_ENV] ?? 0);
  let next = 0;
  let out = '';
  // Acks of one group commit resolve in the same tick: print them with one write (stdout is a pipe, written synchronously).
  const flush = (): void => {
    const text = out;
    out = '';
    process.stdout.write(text);
  };
  const writer = async (w: number): Promise<never> => {
    for (;;) {
      const n = next++;
      const value: JsonValue = { life, n, w };
      const op = await engine.put(collection, `k${n % keys}`, value);
      if (out === '') queueMicrotask(flush);
      out += formatAck(op.origin, op.seq, op.collection, op.key, op.kind === 'put' ? op.value : undefined);
    }
  };
  return Promise.race(Array.from({ length: writers }, (_, w) => writer(w)));
}

function stateOf(engine: KillEngine): KillChildState {
  const vv = engine.versionVector();
  const winners: Array<[string, string, string, number, JsonValue]> = [];
  for (const collection of engine.collections()) {
    for (const [key] of engine.entries(collection)) {
      const op = engine.getOperation(collection, key);
      if (op?.kind === 'put') winners.push([collection, key, op.origin, op.seq, op.value]);
    }
  }
  return { peer: engine.peerId, vv: vv.toJSON(), ops: vv.count(), winners };
}
