#!/usr/bin/env node
/**
 * The `softadastra` command.
 *
 *   softadastra relay [--port 8787] [--data ./relay-data] [--secret …]
 *   softadastra put <space> <collection/key> <json>
 *   softadastra get <space> <collection/key>
 *   softadastra del <space> <collection/key>
 *   softadastra list <space> [collection]
 *   softadastra watch <space> [collection]
 *   softadastra status <space>
 *   softadastra diff <peer-a> <peer-b> --space <space>
 *   softadastra wal inspect|verify|compact <dir or .sqlite>
 *
 * Data commands take --data DIR (the local peer; $SOFTADASTRA_DATA, default
 * ./.softadastra), --relay URL ($SOFTADASTRA_RELAY), --token ($SOFTADASTRA_TOKEN),
 * --transport auto|websocket|http, --timeout MS, --json.
 */
import { parseArgs } from 'node:util';
import { callerPath, runRelayCli } from '@softadastra/relay';
import { del, get, list, put, status, watch } from './commands/data.js';
import { diff } from './commands/diff.js';
import { wal } from './commands/wal.js';
import type { GlobalOptions } from './context.js';
import { CliError, EXIT, report } from './output.js';

const USAGE = `usage: softadastra <command> [options]

commands:
  relay [--port 8787] [--data ./relay-data] [--secret S] [--storage sqlite|file]   run a relay
  put <space> <collection/key> <json>      write a value (waits for the relay with --relay)
  get <space> <collection/key>             read a value (exit 3 if absent)
  del <space> <collection/key>             delete a key
  list <space> [collection]                list keys and values
  watch <space> [collection]               print changes as they happen
  status <space>                           sync status, pending writes, digest
  diff <peer-a> <peer-b> --space S         keys on which two peers differ (dirs or relay URLs; exit 6 if they do)
  wal inspect|verify|compact <path>        a file WAL directory or a .sqlite file (shows a torn tail it would cut; exit 5 if damaged)

options: --data DIR  --relay URL  --token T  --transport auto|websocket|http  --timeout MS  --json
exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 relay unreachable or timeout, 5 damaged storage, 6 peers differ`;

async function main(argv: readonly string[]): Promise<number> {
  // `pnpm softadastra -- get …` and `pnpm --filter @softadastra/cli start -- get …` pass the `--` on: skip it.
  const [command, ...rest] = argv[0] === '--' ? argv.slice(1) : argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === 'relay') {
    await runRelayCli(rest);
    await new Promise(() => undefined); // runs until a signal
    return EXIT.ok;
  }
  const { values, positionals } = parseArgs({
    args: [...rest],
    allowPositionals: true,
    options: {
      data: { type: 'string', default: process.env['SOFTADASTRA_DATA'] ?? './.softadastra' },
      relay: { type: 'string', ...(process.env['SOFTADASTRA_RELAY'] ? { default: process.env['SOFTADASTRA_RELAY'] } : {}) },
      token: { type: 'string', ...(process.env['SOFTADASTRA_TOKEN'] ? { default: process.env['SOFTADASTRA_TOKEN'] } : {}) },
      transport: { type: 'string', default: 'auto' },
      timeout: { type: 'string', default: '15000' },
      space: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const transport = values.transport;
  if (transport !== 'auto' && transport !== 'websocket' && transport !== 'http') throw new CliError('--transport must be auto, websocket or http', EXIT.usage);
  const timeoutMs = Number(values.timeout);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new CliError('--timeout must be a positive number of ms', EXIT.usage);
  // Relative to where the command was typed, not to apps/cli under `pnpm --filter @softadastra/cli start`.
  const options: GlobalOptions = { data: callerPath(values.data), relay: values.relay, token: values.token, json: values.json, timeoutMs, transport };
  switch (command) {
    case 'put':
      return put(options, positionals);
    case 'get':
      return get(options, positionals);
    case 'del':
      return del(options, positionals);
    case 'list':
      return list(options, positionals);
    case 'watch':
      return watch(options, positionals);
    case 'status':
      return status(options, positionals);
    case 'diff':
      return diff(options, positionals, values.space);
    case 'wal':
      return wal(options, positionals);
    default:
      throw new CliError(`unknown command ${JSON.stringify(command)}\n${USAGE}`, EXIT.usage);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.exitCode = (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? (console.error(`softadastra: ${(error as Error).message}`), EXIT.usage) : report(error);
}
