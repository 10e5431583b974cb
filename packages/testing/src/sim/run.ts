import { opIdKey } from '@softadastra/sync-core';
import { compareOperations } from '@softadastra/sync-reconciler';
import type { Violation } from './history.js';
import { drawScenario, type Scenario, type ScenarioOptions } from './scenario.js';
import { SimWorld } from './world.js';

/** Longest the heal phase may take to converge, in virtual ms, before it is a liveness failure. */
export const HEAL_BUDGET_MS = 120_000;

/** The outcome of one simulated run. */
export interface SimulationResult {
  readonly seed: number;
  readonly scenario: Scenario;
  /** Timer events executed (deliveries, retries, fsyncs, …). */
  readonly steps: number;
  /** Writes issued by the application. */
  readonly ops: number;
  /** Writes acknowledged to the application (their put() resolved). */
  readonly acked: number;
  /** Peers whose state or vector differs from the first peer's at the end. */
  readonly divergent: number;
  /** Acknowledged writes missing (or beaten by nothing newer) at some peer at the end. */
  readonly lost: number;
  /** Every invariant broken. */
  readonly violations: readonly Violation[];
  /** Virtual ms the heal phase took to converge, if it did. */
  readonly convergedAfterMs: number | undefined;
  /** What happened, in order. */
  readonly trace: readonly string[];
}

/** Whether a run broke anything. */
export function failed(result: SimulationResult): boolean {
  return result.divergent > 0 || result.lost > 0 || result.violations.length > 0;
}

/**
 * Runs one seed: draws its scenario, runs the fault phase, heals, and checks
 * every invariant. Deterministic: the same seed and options give the same
 * result, bit for bit.
 */
export async function runSimulation(seed: number, options: ScenarioOptions = {}): Promise<SimulationResult> {
  return runScenario(drawScenario(seed, options));
}

/** Runs a given scenario (e.g. a shrunk one). */
export async function runScenario(scenario: Scenario): Promise<SimulationResult> {
  const world = new SimWorld(scenario);
  const { history } = world;
  world.log(`seed ${scenario.seed}: ${scenario.peers} peers, ${scenario.topology}, faults ${JSON.stringify(scenario.faults)}, ${scenario.storage} WAL, fsync ${scenario.walLatencyMs} ms${scenario.flow ? `, flow ${JSON.stringify(scenario.flow)}` : ''}${scenario.plant ? `, planted bug ${scenario.plant}` : ''}`);
  await world.boot();
  const bootedAt = world.clock.now() - world.start;
  for (const action of scenario.actions) {
    await world.runUntil(bootedAt + action.at);
    world.execute(action);
    world.sample();
  }
  await world.runUntil(bootedAt + scenario.faultPhaseMs);
  world.sample();

  // Heal, then give the peers a bounded time to converge.
  world.heal();
  const healedAt = world.clock.now();
  let convergedAfterMs: number | undefined;
  while (world.clock.now() - healedAt < HEAL_BUDGET_MS) {
    await world.runUntil(world.clock.now() - world.start + 250);
    world.sample();
    if (world.converged()) {
      convergedAfterMs = world.clock.now() - healedAt;
      break;
    }
  }
  world.log(convergedAfterMs === undefined ? `did not converge within ${HEAL_BUDGET_MS} ms of healing` : `converged ${convergedAfterMs} ms after healing`);
  if (convergedAfterMs === undefined) history.violate('liveness', `the peers did not converge within ${HEAL_BUDGET_MS / 1000} s of virtual time after the network healed`);

  // Final invariants.
  const engines = world.engines();
  let divergent = 0;
  const first = engines[0];
  if (first !== undefined) {
    const root = first.digest().root;
    const vv = first.versionVector();
    for (const engine of engines.slice(1)) if (engine.digest().root !== root || !engine.versionVector().equals(vv)) divergent++;
  }
  divergent += scenario.peers - engines.length;

  let lost = 0;
  for (const op of history.acked) {
    const missing = engines.filter((engine) => {
      const winner = engine.getOperation(op.collection, op.key);
      return !engine.versionVector().has(op) || winner === undefined || compareOperations(winner, op) < 0;
    });
    if (missing.length > 0) {
      lost++;
      if (lost <= 5) world.log(`LOST acknowledged write ${opIdKey(op)} (${op.collection}/${op.key}) at ${missing.map((e) => e.peerId).join(', ')}`);
    }
  }

  const expected = history.expectedWinners();
  for (const engine of engines) {
    const wrong: string[] = [];
    for (const [place, op] of expected) {
      const slash = place.indexOf('/');
      const held = engine.getOperation(place.slice(0, slash), place.slice(slash + 1));
      if (held === undefined || held.origin !== op.origin || held.seq !== op.seq) wrong.push(`${place} holds ${held ? opIdKey(held) : 'nothing'}, expected ${opIdKey(op)}`);
    }
    if (wrong.length > 0) history.violate('wrong-winner', `${engine.peerId}: ${wrong.length} key(s) with a winner that is not the newest durable write (${wrong.slice(0, 3).join('; ')})`);
  }
  if (convergedAfterMs !== undefined) await world.checkReplay();

  return {
    seed: scenario.seed,
    scenario,
    steps: world.steps,
    ops: history.writesIssued,
    acked: history.acked.length,
    divergent,
    lost,
    violations: history.violations,
    convergedAfterMs,
    trace: world.trace,
  };
}
