import { SyncError, createSeededRandom, type OpId } from '@softadastra/sync-core';
import { KillChildProcess } from './kill-child-process.js';
import { KillLedger } from './kill-ledger.js';

/** Options of {@link runKillTest}. */
export interface KillTestOptions {
  /**
   * The child script: a TypeScript file that calls {@link runKillChild} with
   * the adapter's WAL. It is run as `node <execArgv> <childScript> <args>`.
   */
  readonly childScript: string;
  /** Arguments of the child; the first is the storage directory {@link runKillChild} opens. */
  readonly args?: readonly string[];
  /** How many times to SIGKILL a child and start a new one on the same storage. */
  readonly kills: number;
  /**
   * The random delay between a child's `READY` and its SIGKILL, in milliseconds.
   * @default { min: 5, max: 120 }
   */
  readonly killAfterMs?: { readonly min: number; readonly max: number };
  /**
   * The share of kills aimed at a random moment of the child's recovery —
   * while the engine replays the WAL or makes its first commit — instead of
   * at its writes.
   * @default 0.1
   */
  readonly earlyKills?: number;
  /**
   * Seed of the kill timings; the report gives it back, so a failing run can
   * be replayed with the same timings (the children's own timing still varies).
   * @default a random seed
   */
  readonly seed?: number;
  /**
   * How many children are started ahead of their turn, to load their modules
   * while the current one runs (they touch the storage only on their turn).
   * @default 2
   */
  readonly ahead?: number;
  /**
   * Node options of the child, before the script.
   * @default ['--import', 'tsx', '--conditions=@softadastra/source']
   */
  readonly execArgv?: readonly string[];
  /**
   * Working directory of the child (where `tsx` is resolved from).
   * @default process.cwd()
   */
  readonly cwd?: string;
  /** Extra environment variables of the child. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * How long a child may take to print `READY` once told to go, in milliseconds.
   * @default 30000
   */
  readonly readyTimeoutMs?: number;
}

/** What {@link runKillTest} found. */
export interface KillTestReport {
  /** The seed of the kill timings. */
  readonly seed: number;
  /** SIGKILLs delivered. */
  readonly kills: number;
  /** Children run: one per kill, plus the last one that only recovers and closes. */
  readonly lives: number;
  /** Writes acknowledged over all lives (distinct operation ids). */
  readonly acknowledged: number;
  /** Operations in the version vector of the last recovery. */
  readonly recovered: number;
  /** Acknowledged operations that a later recovery did not hold. Must be empty. */
  readonly lost: readonly OpId[];
  /** Operation ids acknowledged twice, or after being recovered (a seq reused). Must be empty. */
  readonly reused: readonly OpId[];
  /** Every broken invariant, and any child that failed on its own, in words. Must be empty. */
  readonly violations: readonly string[];
  /** Kills that landed before the child printed `READY` (during its recovery). */
  readonly killedBeforeReady: number;
  /** Wall time of the whole run. */
  readonly durationMs: number;
}

/**
 * Proves with real processes that a WAL never loses an acknowledged write:
 * runs a child that writes through the engine, SIGKILLs it at a random
 * moment, starts a new one on the same storage, and checks what it recovered
 * — `kills` times, then once more with a child that only recovers and closes.
 *
 * @remarks
 * The child is an adapter's script calling {@link runKillChild}; it prints
 * `READY <state>` after recovery and an `ACK` line after each `put()`
 * resolved (protocol in `kill-protocol.ts`). The parent checks every
 * recovered state against every write acknowledged before: none may be
 * missing, no seq may be acknowledged twice or after being recovered, and
 * each key's recovered winner must be at least as new as its newest
 * acknowledged write, with the acknowledged value. It only reads the
 * children's stdout, so any adapter can use it with its own child script.
 *
 * A child that exits on its own (an error on recovery, say) stops the run
 * and is reported in `violations` with the end of its stderr.
 *
 * @example
 * ```ts
 * const report = await runKillTest({ childScript: 'test/kill-child.ts', args: [dir], kills: 20 });
 * expect(report.violations).toEqual([]);
 * ```
 *
 * @param options - the child script, its arguments, how many kills and when
 * @throws SyncError `E_INVALID_ARGUMENT` for bad options
 */
export async function runKillTest(options: KillTestOptions): Promise<KillTestReport> {
  const kills = options.kills;
  if (!Number.isInteger(kills) || kills < 0) throw new SyncError('E_INVALID_ARGUMENT', `kills must be an integer ≥ 0, got ${String(kills)}`);
  const window = options.killAfterMs ?? { min: 5, max: 120 };
  if (!(Number.isFinite(window.min) && Number.isFinite(window.max) && window.min >= 0 && window.max >= window.min)) {
    throw new SyncError('E_INVALID_ARGUMENT', `killAfterMs must be { min, max } with 0 ≤ min ≤ max, got ${JSON.stringify(window)}`);
  }
  const ahead = options.ahead ?? 2;
  if (!Number.isInteger(ahead) || ahead < 0) throw new SyncError('E_INVALID_ARGUMENT', `ahead must be an integer ≥ 0, got ${String(ahead)}`);
  const earlyKills = options.earlyKills ?? 0.1;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = createSeededRandom(seed);
  const ledger = new KillLedger();
  const started = performance.now();
  let delivered = 0;
  let killedBeforeReady = 0;
  let lives = 0;
  // How long recoveries take, to aim early kills at them.
  let recoveryMs = 50;

  const queue: KillChildProcess[] = [];
  let spawned = 0;
  const fill = (): void => {
    while (spawned <= kills && queue.length < ahead + 1) {
      queue.push(new KillChildProcess(options, spawned, spawned === kills));
      spawned++;
    }
  };
  try {
    fill();
    while (queue.length > 0) {
      const child = queue.shift()!;
      fill();
      const early = !child.verify && random.next() < earlyKills;
      const delay = early ? random.int(0, Math.round(recoveryMs * 1.5)) : random.int(Math.round(window.min), Math.round(window.max));
      lives++;
      const life = child.life;
      const outcome = await child.run(
        { onReady: (state) => ledger.checkRecovery(life, state), onAck: (ack) => ledger.recordAck(life, ack) },
        {
          atMs: early ? delay : undefined,
          afterReadyMs: child.verify || early ? undefined : delay,
          readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
        },
      );
      if (outcome.killed) delivered++;
      if (outcome.killed && outcome.readyAfterMs === undefined) killedBeforeReady++;
      if (outcome.readyAfterMs !== undefined) recoveryMs = recoveryMs * 0.7 + outcome.readyAfterMs * 0.3;
      if (outcome.failure !== undefined) {
        ledger.report(outcome.failure);
        break;
      }
    }
  } finally {
    await Promise.all(queue.splice(0).map((child) => child.dispose()));
  }
  return {
    seed,
    kills: delivered,
    lives,
    acknowledged: ledger.acknowledged,
    recovered: ledger.recovered,
    lost: ledger.lost,
    reused: ledger.reused,
    violations: [...ledger.violations],
    killedBeforeReady,
    durationMs: Math.round(performance.now() - started),
  };
}
