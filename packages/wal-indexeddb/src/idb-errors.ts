/// <reference lib="dom" />
import { WalError, isSyncError, isWalError, type SyncErrorCode } from '@softadastra/sync-core';

/** The adapter name carried by every {@link WalError} of this package. */
export const ADAPTER = 'indexeddb';

/** What the WAL was doing when IndexedDB failed, for messages. */
export type IdbAction = 'open' | 'append' | 'compact' | 'close';

/** The `name` of a DOMException (or of anything with a string `name`), if any. */
export function domErrorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * Turns what IndexedDB threw or aborted with into a {@link WalError}.
 *
 * @remarks
 * The DOMException's `name` decides the code:
 * - `QuotaExceededError` → `E_STORAGE_QUOTA`: the site's storage quota is used
 *   up; the transaction was rolled back whole.
 * - `InvalidStateError` → `E_WAL_CLOSED`: the connection is closing or closed
 *   (the browser closed it, another tab deleted or upgraded the database, or
 *   Firefox's private mode refused a write).
 * - `SecurityError` → `E_WAL_FAILED`: the browser refuses IndexedDB to this
 *   page (storage blocked for the site, an opaque origin, a sandboxed frame).
 * - `VersionError` → `E_WAL_FAILED`: the database was made by a newer build.
 * - anything else (`UnknownError` for a failed disk write, `AbortError`,
 *   `DataCloneError`, not a DOMException at all) → `E_WAL_FAILED`.
 *
 * A `WalError` passes through unchanged; another `SyncError` keeps its code.
 *
 * @param error - what was thrown, or a transaction's `error`
 * @param action - what the WAL was doing
 * @param name - the database name
 */
export function toIdbWalError(error: unknown, action: IdbAction, name: string): WalError {
  if (isWalError(error)) return error;
  const where = `indexeddb WAL ${JSON.stringify(name)}`;
  if (isSyncError(error)) return new WalError(error.code, `${where}: ${error.message}`, { adapter: ADAPTER, path: name, cause: error });
  const dom = domErrorName(error);
  const detail = error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error) ? String((error).message) : String(error);
  const said = dom === undefined ? detail : `${dom}: ${detail}`;
  let code: SyncErrorCode;
  let advice: string;
  switch (dom) {
    case 'QuotaExceededError':
      code = 'E_STORAGE_QUOTA';
      advice =
        `the browser's storage quota for this site is used up, so the ${action === 'compact' ? 'compaction' : action === 'open' ? 'database' : 'append'} was rolled back whole (nothing of it is stored; earlier writes are intact). ` +
        'Free space (compact, delete other data of the site), ask for persistent storage with navigator.storage.persist(), then close() and open() the WAL again';
      break;
    case 'InvalidStateError':
      code = 'E_WAL_CLOSED';
      advice =
        'the IndexedDB connection is closing or closed: the browser closed it (site data cleared, storage evicted), another tab deleted or upgraded the database, or the browser refuses writes here (private mode). ' +
        'Nothing of this call is stored; close() and open() the WAL again';
      break;
    case 'SecurityError':
      code = 'E_WAL_FAILED';
      advice =
        'the browser refuses IndexedDB to this page: storage is blocked for this site (private mode, third-party frame, user setting) or the page has an opaque origin (file:, data:, a sandboxed iframe). Serve the page from an http(s) origin with storage allowed, or use another WAL';
      break;
    case 'VersionError':
      code = 'E_WAL_FAILED';
      advice = 'the database was made by a newer version of this adapter (or by another application under the same name): upgrade this app, or choose another database name';
      break;
    case 'NotFoundError':
      code = 'E_WAL_FAILED';
      advice = 'the database lacks the object stores of a Softadastra WAL: it belongs to another application, or was deleted while open; choose another database name';
      break;
    default:
      code = 'E_WAL_FAILED';
      advice =
        action === 'open' || action === 'close'
          ? 'the browser could not open the database (its storage may be damaged or unavailable): check the browser storage settings, or clear the site data if it is damaged'
          : 'the state of the database is unknown, so every call fails until you close() and open() the WAL again (the transaction was rolled back whole)';
  }
  return new WalError(code, `${where}: ${action} failed (${said}): ${advice}`, { adapter: ADAPTER, path: name, cause: error });
}
