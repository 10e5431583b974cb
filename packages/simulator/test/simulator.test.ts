import { describe, expect, it } from 'vitest';
import { PLANTS, REGRESSION_SEEDS, drawScenario, failed, runScenario, runSimulation, shrinkScenario } from '../src/index.js';

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

  it('runs wal-indexeddb over fake-indexeddb, and replays such a seed bit for bit, even with another run of it interleaved', async () => {
    // Seed 38 (6 peers, typed collections): crashes abort commits under way, kill commits whose acknowledgement was not
    // delivered, commit a held write whole with 'keep', and a rotten row is refused and the peer replaced.
    // (Seed 17 did until typed collections changed its world.)
    const [first, interleaved] = await Promise.all([runSimulation(38, { storage: 'indexeddb' }), runSimulation(38, { storage: 'indexeddb' })]);
    const second = await runSimulation(38, { storage: 'indexeddb' });
    expect(first.scenario.storages.every((kind) => kind === 'indexeddb')).toBe(true);
    expect(first.trace[0]).toContain('indexeddb WAL');
    for (const again of [interleaved, second]) {
      expect(again.trace).toEqual(first.trace);
      expect([again.steps, again.ops, again.acked]).toEqual([first.steps, first.ops, first.acked]);
    }
    const seen = (pattern: RegExp): boolean => first.trace.some((line) => pattern.test(line));
    expect(seen(/IndexedDB at the crash: \d+ uncommitted write transaction\(s\) aborted whole/), 'a commit under way aborted whole').toBe(true);
    expect(seen(/IndexedDB at the crash: .*commit whole, unacknowledged/), "a held commit kept whole ('keep')").toBe(true);
    expect(seen(/committed, never acknowledged/), 'a commit done, its acknowledgement lost').toBe(true);
    expect(seen(/refused its rotten WAL \(E_WAL_CORRUPT\)/), 'a rotten row refused').toBe(true);
    expect({ divergent: first.divergent, lost: first.lost, violations: first.violations }).toEqual({ divergent: 0, lost: 0, violations: [] });
    expect(first.steps).toBeGreaterThan(1_000);
  });

  it('draws different worlds from different seeds', () => {
    const a = drawScenario(1);
    const b = drawScenario(2);
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(b));
    expect(drawScenario(1)).toEqual(a);
    expect(drawScenario(1, { peers: 5 }).peers).toBe(5);
  });

  for (const { seed, storage } of REGRESSION_SEEDS) {
    for (const worlds of ['original', 'current'] as const) {
      it(`keeps regression seed ${seed} (${storage} storage, ${worlds} worlds) clean`, async () => {
        const result = await runSimulation(seed, { storage, worlds });
        expect({ divergent: result.divergent, lost: result.lost, violations: result.violations }).toEqual({ divergent: 0, lost: 0, violations: [] });
        expect(result.convergedAfterMs).toBeDefined();
      });
    }
  }

  it('draws the original worlds of a regression seed unchanged by the newer draws', () => {
    const original = drawScenario(20, { storage: 'memory', worlds: 'original' });
    const current = drawScenario(20, { storage: 'memory' });
    const older = (kind: string): boolean => ['write', 'burst', 'crash', 'cut', 'heal', 'partition', 'heal-all', 'block', 'clock-jump', 'wal-failure'].includes(kind);
    expect(original.actions.every((a) => older(a.kind))).toBe(true);
    expect(current.actions.filter((a) => older(a.kind) && !(a.kind === 'write' && a.value >= 10_000))).toEqual(original.actions);
  });

  it('draws wide worlds, mixed storage, power cuts, bit rot, hostile values, rapid writes and storms', () => {
    const scenarios = Array.from({ length: 100 }, (_, i) => drawScenario(i + 1));
    const share = (test: (s: (typeof scenarios)[number]) => boolean): number => scenarios.filter(test).length;
    const has = (kind: string) => (s: (typeof scenarios)[number]) => s.actions.some((a) => a.kind === kind);
    expect(share((s) => s.keys >= 150)).toBeGreaterThan(10);
    expect(share((s) => s.storage === 'mixed' && s.storages.includes('file') && s.storages.includes('memory'))).toBeGreaterThan(15);
    expect(share((s) => s.storages.every((kind) => kind === 'file'))).toBeGreaterThan(30);
    for (const kind of ['power-cut', 'bit-rot', 'hostile-write', 'rapid', 'storm']) expect(share(has(kind)), kind).toBeGreaterThan(10);
  });

  it('draws typed collections in most seeds, each policy in many, with LWW writes kept and some undeclared relays', () => {
    const scenarios = Array.from({ length: 100 }, (_, i) => drawScenario(i + 1));
    const share = (test: (s: (typeof scenarios)[number]) => boolean): number => scenarios.filter(test).length;
    for (const policy of ['counter', 'set', 'mv', 'map']) {
      expect(share((s) => s.collections[policy] === policy && s.actions.some((a) => a.kind === 'update' && a.collection === policy)), policy).toBeGreaterThan(35);
    }
    expect(share((s) => s.collections['todos'] === 'lww')).toBeGreaterThan(15);
    expect(share((s) => s.relay !== undefined && s.topology === 'star')).toBeGreaterThan(5);
    expect(share((s) => s.actions.some((a) => a.kind === 'power-cut' && (a.updates?.length ?? 0) > 0))).toBeGreaterThan(25);
    // The LWW writes are as many as without typed collections.
    expect(share((s) => s.actions.filter((a) => a.kind === 'write').length >= 20)).toBe(100);
    // The original worlds have none.
    expect(drawScenario(20, { worlds: 'original' }).collections).toEqual({});
  });

  it('runs typed collections clean under faults, an undeclared relay included, and checks every typed key', async () => {
    const picked: number[] = [];
    let relay = false;
    for (let seed = 1; picked.length < 4 || !relay; seed++) {
      const scenario = drawScenario(seed);
      const policies = Object.values(scenario.collections).filter((p) => p !== 'lww');
      if (policies.length < 2 || scenario.peers > 5) continue;
      if (scenario.relay !== undefined && !relay) relay = true;
      else if (picked.length >= 4) continue;
      picked.push(seed);
    }
    for (const seed of picked) {
      const result = await runSimulation(seed);
      expect({ seed, divergent: result.divergent, lost: result.lost, violations: result.violations }).toEqual({ seed, divergent: 0, lost: 0, violations: [] });
      const checked = result.trace.filter((line) => / surviving operations\) shows /.test(line));
      expect(checked.length, `seed ${seed} checked its typed keys`).toBeGreaterThan(0);
    }
  }, 120_000);

  for (const plant of ['counter-sum', 'set-remove-wins', 'mv-lww', 'map-whole'] as const) {
    it(`sees the planted policy bug ${plant} only through its reference specs, within 20 seeds of 5 peers`, async () => {
      let caught: Awaited<ReturnType<typeof runSimulation>> | undefined;
      for (let seed = 1; seed <= 20 && caught === undefined; seed++) {
        const result = await runSimulation(seed, { peers: 5, plant });
        if (failed(result)) caught = result;
      }
      expect(caught).toBeDefined();
      // Every peer shares the defect: they converge, on a value off the specification.
      expect(caught!.divergent).toBe(0);
      expect(caught!.violations.some((v) => v.kind === 'wrong-value')).toBe(true);
    }, 120_000);
  }

  it('draws causal spaces in about a third of the seeds and runs them clean: no peer shows an operation before what its writer had seen', async () => {
    const causal = Array.from({ length: 300 }, (_, i) => drawScenario(i + 1)).filter((scenario) => scenario.causal);
    expect(causal.length).toBeGreaterThan(70);
    expect(causal.length).toBeLessThan(130);
    for (const scenario of causal.filter((s) => s.peers <= 5).slice(0, 4)) {
      const result = await runScenario(scenario);
      expect({ seed: scenario.seed, divergent: result.divergent, lost: result.lost, violations: result.violations }).toEqual({ seed: scenario.seed, divergent: 0, lost: 0, violations: [] });
    }
  }, 120_000);

  it('catches the planted defect that shows causal operations at once (ignore-deps) as causal violations', async () => {
    let caught: Awaited<ReturnType<typeof runSimulation>> | undefined;
    for (let seed = 1; seed <= 10 && caught === undefined; seed++) {
      const result = await runSimulation(seed, { peers: 5, plant: 'ignore-deps' });
      if (failed(result)) caught = result;
    }
    expect(caught).toBeDefined();
    expect(caught!.violations.some((v) => v.kind === 'causal')).toBe(true);
    expect(caught!.divergent).toBe(0);
  }, 120_000);

  it('refuses a WAL that rotted in the middle and replaces the peer, which then converges with the others', async () => {
    let replaced: Awaited<ReturnType<typeof runSimulation>> | undefined;
    for (let seed = 1; seed <= 100 && replaced === undefined; seed++) {
      const scenario = drawScenario(seed, { storage: 'file' });
      if (!scenario.actions.some((a) => a.kind === 'bit-rot')) continue;
      const result = await runScenario(scenario);
      if (result.trace.some((line) => line.includes('replaced by'))) replaced = result;
    }
    expect(replaced).toBeDefined();
    expect(replaced!.trace.some((line) => /refused its rotten WAL \(E_WAL_CORRUPT\)/.test(line))).toBe(true);
    expect({ divergent: replaced!.divergent, lost: replaced!.lost, violations: replaced!.violations }).toEqual({ divergent: 0, lost: 0, violations: [] });
    expect(replaced!.convergedAfterMs).toBeDefined();
  }, 60_000);

  it('refuses hostile values with a typed error and leaves no trace of them', async () => {
    let checked = 0;
    for (let seed = 1; seed <= 40 && checked < 3; seed++) {
      const scenario = drawScenario(seed);
      if (!scenario.actions.some((a) => a.kind === 'hostile-write')) continue;
      const result = await runScenario(scenario);
      if (!result.trace.some((line) => /hostile write .* refused: E_/.test(line))) continue;
      checked++;
      expect(result.violations).toEqual([]);
    }
    expect(checked).toBe(3);
  }, 60_000);

  it('catches a comparison every peer gets wrong alike only through its own reference model', async () => {
    let caught: Awaited<ReturnType<typeof runSimulation>> | undefined;
    for (let seed = 1; seed <= 50 && caught === undefined; seed++) {
      const result = await runSimulation(seed, { peers: 5, plant: 'compare-operations' });
      if (failed(result)) caught = result;
    }
    expect(caught).toBeDefined();
    // The peers agree with each other (the engines share the mistake): only the oracle sees it.
    expect(caught!.divergent).toBe(0);
    expect(caught!.violations.some((v) => v.kind === 'wrong-winner') || caught!.lost > 0).toBe(true);
  }, 60_000);

  for (const plant of PLANTS) {
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
