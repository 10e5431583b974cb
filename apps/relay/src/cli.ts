import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { JSONWebKeySet } from 'jose';
import { createLogger, type LogLevel } from './log.js';
import { createRelay, type Relay } from './relay.js';

/**
 * Runs the relay from command-line arguments:
 * `--port 8787 --data ./relay-data [--secret …] [--jwks URL|FILE] [--audience …] [--issuer …] [--clock-tolerance S]
 * [--storage sqlite|file] [--host 127.0.0.1] [--max-clock-ahead 300] [--gc-horizon SECONDS] [--log-level info] [--quiet]`.
 * Relative paths (`--data`, a `--jwks` file) are resolved against the directory the command was typed in
 * (`INIT_CWD` under `pnpm`/`npm`, which run scripts in the package's directory). Prints `relay listening on ws://HOST:PORT` once ready; SIGTERM or SIGINT
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
      jwks: { type: 'string' },
      audience: { type: 'string', multiple: true },
      issuer: { type: 'string', multiple: true },
      'clock-tolerance': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      storage: { type: 'string', default: 'sqlite' },
      'max-clock-ahead': { type: 'string' },
      'gc-horizon': { type: 'string' },
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
  const horizon = values['gc-horizon'] === undefined ? undefined : Number(values['gc-horizon']);
  if (horizon !== undefined && !(Number.isFinite(horizon) && horizon > 0)) throw new UsageError(`--gc-horizon must be a number of seconds > 0, got ${values['gc-horizon']}`);
  const tolerance = values['clock-tolerance'] === undefined ? undefined : Number(values['clock-tolerance']);
  if (tolerance !== undefined && !(Number.isFinite(tolerance) && tolerance >= 0)) throw new UsageError(`--clock-tolerance must be a number of seconds ≥ 0, got ${values['clock-tolerance']}`);
  const levels: readonly string[] = ['debug', 'info', 'warn', 'error', 'silent'];
  if (!levels.includes(values['log-level'])) throw new UsageError(`--log-level must be one of ${levels.join(', ')}`);
  const level = values['log-level'] as LogLevel;
  const jwks = values.jwks === undefined ? undefined : await loadJwks(values.jwks);
  const relay = await createRelay({
    dataDir: callerPath(values.data),
    port,
    host: values.host,
    storage: values.storage,
    ...(values.secret !== undefined ? { secret: values.secret } : {}),
    ...(jwks !== undefined ? { jwks } : {}),
    ...(values.audience !== undefined ? { audience: values.audience } : {}),
    ...(values.issuer !== undefined ? { issuer: values.issuer } : {}),
    ...(tolerance !== undefined ? { clockToleranceSec: tolerance } : {}),
    ...(values.quiet ? { logger: createLogger(false) } : level !== 'info' ? { logger: createLogger(undefined, { level }) } : {}),
    ...(clockAhead !== undefined ? { limits: { maxClockAheadMs: clockAhead * 1000 } } : {}),
    ...(horizon !== undefined ? { gc: { horizonMs: horizon * 1000 } } : {}),
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

/**
 * A path from the command line, made absolute against the directory the user
 * typed the command in. `pnpm relay` and `npm run` run a script in the
 * package's own directory and say where the user was in `INIT_CWD`; that is
 * believed only while the working directory is still that package's (a child
 * process started elsewhere inherits `INIT_CWD` but not its meaning).
 *
 * @param path - as given
 * @param env - the environment @default process.env
 * @param cwd - the working directory @default process.cwd()
 */
export function callerPath(path: string, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  if (isAbsolute(path)) return path;
  const initCwd = env['INIT_CWD'];
  const scriptPackage = env['npm_package_json'];
  const runByScript = initCwd !== undefined && isAbsolute(initCwd) && scriptPackage !== undefined && resolve(dirname(scriptPackage)) === resolve(cwd);
  return resolve(runByScript ? initCwd : cwd, path);
}

/** `--jwks`: an `http(s)://` URL (fetched and cached by the relay), or a JSON file of keys (`{ "keys": [...] }`). */
async function loadJwks(value: string): Promise<string | JSONWebKeySet> {
  if (/^https?:\/\//.test(value)) return value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(callerPath(value), 'utf8'));
  } catch (error) {
    throw new UsageError(`--jwks ${value}: not an http(s) URL, nor a readable JSON file (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { keys?: unknown }).keys)) throw new UsageError(`--jwks ${value}: the file must hold a JWKS, { "keys": [...] }`);
  return parsed as JSONWebKeySet;
}
