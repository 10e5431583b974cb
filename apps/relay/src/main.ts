#!/usr/bin/env node
/**
 * `pnpm relay --port 8787 --data ./relay-data [--secret …] [--jwks URL|FILE] [--audience …] [--issuer …] [--clock-tolerance S] [--storage sqlite|file] [--host 127.0.0.1] [--max-clock-ahead 300] [--log-level info] [--quiet]`
 */
import { UsageError, runRelayCli } from './cli.js';

try {
  await runRelayCli(process.argv.slice(2));
} catch (error) {
  console.error(`relay: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1);
}
