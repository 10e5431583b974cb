import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runKillTest } from '@softadastra/sync-testing/kill';

const CHILD = fileURLToPath(new URL('./kill-child.ts', import.meta.url));
const KILLS = process.env['CI'] ? 100 : 20;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wal-file-kill-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('SIGKILL during writes', () => {
  it(`loses no acknowledged write and reuses no seq across ${KILLS} kills of a real process`, async () => {
    const report = await runKillTest({ childScript: CHILD, args: [dir], kills: KILLS });
    const context = `seed ${report.seed}: ${JSON.stringify({ ...report, violations: report.violations.slice(0, 5) })}`;
    expect(report.violations, context).toEqual([]);
    expect(report.lost, context).toEqual([]);
    expect(report.reused, context).toEqual([]);
    expect(report.kills, context).toBe(KILLS);
    // Proves something only if writes were acknowledged and recovered.
    expect(report.acknowledged, context).toBeGreaterThan(KILLS * 10);
    expect(report.recovered, context).toBeGreaterThanOrEqual(report.acknowledged);
  }, 300_000);
});
