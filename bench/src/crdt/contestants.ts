/**
 * Every contestant of W6/W7, in table order, loaded on demand: a child
 * process imports only the library it measures, so no other library's code
 * or WASM memory sits in its heap.
 */
import type { Contestant } from './contestant.ts';

const LOADERS: ReadonlyArray<readonly [id: string, load: () => Promise<Contestant>]> = [
  ['ours', async () => (await import('./ours.ts')).oursMerge],
  ['ours-apply', async () => (await import('./ours.ts')).oursApply],
  ['ours-wire', async () => (await import('./wire.ts')).oursWire],
  ['yjs', async () => (await import('./yjs.ts')).yjs],
  ['automerge', async () => (await import('./automerge.ts')).automerge],
  ['loro', async () => (await import('./loro.ts')).loro],
];

export const CONTESTANT_IDS: readonly string[] = LOADERS.map(([id]) => id);

export async function loadContestant(id: string): Promise<Contestant> {
  const loader = LOADERS.find(([known]) => known === id);
  if (loader === undefined) throw new Error(`unknown contestant ${JSON.stringify(id)}; known: ${CONTESTANT_IDS.join(', ')}`);
  return loader[1]();
}
