import { opIdKey, type Operation, type OperationType } from '@softadastra/sync-core';
import { contentOf, type Violation } from './history.js';
import { isNewerWrite, placeOf } from './oracle.js';
import { drawScenario, type Scenario, type ScenarioOptions } from './scenario.js';
import { isTypedOp } from './policy-specs.js';
import { checkTypedCollections } from './typed-check.js';
import { SimWorld, causeMissing } from './world.js';

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
  /** Peers that reset from the collection authority (a snapshot taken after the GC horizon). */
  readonly resets: number;
  /** Virtual ms the heal phase took to converge, if it did. */
  readonly convergedAfterMs: number | undefined;
  /** What happened, in order. */
  readonly trace: readonly string[];
}

function parseId(id: string): { origin: string; seq: number } {
  const colon = id.lastIndexOf(':');
  return { origin: id.slice(0, colon), seq: Number(id.slice(colon + 1)) };
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
  const storageLabel = scenario.storage === 'mixed' ? `mixed WAL (file at ${scenario.storages.flatMap((s, i) => (s === 'file' ? [`p${i}`] : [])).join(',')})` : `${scenario.storage} WAL`;
  const typedCollections = new Map(Object.entries(scenario.collections).filter((entry): entry is [string, OperationType] => entry[1] !== 'lww'));
  const declared = Object.keys(scenario.collections).length === 0 ? '' : `, collections ${JSON.stringify(scenario.collections)}${scenario.relay === undefined ? '' : ` (p${scenario.relay} a relay that declares none)`}`;
  world.log(`seed ${scenario.seed}: ${scenario.peers} peers, ${scenario.topology}, ${scenario.keys} keys, faults ${JSON.stringify(scenario.faults)}, ${storageLabel}, fsync ${scenario.walLatencyMs} ms${scenario.flow ? `, flow ${JSON.stringify(scenario.flow)}` : ''}${declared}${scenario.causal ? ', causal' : ''}${scenario.gc ? `, gc horizon ${scenario.gc.horizonMs} ms` : ''}${scenario.plant ? `, planted bug ${scenario.plant}` : ''}`);
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
  // Causal spaces: nothing whose cause is held may still be held back once the world has converged. (An
  // operation whose writer lost its earlier ones with a rotted disk can wait forever: nobody has them.)
  for (const engine of engines) {
    const held = engine.heldVector();
    for (const op of engine.waitingOperations()) {
      if (causeMissing(held, op).length === 0) {
        history.violate('liveness', `${engine.peerId} still holds back ${opIdKey(op)} after convergence, though what its writer had seen is here`);
      }
    }
  }

  // Against the reference model (oracle.ts), never against the engine's own comparison.
  const isAtLeast = (held: Operation, op: Operation): boolean => (held.origin === op.origin && held.seq === op.seq) || isNewerWrite(held, op);
  let lost = 0;
  for (const op of history.acked) {
    // A write that lived only on a disk that rotted went with it (see SimWorld.#replace).
    if (!history.survives(op) || isTypedOp(op)) continue;
    const missing = engines.filter((engine) => {
      const winner = engine.getOperation(op.collection, op.key);
      return !engine.versionVector().has(op) || winner === undefined || !isAtLeast(winner, op);
    });
    if (missing.length > 0) {
      lost++;
      if (lost <= 5) world.log(`LOST acknowledged write ${opIdKey(op)} (${op.collection}/${op.key}) at ${missing.map((e) => e.peerId).join(', ')}`);
    }
  }

  // Each peer's whole state must be the oracle's: the newest surviving write of every key, byte for byte, and nothing else.
  const expected = history.expectedWinners();
  for (const engine of engines) {
    const wrong: string[] = [];
    for (const [place, op] of expected) {
      const held = engine.getOperation(op.collection, op.key);
      if (held === undefined || held.origin !== op.origin || held.seq !== op.seq) wrong.push(`${place} holds ${held ? opIdKey(held) : 'nothing'}, expected ${opIdKey(op)}`);
      else if (contentOf(held) !== contentOf(op)) wrong.push(`${place} holds ${opIdKey(op)} with other content`);
    }
    for (const leaf of engine.digest({ leaves: true }).leaves ?? []) {
      // Typed keys hold several operations, one leaf each: checked against the typed specs below.
      if (typedCollections.has(leaf.collection)) {
        if (!engine.versionVector().has(parseId(leaf.winner))) wrong.push(`${placeOf(leaf)} holds ${leaf.winner}, which its vector does not`);
        continue;
      }
      if (!expected.has(placeOf(leaf))) wrong.push(`${placeOf(leaf)} holds ${leaf.winner}, which no surviving peer accepted`);
    }
    if (wrong.length > 0) history.violate('wrong-winner', `${engine.peerId}: ${wrong.length} key(s) whose winner is not the newest write (${wrong.slice(0, 3).join('; ')})`);
  }

  // Typed keys against the reference specs (policy-specs.ts), once the peers converged (nothing is then on its way).
  if (convergedAfterMs !== undefined) {
    // A relay that declared nothing reads its typed keys like the others once told their policies.
    if (scenario.relay !== undefined) for (const [collection, type] of typedCollections) world.peers[scenario.relay]?.engine?.declare(collection, type);
    lost += checkTypedCollections(history, engines, typedCollections, (message) => world.log(message));
  } else {
    for (const op of history.acked) if (isTypedOp(op) && history.survives(op) && engines.some((engine) => !engine.versionVector().has(op))) lost++;
  }

  // A refused write leaves no trace: not in any state, not in any WAL, and it took no seq.
  for (const [place, what] of history.refused) {
    const slash = place.indexOf('/');
    const holders = engines.filter((engine) => engine.getOperation(place.slice(0, slash), place.slice(slash + 1)) !== undefined).map((e) => e.peerId);
    const durable = [...history.durable.values()].some((op) => placeOf(op) === place);
    if (holders.length > 0 || durable) history.violate('hostile-accepted', `the refused write ${what} at ${place.slice(0, 60)} appears ${durable ? 'in a WAL' : ''} ${holders.length ? `in the state of ${holders.join(', ')}` : ''}`);
  }
  if (convergedAfterMs !== undefined) {
    for (const engine of engines) {
      const vv = engine.versionVector();
      for (const origin of vv.origins()) {
        if (!history.destroyed.has(origin) && vv.hasGap(origin)) history.violate('seq-gap', `${engine.peerId}'s vector has a gap in ${origin}'s seqs (${JSON.stringify(vv.ranges(origin)).slice(0, 80)}): a seq was taken and never written`);
      }
    }
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
    resets: history.resets,
    convergedAfterMs,
    trace: world.trace,
  };
}
