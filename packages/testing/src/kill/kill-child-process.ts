import { spawn, type ChildProcess } from 'node:child_process';
import { KILL_GO_ENV, KILL_LIFE_ENV, KILL_MODE_ENV, parseKillLine, type KillAck, type KillChildState, type KillLine } from './kill-protocol.js';

/** How to start kill-test children (the subset of `KillTestOptions` used here). */
export interface KillChildSpawnOptions {
  readonly childScript: string;
  readonly args?: readonly string[] | undefined;
  readonly execArgv?: readonly string[] | undefined;
  readonly cwd?: string | undefined;
  readonly env?: Readonly<Record<string, string>> | undefined;
}

/** What the parent does with a child's lines. */
export interface KillLineHandlers {
  onReady(state: KillChildState): void;
  onAck(ack: KillAck): void;
}

/** When to kill a child, counted from the moment it is told to go. */
export interface KillPlan {
  /** Kill this long after `GO`, whatever the child is doing (a kill during recovery). */
  readonly atMs?: number | undefined;
  /** Kill this long after `READY` (a kill during writes). */
  readonly afterReadyMs?: number | undefined;
  /** Give up on a child that prints no `READY` within this long. */
  readonly readyTimeoutMs: number;
}

/** How one child's life ended. */
export interface KillLifeOutcome {
  /** Whether the parent SIGKILLed it. */
  readonly killed: boolean;
  /** When it printed `READY`, counted from `GO`. */
  readonly readyAfterMs: number | undefined;
  /** Why the run cannot go on, if it cannot: the child failed on its own. */
  readonly failure: string | undefined;
}

const DEFAULT_EXEC_ARGV = ['--import', 'tsx', '--conditions=@softadastra/source'] as const;
const STDERR_TAIL = 4000;

/**
 * One child process of a kill test, seen from the parent.
 *
 * @remarks
 * It is spawned ahead of its turn, so that it loads its modules while the
 * previous child runs, and waits for `GO` on stdin before it touches the
 * storage. Its stdout is read line by line from the start, and to the end
 * after it died: every line it completed before the kill counts, a line cut
 * by the kill does not.
 *
 * @internal
 */
export class KillChildProcess {
  readonly life: number;
  readonly verify: boolean;
  readonly #child: ChildProcess;
  readonly #exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; error: Error | undefined }>;
  #handlers: KillLineHandlers | undefined;
  #early: KillLine[] = [];
  #stdout = '';
  #stderr = '';
  #killed = false;
  #closedCleanly = false;
  #goAt = 0;
  #readyAfterMs: number | undefined;
  #afterReadyMs: number | undefined;
  #timers: ReturnType<typeof setTimeout>[] = [];

  /**
   * Spawns the child of `life`; it loads, then waits for {@link KillChildProcess.run}.
   *
   * @param options - the script and how to run it
   * @param life - its number, also written into its values
   * @param verify - whether it only recovers and closes (the last life)
   */
  constructor(options: KillChildSpawnOptions, life: number, verify: boolean) {
    this.life = life;
    this.verify = verify;
    this.#child = spawn(process.execPath, [...(options.execArgv ?? DEFAULT_EXEC_ARGV), options.childScript, ...(options.args ?? [])], {
      cwd: options.cwd ?? process.cwd(),
      env: { ...process.env, ...options.env, [KILL_MODE_ENV]: verify ? 'verify' : 'write', [KILL_LIFE_ENV]: String(life), [KILL_GO_ENV]: 'stdin' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // A child that died before GO leaves a broken pipe behind: that is reported through its exit.
    this.#child.stdin!.on('error', () => undefined);
    this.#child.stdout!.setEncoding('utf8');
    this.#child.stdout!.on('data', (chunk: string) => this.#onStdout(chunk));
    this.#child.stderr!.setEncoding('utf8');
    this.#child.stderr!.on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_TAIL);
    });
    this.#exit = new Promise((resolve) => {
      this.#child.once('error', (error) => {
        if (this.#child.pid === undefined) resolve({ code: null, signal: null, error });
      });
      this.#child.once('close', (code, signal) => resolve({ code, signal, error: undefined }));
    });
  }

  /**
   * Lets the child go, kills it as `plan` says (a verify child is never
   * killed), and resolves once it is gone and its output read to the end.
   */
  async run(handlers: KillLineHandlers, plan: KillPlan): Promise<KillLifeOutcome> {
    this.#handlers = handlers;
    this.#goAt = performance.now();
    this.#afterReadyMs = plan.afterReadyMs;
    let timedOut = false;
    if (plan.atMs !== undefined) this.#timers.push(setTimeout(() => this.kill(), plan.atMs));
    this.#timers.push(
      setTimeout(() => {
        if (this.#readyAfterMs !== undefined || this.#killed) return;
        timedOut = true;
        this.kill();
      }, plan.readyTimeoutMs),
    );
    for (const line of this.#early.splice(0)) this.#dispatch(line);
    this.#child.stdin!.end('GO\n');
    const { code, signal, error } = await this.#exit;
    for (const timer of this.#timers) clearTimeout(timer);
    const stderr = this.#stderr.trim();
    const tail = stderr === '' ? '' : `\n--- end of its stderr ---\n${stderr}`;
    let failure: string | undefined;
    if (error !== undefined) failure = `life ${this.life}: could not start the child: ${error.message}`;
    else if (timedOut) failure = `life ${this.life} printed no READY within ${plan.readyTimeoutMs} ms${tail}`;
    else if (this.verify && !(code === 0 && this.#closedCleanly)) {
      failure = `life ${this.life} (verify) did not recover and close cleanly: exit code ${String(code)}, signal ${String(signal)}${tail}`;
    } else if (!this.verify && !(this.#killed && signal === 'SIGKILL')) {
      failure = `life ${this.life} exited by itself (exit code ${String(code)}, signal ${String(signal)}) before it was killed${tail}`;
    }
    return { killed: this.#killed, readyAfterMs: this.#readyAfterMs, failure };
  }

  /** SIGKILLs the child, once, if it still runs. */
  kill(): void {
    if (this.#killed || this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#killed = true;
    this.#child.kill('SIGKILL');
  }

  /** Ends a child that will never run (the run stopped early), and waits for it. */
  async dispose(): Promise<void> {
    this.kill();
    await this.#exit;
  }

  #onStdout(chunk: string): void {
    this.#stdout += chunk;
    let start = 0;
    let end = this.#stdout.indexOf('\n');
    while (end >= 0) {
      const line = parseKillLine(this.#stdout.slice(start, end));
      if (this.#handlers === undefined) this.#early.push(line);
      else this.#dispatch(line);
      start = end + 1;
      end = this.#stdout.indexOf('\n', start);
    }
    this.#stdout = this.#stdout.slice(start);
  }

  #dispatch(line: KillLine): void {
    switch (line.type) {
      case 'ready':
        this.#readyAfterMs = performance.now() - this.#goAt;
        this.#handlers!.onReady(line.state);
        if (this.#afterReadyMs !== undefined) this.#timers.push(setTimeout(() => this.kill(), this.#afterReadyMs));
        break;
      case 'ack':
        this.#handlers!.onAck(line.ack);
        break;
      case 'closed':
        this.#closedCleanly = true;
        break;
      case 'other':
        break;
    }
  }
}
