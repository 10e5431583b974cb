import { parseArgs } from 'node:util';
import { createLogger } from './log.js';
import { createRelay, type Relay } from './relay.js';

/**
 * Runs the relay from command-line arguments:
 * `--port 8787 --data ./relay-data [--secret …] [--storage sqlite|file] [--host 127.0.0.1] [--max-clock-ahead 300] [--quiet]`.
 * Prints `relay listening on ws://HOST:PORT` once ready; SIGTERM or SIGINT
 * shut it down gracefully.
 *
 * @returns the running relay
 */
export async function runRelayCli(argv: readonly string[]): Promise<Relay> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string', default: '8787' },
      host: { type: 'string', default: '127.0.0.1' },
      data: { type: 'string', default: './relay-data' },
      secret: { type: 'string' },
      storage: { type: 'string', default: 'sqlite' },
      'max-clock-ahead': { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0–65535, got ${values.port}`);
  if (values.storage !== 'sqlite' && values.storage !== 'file') throw new UsageError('--storage must be sqlite or file');
  const clockAhead = values['max-clock-ahead'] === undefined ? undefined : Number(values['max-clock-ahead']);
  if (clockAhead !== undefined && !(Number.isFinite(clockAhead) && clockAhead > 0)) {
    throw new UsageError(`--max-clock-ahead must be a number of seconds > 0, got ${values['max-clock-ahead']}`);
  }
  const relay = await createRelay({
    dataDir: values.data,
    port,
    host: values.host,
    storage: values.storage,
    ...(values.secret !== undefined ? { secret: values.secret } : {}),
    ...(values.quiet ? { logger: createLogger(false) } : {}),
    ...(clockAhead !== undefined ? { limits: { maxClockAheadMs: clockAhead * 1000 } } : {}),
  });
  console.log(`relay listening on ${relay.url}`);
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      relay.close().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error('relay: shutdown failed', error);
          process.exit(1);
        },
      );
    });
  }
  return relay;
}

/** A mistake in the command line (exit code 2). */
export class UsageError extends Error {}
