/**
 * The database paths held open by WAL handles of this process.
 *
 * @remarks
 * Across processes, the exclusive SQLite lock keeps a WAL to one writer. In
 * one process, a second handle on the same file would also be refused by
 * SQLite, but only after waiting `busyTimeoutMs` with the event loop blocked;
 * this registry refuses it at once.
 */
const holders = new Map<string, object>();

/**
 * Claims `path` for `holder`.
 *
 * @returns whether the claim succeeded (false: another holder has it)
 */
export function claimPath(path: string, holder: object): boolean {
  const current = holders.get(path);
  if (current !== undefined && current !== holder) return false;
  holders.set(path, holder);
  return true;
}

/** Releases `path` if `holder` holds it. */
export function releasePath(path: string, holder: object): void {
  if (holders.get(path) === holder) holders.delete(path);
}
