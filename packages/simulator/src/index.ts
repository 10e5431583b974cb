/**
 * The deterministic simulator of Softadastra Sync: runs the real engine, the
 * real WALs (in memory, or the file WAL on a simulated disk that crashes
 * inside writes) and the memory transport under every fault, on virtual
 * time, replayable from a seed, and checks every run against an oracle.
 *
 * @packageDocumentation
 */
export { runSimulation, runScenario, failed, HEAL_BUDGET_MS } from './run.js';
export type { SimulationResult } from './run.js';
export { PLANTS, drawScenario, edgesOf } from './scenario.js';
export type { Scenario, ScenarioOptions, SimAction, SimFaults, SimPlant, Topology, TypedUpdate, TypedWrite } from './scenario.js';
export { expectedState, isNewerWrite } from './oracle.js';
export { expectedTypedValue, counterSpec, setSpec, mvSpec, mapSpec } from './policy-specs.js';
export type { HostileValue } from './hostile.js';
export { shrinkScenario } from './shrink.js';
export type { Violation } from './history.js';
export { REGRESSION_SEEDS } from './regressions.js';
export type { SimStorage } from './sim-disk.js';
