import { afterEach, describe, expect, it } from 'vitest';
import type { SyncEngine } from '@softadastra/sync-engine';
import { createRelay, type Relay } from '../src/index.js';
import { client, eventually, sameState, tempDir } from './helpers.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close().catch(() => undefined);
});

async function startRelay(options: Partial<Parameters<typeof createRelay>[0]> = {}): Promise<Relay> {
  const { dir, cleanup } = await tempDir();
  const relay = await createRelay({ dataDir: dir, port: 0, logger: false, ...options });
  open.push({ close: async () => { await relay.close(); await cleanup(); } });
  return relay;
}

async function clients(url: string, space: string, count: number): Promise<SyncEngine[]> {
  const engines: SyncEngine[] = [];
  for (let i = 0; i < count; i++) {
    const engine = await client(url, space);
    open.push(engine);
    engines.push(engine);
  }
  return engines;
}

describe('relay', () => {
  for (const count of [3, 20]) {
    it(`converges ${count} clients writing concurrently through one relay`, async () => {
      const relay = await startRelay();
      const engines = await clients(relay.url, 'team', count);
      await Promise.all(engines.flatMap((engine, i) => Array.from({ length: 10 }, (_, k) => engine.put('notes', `k${(i * 10 + k) % 25}`, { by: i, k }))));
      await eventually(() => sameState(engines) && engines[0]!.entries('notes').length === 25, 'all clients converge');
      expect(engines.every((engine) => engine.status === 'synced' || engine.status === 'syncing')).toBe(true);
    });
  }

  it('never shows one space to clients of another', async () => {
    const relay = await startRelay();
    const [a1, a2] = await clients(relay.url, 'alpha', 2);
    const [b1] = await clients(relay.url, 'beta', 1);
    await a1!.put('secrets', 'k', 'alpha only');
    await b1!.put('secrets', 'k', 'beta only');
    await eventually(() => a2!.get('secrets', 'k') === 'alpha only', 'alpha converges');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(b1!.get('secrets', 'k')).toBe('beta only');
    expect(a2!.get('secrets', 'k')).toBe('alpha only');
  });

  it('serves health and Prometheus metrics', async () => {
    const relay = await startRelay();
    const [engine] = await clients(relay.url, 'team', 1);
    await engine!.put('c', 'k', 1);
    await eventually(() => relay.metrics.value('relay_ops_in_total') >= 1, 'an op reached the relay');
    const health = (await (await fetch(`http://127.0.0.1:${relay.port}/healthz`)).json()) as { status: string; spaces: number };
    expect(health).toMatchObject({ status: 'ok', spaces: 1 });
    const metrics = await (await fetch(`http://127.0.0.1:${relay.port}/metrics`)).text();
    expect(metrics).toMatch(/relay_connections 1/);
    expect(metrics).toMatch(/relay_ops_in_total [1-9]/);
    expect(metrics).toMatch(/relay_wal_append_seconds_count [1-9]/);
    // prom-client's process metrics, beside the relay's own.
    expect(metrics).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(metrics).toMatch(/^nodejs_heap_size_used_bytes \d/m);
  });
});

describe('relay over HTTP long polling', () => {
  it('syncs an HTTP client with a WebSocket client through the same space', async () => {
    const { createSyncEngine } = await import('@softadastra/sync-engine');
    const { createHttpTransport } = await import('@softadastra/transport-http');
    const { createMemoryWal } = await import('@softadastra/wal-memory');
    const { dir, cleanup } = await (await import('./helpers.js')).tempDir();
    const relay = await createRelay({ dataDir: dir, port: 0, logger: false });
    open.push({ close: async () => { await relay.close(); await cleanup(); } });
    const [viaWs] = await clients(relay.url, 'team', 1);
    const viaHttp = await createSyncEngine({ wal: createMemoryWal(), space: 'team' });
    open.push(viaHttp);
    viaHttp.connect(createHttpTransport({ url: `http://127.0.0.1:${relay.port}/v1/spaces/team/http`, pollTimeoutMs: 1_000, reconnect: { baseMs: 50, maxMs: 500 } }));
    await viaWs!.put('c', 'from-ws', 1);
    await viaHttp.put('c', 'from-http', 2);
    await eventually(() => viaHttp.get('c', 'from-ws') === 1 && viaWs!.get('c', 'from-http') === 2, 'both transports converge');
    expect(sameState([viaWs!, viaHttp])).toBe(true);
  });
});
