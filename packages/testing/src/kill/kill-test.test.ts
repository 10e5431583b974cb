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
  it('finds nothing wrong with a WAL that syncs every append before acknowledging it', async () => {
    const report = await runKillTest({ childScript: fixture('file-wal-child.ts'), args: [dir], kills: 4, seed: 7 });
    expect(report.violations, `seed ${report.seed}`).toEqual([]);
    expect(report.kills).toBe(4);
    expect(report.lives).toBe(5);
    expect(report.seed).toBe(7);
    expect(report.acknowledged).toBeGreaterThan(0);
    expect(report.recovered).toBeGreaterThanOrEqual(report.acknowledged);
  }, 60_000);

  it('reports the acknowledged writes a WAL loses when its process is killed', async () => {
    const report = await runKillTest({ childScript: fixture('memory-wal-child.ts'), args: [dir], kills: 2, earlyKills: 0, killAfterMs: { min: 60, max: 80 } });
    expect(report.acknowledged).toBeGreaterThan(0);
    expect(report.lost.length).toBe(report.acknowledged);
    expect(report.violations.some((violation) => violation.startsWith('lost:'))).toBe(true);
  }, 60_000);

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
