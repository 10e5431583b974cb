/**
 * Proof tools for the adapters of Softadastra Sync: conformance suites that
 * every WAL and transport adapter runs, and a harness that SIGKILLs real
 * processes writing through a WAL. Depends on `@softadastra/sync-core` only,
 * so that adapters can run it without a dependency cycle; the deterministic
 * simulator is `@softadastra/sync-simulator`.
 *
 * @packageDocumentation
 */
export { runWalConformance } from './conformance/wal-conformance.js';
export type { WalConformanceSetup, WalHarness, WalCrashOptions, WalInFlight } from './conformance/wal-harness.js';
export { runTransportConformance } from './conformance/transport-conformance.js';
export { recordConnection, until, sleep } from './connection-recorder.js';
export type { RecordedConnection } from './connection-recorder.js';
export type { TransportConformanceSetup, TransportPair } from './conformance/transport-harness.js';
export { runKillTest, runKillChild } from './kill/index.js';
export type { KillTestOptions, KillTestReport, KillChildOptions, KillEngine, KillEngineOptions, KillAck, KillChildState } from './kill/index.js';
