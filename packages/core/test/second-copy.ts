import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Core from '../src/index.js';

/**
 * A second copy of this package, as npm installs one when two dependants ask
 * for versions that do not match: the same sources, copied to a directory of
 * their own and imported from there, so every class is a different one.
 *
 * @returns the copy's module, and a function that removes the directory
 */
export async function importSecondCopy(): Promise<{ core: typeof Core; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sync-core-copy-'));
  const src = fileURLToPath(new URL('../src/', import.meta.url));
  await cp(src, dir, { recursive: true, filter: (path) => !path.endsWith('.test.ts') });
  const core = (await import(pathToFileURL(join(dir, 'index.ts')).href)) as typeof Core;
  return { core, remove: () => rm(dir, { recursive: true, force: true }) };
}
