/**
 * Every error code the engine and its adapters raise. A code names the kind of
 * failure; the message says what happened and what to do about it.
 *
 * @remarks
 * Codes are string literals so that `switch (err.code)` is exhaustive-checked
 * and so that they cross process and language boundaries unchanged (the `error`
 * protocol message carries them).
 */
export type SyncErrorCode =
  // validation of operations and messages
  | 'E_INVALID_OP'
  | 'E_INVALID_ORIGIN'
  | 'E_INVALID_SEQ'
  | 'E_INVALID_HLC'
  | 'E_INVALID_COLLECTION'
  | 'E_INVALID_KEY'
  | 'E_INVALID_KIND'
  | 'E_INVALID_VALUE'
  | 'E_TOO_LARGE'
  | 'E_DECODE'
  | 'E_EQUIVOCATION'
  | 'E_CLOCK_SKEW'
  /**
   * An operation's merge policy is not one this peer knows, does not match
   * the policy declared for its collection, or its payload is not that
   * policy's (a typed collection written as LWW, a counter op on a set…).
   */
  | 'E_POLICY'
  // protocol and sessions
  | 'E_PROTOCOL'
  | 'E_VERSION'
  | 'E_TIMEOUT'
  /**
   * The space's collection authority (a relay with a GC horizon) cannot vouch
   * for what this peer holds: it was away past the horizon, or holds other
   * peers' operations it did not get from the authority, and metadata it
   * lacks has been collected since. The peer resets from a snapshot, its own
   * unsynced writes written again (docs/protocol.md, "Metadata collection").
   */
  | 'E_HORIZON'
  // storage
  | 'E_WAL_CORRUPT'
  | 'E_WAL_CLOSED'
  | 'E_WAL_FAILED'
  | 'E_WAL_LOCKED'
  /**
   * Local storage is full: the browser's quota for the site is used up
   * (IndexedDB's `QuotaExceededError`), so a write was rolled back whole.
   * Not the relay's `E_QUOTA`, which a remote sends about its own storage.
   */
  | 'E_STORAGE_QUOTA'
  /**
   * A warning, not a failure: opening the WAL cut a torn tail (the write under
   * way at a crash). Carries the report (`WalRepairedError.repair`).
   */
  | 'E_WAL_REPAIRED'
  // transport and access
  | 'E_TRANSPORT'
  | 'E_CLOSED'
  | 'E_RATE_LIMIT'
  | 'E_UNAUTHORIZED'
  | 'E_FORBIDDEN'
  | 'E_QUOTA'
  // misuse of the API
  | 'E_INVALID_ARGUMENT'
  /**
   * An optional package this feature needs is not installed (the SQLite WAL
   * behind `{ sqlite: dir }` storage, say). The message names the package and
   * the command that installs it.
   */
  | 'E_MISSING_DEPENDENCY'
  | 'E_INTERNAL';

const BRAND = Symbol.for('@softadastra/sync-error');
const WAL_BRAND = Symbol.for('@softadastra/wal-error');
const TRANSPORT_BRAND = Symbol.for('@softadastra/transport-error');

/** Options accepted by {@link SyncError}. */
export interface SyncErrorOptions {
  /** The underlying error, kept for diagnosis. */
  readonly cause?: unknown;
}

/**
 * The one base class of every error the engine raises on purpose.
 *
 * @remarks
 * Use {@link isSyncError} rather than `instanceof` to recognise it: two installs
 * of this package (a common accident in monorepos) have two classes, but the
 * brand is shared through `Symbol.for`.
 */
export class SyncError extends Error {
  /** What kind of failure this is. */
  readonly code: SyncErrorCode;

  /**
   * @param code - the kind of failure
   * @param message - what happened and what the user can do about it
   * @param options - `cause`: the underlying error
   */
  constructor(code: SyncErrorCode, message: string, options?: SyncErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }

  override get name(): string {
    return 'SyncError';
  }
}

/** A storage failure, naming the adapter and the file or database involved. */
export class WalError extends SyncError {
  /** The WAL adapter that failed, e.g. `'file'` or `'sqlite'`. */
  readonly adapter: string;
  /** The file or database path involved, when there is one. */
  readonly path: string | undefined;

  /**
   * @param code - the kind of failure
   * @param message - what happened and what to do
   * @param details - the adapter name, the path and the cause
   */
  constructor(
    code: SyncErrorCode,
    message: string,
    details: { readonly adapter: string; readonly path?: string; readonly cause?: unknown },
  ) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.adapter = details.adapter;
    this.path = details.path;
    Object.defineProperty(this, WAL_BRAND, { value: true });
  }

  override get name(): string {
    return 'WalError';
  }
}

/** A network failure, naming the remote peer when it is known. */
export class TransportError extends SyncError {
  /** The remote peer or endpoint, when known. */
  readonly peer: string | undefined;

  /**
   * @param code - the kind of failure
   * @param message - what happened and what to do
   * @param details - the remote peer and the cause
   */
  constructor(code: SyncErrorCode, message: string, details: { readonly peer?: string; readonly cause?: unknown } = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.peer = details.peer;
    Object.defineProperty(this, TRANSPORT_BRAND, { value: true });
  }

  override get name(): string {
    return 'TransportError';
  }
}

/**
 * The warning that this peer reset from its space's collection authority
 * (`code: 'E_HORIZON'`): it was away past the GC horizon, so it took a
 * snapshot from the authority and dropped what the authority had
 * superseded or collected meanwhile (a set element a collected remove
 * removed). Its own writes the authority lacked are kept and sent as usual.
 * Emitted once per reset, once the log is compacted.
 */
export class HorizonResetError extends SyncError {
  /** How many held operations were dropped. */
  readonly dropped: number;

  /**
   * @param peer - the peer that reset
   * @param dropped - how many of its operations were dropped
   */
  constructor(peer: string, dropped: number) {
    super(
      'E_HORIZON',
      `peer ${peer} reset from its collection authority (away past the space's GC horizon): it took the authority's snapshot and dropped ${dropped} operation(s) the authority had superseded or collected meanwhile`,
    );
    this.dropped = dropped;
  }

  override get name(): string {
    return 'HorizonResetError';
  }
}

/**
 * Whether `value` is a {@link SyncError}, also when it comes from another copy
 * of this package.
 *
 * @param value - anything caught
 */
export function isSyncError(value: unknown): value is SyncError {
  return hasBrand(value, BRAND);
}

/**
 * Whether `value` is a {@link WalError}, also when it comes from another copy
 * of this package (see {@link isSyncError}).
 *
 * @param value - anything caught
 */
export function isWalError(value: unknown): value is WalError {
  return hasBrand(value, WAL_BRAND);
}

/**
 * Whether `value` is a {@link TransportError}, also when it comes from another
 * copy of this package (see {@link isSyncError}).
 *
 * @param value - anything caught
 */
export function isTransportError(value: unknown): value is TransportError {
  return hasBrand(value, TRANSPORT_BRAND);
}

function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/**
 * Wraps anything thrown into a {@link SyncError}, keeping it as `cause`.
 *
 * @param value - anything caught
 * @param code - the code to use when `value` is not already a SyncError
 * @param message - the message to use in that case
 */
export function toSyncError(value: unknown, code: SyncErrorCode, message: string): SyncError {
  if (isSyncError(value)) return value;
  const detail = value instanceof Error ? value.message : String(value);
  return new SyncError(code, `${message}: ${detail}`, { cause: value });
}
