/**
 * Proof tools for Softadastra Sync: conformance suites that every WAL and
 * transport adapter runs, and a deterministic simulator that runs the real
 * engine under every fault, on virtual time, replayable from a seed.
 *
 * @packageDocumentation
 */
export { runWalConformance } from './conformance/wal-conformance.js';
export type { WalConformanceSetup, WalHarness, WalCrashOptions, WalInFlight } from './conformance/wal-harness.js';
export { runTransportConformance } from './conformance/transport-conformance.js';
export { recordConnection, until, sleep } from './connection-recorder.js';
export type { RecordedConnection } from './connection-recorder.js';
export type { TransportConformanceSetup, TransportPair } from './conformance/transport-harness.js';
export { runSimulation, runScenario, failed, HEAL_BUDGET_MS } from './sim/run.js';
export type { SimulationResult } from './sim/run.js';
export { PLANTS, drawScenario, edgesOf } from './sim/scenario.js';
export type { Scenario, ScenarioOptions, SimAction, SimFaults, SimPlant, Topology } from './sim/scenario.js';
export { expectedState, isNewerWrite } from './sim/oracle.js';
export type { HostileValue } from './sim/hostile.js';
export { shrinkScenario } from './sim/shrink.js';
export type { Violation } from './sim/history.js';
export { REGRESSION_SEEDS } from './sim/regressions.js';
export type { SimStorage } from './sim/sim-disk.js';
export { runKillTest, runKillChild } from './kill/index.js';
export type { KillTestOptions, KillTestReport, KillChildOptions, KillAck, KillChildState } from './kill/index.js';
