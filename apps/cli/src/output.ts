import { isSyncError, setLongTimeout, type LongTimeout, type SyncProgress } from '@softadastra/sdk';

/** Exit codes of the `softadastra` command. */
export const EXIT = {
  ok: 0,
  /** An error (details on stderr). */
  error: 1,
  /** A mistake in the command line. */
  usage: 2,
  /** The key (or space) does not exist. */
  notFound: 3,
  /** The relay could not be reached, or did not answer in time. */
  network: 4,
  /** Storage is damaged (E_WAL_CORRUPT). */
  corrupt: 5,
  /** `diff`: the two peers differ. */
  differ: 6,
} as const;

/** A failure with its exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Prints a failure on stderr and returns its exit code. */
export function report(error: unknown): number {
  if (error instanceof CliError) {
    console.error(`softadastra: ${error.message}`);
    return error.exitCode;
  }
  if (isSyncError(error)) {
    console.error(`softadastra: ${error.code}: ${error.message}`);
    if (error.code === 'E_WAL_CORRUPT') return EXIT.corrupt;
    if (error.code === 'E_TIMEOUT' || error.code === 'E_TRANSPORT' || error.code === 'E_CLOSED') return EXIT.network;
    if (error.code === 'E_INVALID_ARGUMENT') return EXIT.usage;
    return EXIT.error;
  }
  console.error(`softadastra: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return EXIT.error;
}

/**
 * A progress bar on stderr for long syncs (only on a terminal): operations
 * and bytes received or sent.
 */
export function progressBar(enabled: boolean): { update(space: string, progress: SyncProgress): void; done(): void } {
  let shown = false;
  return {
    update(space, progress) {
      if (!enabled) return;
      const total = progress.totalOps ?? 0;
      const width = 24;
      const filled = total > 0 ? Math.min(width, Math.round((progress.ops / total) * width)) : width;
      const bar = total > 0 ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` : '';
      process.stderr.write(`\r${space} ${progress.direction === 'send' ? 'sending' : 'receiving'} ${bar}${progress.ops.toLocaleString('en')}${total ? `/${total.toLocaleString('en')}` : ''} ops ${formatBytes(progress.bytes)}   `);
      shown = true;
    },
    done() {
      if (shown) process.stderr.write('\n');
      shown = false;
    },
  };
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Waits for `promise`, or fails with a network error after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: LongTimeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        // A long timer: `--timeout` past 2^31−1 ms must not fire at once.
        timer = setLongTimeout(() => reject(new CliError(`${what}: no answer within ${ms} ms (is the relay running? --timeout to wait longer)`, EXIT.network)), ms);
      }),
    ]);
  } finally {
    timer?.cancel();
  }
}
