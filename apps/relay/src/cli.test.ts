import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError, runRelayCli } from './cli.js';

describe('runRelayCli', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a --max-clock-ahead that is not a positive number of seconds', async () => {
    for (const bad of ['abc', '0', '-5', 'Infinity']) {
      await expect(runRelayCli(['--port', '0', '--data', 'unused', '--quiet', `--max-clock-ahead=${bad}`])).rejects.toBeInstanceOf(UsageError);
    }
  });

  it('starts with a valid --max-clock-ahead', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'relay-cli-'));
    dirs.push(dir);
    const relay = await runRelayCli(['--port', '0', '--data', dir, '--quiet', '--max-clock-ahead', '30']);
    try {
      expect(relay.port).toBeGreaterThan(0);
    } finally {
      await relay.close();
    }
  });
});
