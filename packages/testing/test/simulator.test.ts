import { describe, expect, it } from 'vitest';
import type { PlantedBug } from '@softadastra/sync-engine';
import { REGRESSION_SEEDS, drawScenario, failed, runScenario, runSimulation, shrinkScenario } from '../src/index.js';

describe('deterministic simulator', () => {
  it('replays a seed bit for bit', async () => {
    const first = await runSimulation(4242);
    const second = await runSimulation(4242);
    expect(second.trace).toEqual(first.trace);
    expect(second.steps).toBe(first.steps);
    expect(second.acked).toBe(first.acked);
    expect(first.steps).toBeGreaterThan(100);
    expect(first.ops).toBeGreaterThan(10);
  });

  it('runs the file WAL on a simulated disk as well as the memory WAL', async () => {
    const result = await runSimulation(77, { storage: 'file' });
    expect(result.scenario.storage).toBe('file');
    expect(result.trace[0]).toContain('file WAL');
    expect(result.violations).toEqual([]);
  });

  it('draws different worlds from different seeds', () => {
    const a = drawScenario(1);
    const b = drawScenario(2);
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(b));
    expect(drawScenario(1)).toEqual(a);
    expect(drawScenario(1, { peers: 5 }).peers).toBe(5);
  });

  for (const { seed, storage } of REGRESSION_SEEDS) {
    it(`keeps regression seed ${seed} (${storage} storage) clean`, async () => {
      const result = await runSimulation(seed, { storage });
      expect({ divergent: result.divergent, lost: result.lost, violations: result.violations }).toEqual({ divergent: 0, lost: 0, violations: [] });
      expect(result.convergedAfterMs).toBeDefined();
    });
  }

  const plants: PlantedBug[] = ['skip-dedupe', 'send-before-durable', 'early-covered', 'receiver-tiebreak'];
  for (const plant of plants) {
    it(`catches the planted bug ${plant} within 200 seeds of 5 peers`, async () => {
      let caughtAt: number | undefined;
      for (let seed = 1; seed <= 200 && caughtAt === undefined; seed++) {
        if (failed(await runSimulation(seed, { peers: 5, plant }))) caughtAt = seed;
      }
      expect(caughtAt).toBeDefined();
    }, 120_000);
  }

  it('shrinks a failing schedule to fewer events that still fail', async () => {
    const scenario = drawScenario(2, { peers: 5, plant: 'early-covered' });
    expect(failed(await runScenario(scenario))).toBe(true);
    const shrunk = await shrinkScenario(scenario, 30);
    expect(failed(shrunk.result)).toBe(true);
    expect(shrunk.scenario.actions.length).toBeLessThan(scenario.actions.length);
  }, 60_000);
});
