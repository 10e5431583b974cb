import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSyncError } from '@softadastra/sync-core';
import { runKillTest } from './kill-test.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'softadastra-kill-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('runKillTest', () => {
  it('stops and reports a child that fails on its own, with its stderr', async () => {
    const report = await runKillTest({ childScript: fixture('failing-child.ts'), args: [dir], kills: 3, earlyKills: 0 });
    expect(report.lives).toBe(1);
    expect(report.kills).toBe(0);
    expect(report.violations).toHaveLength(1);
    expect(report.violations[0]).toMatch(/life 0 exited by itself \(exit code 1[\s\S]*E_WAL_CORRUPT|fixture: the storage is damaged/);
  }, 60_000);

  it('refuses bad options with E_INVALID_ARGUMENT', async () => {
    for (const options of [
      { kills: -1 },
      { kills: 1.5 },
      { kills: 1, killAfterMs: { min: 10, max: 5 } },
      { kills: 1, ahead: -1 },
    ]) {
      const error: unknown = await runKillTest({ childScript: fixture('failing-child.ts'), ...options }).catch((caught: unknown) => caught);
      expect(isSyncError(error) && error.code).toBe('E_INVALID_ARGUMENT');
    }
  });
});
