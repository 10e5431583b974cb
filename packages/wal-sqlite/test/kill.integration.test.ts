import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runKillTest } from '@softadastra/sync-testing';
import { tempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./kill-child.ts', import.meta.url));
const KILLS = process.env['CI'] ? 100 : 20;

let temp: ReturnType<typeof tempDir>;

beforeEach(() => {
  temp = tempDir();
});

afterEach(() => {
  temp.remove();
});

describe('SIGKILL during writes', () => {
  it(`loses no acknowledged write and reuses no seq across ${KILLS} kills (synchronous 'full')`, async () => {
    const report = await runKillTest({ childScript: CHILD, args: [temp.dir, 'full'], kills: KILLS });
    const context = `seed ${report.seed}: ${JSON.stringify({ ...report, violations: report.violations.slice(0, 5) })}`;
    expect(report.violations, context).toEqual([]);
    expect(report.lost, context).toEqual([]);
    expect(report.reused, context).toEqual([]);
    expect(report.kills, context).toBe(KILLS);
    // The test proves something only if writes were acknowledged and recovered.
    expect(report.acknowledged, context).toBeGreaterThan(KILLS * 10);
    expect(report.recovered, context).toBeGreaterThanOrEqual(report.acknowledged);
  }, 300_000);

  it("keeps every acknowledged write across process kills with synchronous 'normal' too", async () => {
    const report = await runKillTest({ childScript: CHILD, args: [temp.dir, 'normal'], kills: 5 });
    const context = `seed ${report.seed}: ${JSON.stringify({ ...report, violations: report.violations.slice(0, 5) })}`;
    expect(report.violations, context).toEqual([]);
    expect(report.acknowledged, context).toBeGreaterThan(0);
  }, 120_000);
});
