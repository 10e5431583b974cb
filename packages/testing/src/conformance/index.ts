/**
 * The conformance suites alone (`@softadastra/sync-testing/conformance`):
 * nothing of Node in them, so that a page can bundle them (with `vitest`, or
 * with a shim of its `describe`/`it`/`expect`) and run an adapter's suite in
 * a real browser.
 *
 * @packageDocumentation
 */
export { runWalConformance } from './wal-conformance.js';
export type { WalConformanceSetup, WalHarness, WalCrashOptions, WalInFlight } from './wal-harness.js';
export { runTransportConformance } from './transport-conformance.js';
export type { TransportConformanceSetup, TransportPair } from './transport-harness.js';
export { recordConnection, until, sleep } from '../connection-recorder.js';
export type { RecordedConnection } from '../connection-recorder.js';
