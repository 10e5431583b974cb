/** Where the board lives, read from the page's URL. */
export interface BoardConfig {
  /** The board: the space every device of the board opens (`?board=`, default `main`). */
  readonly board: string;
  /** The relay (`?relay=`, default the page's own origin: `ws(s)://host`). */
  readonly relay: string;
  /** The IndexedDB storage name of this origin's peer (one per origin, whatever the board). */
  readonly storage: string;
}

/** The IndexedDB name the board's peer keeps its data under. */
export const STORAGE_NAME = 'softadastra-board';

/**
 * Reads the board and the relay from a page URL.
 *
 * @remarks
 * The relay defaults to the page's origin (`http` → `ws`, `https` → `wss`):
 * `pnpm web` serves the app and forwards `/v1/…` to its relay, and so can
 * any reverse proxy in front of a deployed relay. `?relay=ws://host:port`
 * points the page at another relay. Names are checked by the SDK, which
 * refuses a bad board name with `E_INVALID_ARGUMENT` (shown on the page).
 */
export function boardConfig(location: URL): BoardConfig {
  const params = location.searchParams;
  const board = params.get('board') ?? 'main';
  const fallback = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
  const relay = params.get('relay') ?? fallback;
  return { board, relay: relay === '' ? fallback : relay, storage: STORAGE_NAME };
}
