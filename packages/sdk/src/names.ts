import { SyncError, checkName, type Limits } from '@softadastra/sync-core';

/**
 * Checks a collection name and a key as the engine will, throwing its typed
 * error, before anything waits (an asynchronous schema, a tab's request).
 *
 * @throws SyncError `E_INVALID_COLLECTION`, `E_INVALID_KEY`
 * @internal
 */
export function checkNames(collection: string, key: string, limits: Limits): void {
  for (const [name, what, max, code] of [
    [collection, 'collection', limits.maxCollectionBytes, 'E_INVALID_COLLECTION'],
    [key, 'key', limits.maxKeyBytes, 'E_INVALID_KEY'],
  ] as const) {
    const error = checkName(name, what, max, code);
    if (error !== undefined) throw new SyncError(error[0], error[1]);
  }
}
