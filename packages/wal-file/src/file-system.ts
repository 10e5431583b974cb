/**
 * The file access the file WAL needs, and nothing more: injectable, so that
 * tests and the simulator can run the WAL on a simulated disk that models
 * unsynced writes, torn writes and lost directory entries at a crash.
 *
 * @remarks
 * Paths are plain strings joined with `/`. Every method may reject with the
 * platform's error (e.g. an `Error` with `code: 'EIO'`); the WAL turns it into
 * a `WalError`.
 */
export interface WalFileSystem {
  /** Creates a directory and its parents if missing. */
  mkdir(dir: string): Promise<void>;
  /** The names of the entries of a directory. */
  list(dir: string): Promise<string[]>;
  /** The whole content of a file, or `undefined` if it does not exist. */
  readFile(path: string): Promise<Uint8Array | undefined>;
  /** Opens a file for appending, creating it empty if missing. */
  openAppend(path: string): Promise<AppendHandle>;
  /** Renames a file, replacing the target; durable only after {@link WalFileSystem.syncDir}. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file if it exists; durable only after {@link WalFileSystem.syncDir}. */
  remove(path: string): Promise<void>;
  /** Cuts a file to `size` bytes and makes that durable (truncate, then fsync). */
  truncate(path: string, size: number): Promise<void>;
  /** Makes the directory's entries (creations, renames, removals) durable: fsync of the directory. */
  syncDir(dir: string): Promise<void>;
  /**
   * Takes an exclusive lock on the directory for this process.
   *
   * @returns a function that releases it
   * @throws an error with `code: 'ELOCKED'` when another live process holds it
   */
  lock?(dir: string): Promise<() => Promise<void>>;
}

/** A file open for appending. */
export interface AppendHandle {
  /** Bytes in the file (durable or not). */
  readonly size: number;
  /** Appends bytes at the end (not yet durable). */
  append(bytes: Uint8Array): Promise<void>;
  /** Makes every appended byte durable (fdatasync). */
  sync(): Promise<void>;
  /** Closes the handle (without syncing). */
  close(): Promise<void>;
}

/** Joins path parts with `/`. */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}
