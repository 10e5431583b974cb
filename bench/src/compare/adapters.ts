/**
 * Every contestant, in table order, loaded on demand: a child process
 * imports only the library it measures, so no other library's code or WASM
 * memory sits in its heap.
 */
import type { Adapter } from './adapter.ts';

const LOADERS: ReadonlyArray<readonly [id: string, load: () => Promise<Adapter>]> = [
  ['engine-memory', async () => (await import('./engine.ts')).engineMemoryAdapter],
  ['engine-file', async () => (await import('./engine.ts')).engineFileAdapter],
  ['yjs-v1', async () => (await import('./yjs.ts')).yjsV1Adapter],
  ['yjs-v2', async () => (await import('./yjs.ts')).yjsV2Adapter],
  ['automerge', async () => (await import('./automerge.ts')).automergeAdapter],
  ['automerge-sync', async () => (await import('./automerge.ts')).automergeSyncAdapter],
  ['loro', async () => (await import('./loro.ts')).loroAdapter],
  ['tinybase', async () => (await import('./tinybase.ts')).tinybaseAdapter],
  ['floor-map', async () => (await import('./plain-map.ts')).plainMapAdapter],
  ['floor-lww', async () => (await import('./lww-map.ts')).lwwMapAdapter],
];

/** Ids of every contestant, in table order. */
export const ADAPTER_IDS: readonly string[] = LOADERS.map(([id]) => id);

/** The reference row of the "× Yjs" column. */
export const YJS_ID = 'yjs-v1';

export async function loadAdapter(id: string): Promise<Adapter> {
  const entry = LOADERS.find(([known]) => known === id);
  if (entry === undefined) throw new Error(`unknown adapter ${JSON.stringify(id)}: one of ${ADAPTER_IDS.join(', ')}`);
  return entry[1]();
}
