import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createPeer, type Peer, type PeerOptions } from '../src/index.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh directory, removed after the test. */
export async function tempDir(prefix = 'sdk-'): Promise<string> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  cleanups.push(() => rm(path, { recursive: true, force: true }));
  return path;
}

/** A peer closed after the test; in memory unless told otherwise. */
export async function openPeer(options: PeerOptions = { storage: ':memory:' }): Promise<Peer> {
  const created = await createPeer(options);
  cleanups.push(() => created.close());
  return created;
}
