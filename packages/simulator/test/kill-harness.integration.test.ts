import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runKillTest } from '@softadastra/sync-testing/kill';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// The SIGKILL harness of @softadastra/sync-testing on real WALs through the real engine. It lives here,
// beside the simulator that depends on the whole stack: sync-testing itself depends on core only, so
// that the adapters it tests can depend on it without a cycle.

const fixture = (name: string): string => fileURLToPath(new URL(`./${name}`, import.meta.url));

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'softadastra-kill-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('runKillTest on real WALs', () => {
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

});
