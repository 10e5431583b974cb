import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSyncEngine, type SyncEngine } from '@softadastra/sync-engine';
import { createWebSocketTransport } from '@softadastra/transport-websocket';
import { createMemoryWal } from '@softadastra/wal-memory';

export const fastTiming = { resendMs: 300, gapMs: 600, maxBackoffMs: 2_000, coveredDelayMs: 20 };

/** A temporary directory, removed by `cleanup()`. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'relay-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A client peer: an engine with an in-memory WAL, dialing the relay over WebSocket. */
export async function client(url: string, space: string, options: { peerId?: string; token?: string } = {}): Promise<SyncEngine> {
  const engine = await createSyncEngine({ wal: createMemoryWal(), space, timing: fastTiming, ...(options.peerId ? { peerId: options.peerId } : {}) });
  engine.connect(createWebSocketTransport({ url: `${url}/v1/spaces/${space}`, reconnect: { baseMs: 50, maxMs: 500 }, heartbeatMs: 2_000, ...(options.token ? { token: options.token } : {}) }));
  return engine;
}

/** Waits until `check` holds, polling; throws with `what` after `timeoutMs`. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether every engine holds the same state and vector. */
export function sameState(engines: readonly SyncEngine[]): boolean {
  const [first, ...rest] = engines;
  if (first === undefined) return true;
  const root = first.digest().root;
  const vv = first.versionVector();
  return rest.every((engine) => engine.digest().root === root && engine.versionVector().equals(vv));
}
