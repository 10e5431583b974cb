import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { compareOperations } from '@softadastra/sync-reconciler';
import type { Operation } from '@softadastra/sync-core';
import type { SyncEngine } from '@softadastra/sync-engine';
import { client, eventually, sameState, tempDir } from './helpers.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts the relay as a real process; resolves once it prints that it listens. */
async function startRelayProcess(port: number, dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@softadastra/source', MAIN, '--port', String(port), '--data', dataDir, '--quiet'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('relay listening on ws://')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`relay exited with ${String(code)} before listening: ${out}`)));
  });
  return child;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('relay killed under load', () => {
  it('comes back from SIGKILL: clients reconnect by themselves and converge, every write the relay acknowledged survives', async () => {
    const port = await freePort();
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    let relay = await startRelayProcess(port, dir);
    cleanups.push(() => void relay.kill('SIGKILL'));
    const url = `ws://127.0.0.1:${port}`;
    const engines: SyncEngine[] = [];
    for (let i = 0; i < 5; i++) {
      const engine = await client(url, 'team', { peerId: `c${i}` });
      engines.push(engine);
      cleanups.push(() => engine.close());
    }
    const written: Operation[] = [];
    let writing = true;
    const writers = engines.map(async (engine, i) => {
      for (let n = 0; writing; n++) {
        written.push(await engine.put('load', `k${(i * 7 + n) % 40}`, { by: i, n }));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const relayId = engines[0]!.sessions()[0]?.remotePeer;
    expect(relayId).toBeDefined();
    const acknowledged = written.filter((op) => engines.some((engine) => engine.isAcked(op, relayId!)));
    relay.kill('SIGKILL');
    await new Promise((resolve) => relay.once('exit', resolve));
    expect(acknowledged.length).toBeGreaterThan(50);
    relay = await startRelayProcess(port, dir);
    await new Promise((resolve) => setTimeout(resolve, 800));
    writing = false;
    await Promise.all(writers);
    await eventually(() => sameState(engines) && engines.every((e) => e.status === 'synced'), 'clients converge after the relay restarted', 30_000);
    // A newcomer syncs from the restarted relay alone: every write it acknowledged before dying is there.
    const newcomer = await client(url, 'team', { peerId: 'newcomer' });
    cleanups.push(() => newcomer.close());
    await eventually(() => newcomer.versionVector().equals(engines[0]!.versionVector()), 'newcomer catches up', 30_000);
    for (const op of acknowledged) {
      expect(newcomer.versionVector().has(op), `acknowledged ${op.origin}:${op.seq} survives`).toBe(true);
      const winner = newcomer.getOperation(op.collection, op.key);
      expect(winner !== undefined && compareOperations(winner, op) >= 0).toBe(true);
    }
  }, 90_000);
});
