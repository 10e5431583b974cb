import { backoffDelay, type Clock } from './clock.js';
import { TransportError, type SyncError } from './errors.js';
import { checkNumberOption } from './option-checks.js';
import { readToken, type TokenProvider } from './token-provider.js';

/** Reconnection with exponential backoff and full jitter (core's {@link backoffDelay}). */
export interface ReconnectOptions {
  /**
   * The ceiling of the first delay, in ms; each failed attempt doubles it.
   * @default 250
   */
  readonly baseMs?: number;
  /**
   * The largest ceiling, in ms.
   * @default 30000
   */
  readonly maxMs?: number;
}

/** {@link ReconnectOptions} checked and with their defaults. */
export interface ReconnectPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

/**
 * Checks a client's `reconnect` option and fills in the defaults.
 *
 * @param value - the option: `false` (never reconnect), options, or undefined (the defaults)
 * @returns the policy, or `false`
 * @throws SyncError `E_INVALID_ARGUMENT` for a `baseMs` under 1 or a `maxMs` under `baseMs`
 */
export function resolveReconnectPolicy(value: ReconnectOptions | false | undefined): ReconnectPolicy | false {
  if (value === false) return false;
  const baseMs = checkNumberOption('reconnect.baseMs', value?.baseMs ?? 250, 1);
  const maxMs = checkNumberOption('reconnect.maxMs', value?.maxMs ?? 30_000, baseMs);
  return { baseMs, maxMs };
}

/** One connection attempt, as a {@link ReconnectLoop} hands it to its client. */
export interface ReconnectAttempt {
  /** The URL to dial. */
  readonly url: string;
  /** The token read for this attempt (`undefined`: none). */
  readonly token: string | undefined;
  /** False once the attempt is superseded (by a newer one, `setUrls()` or `stop()`): drop what it brings. */
  isCurrent(): boolean;
}

/** Options of {@link createReconnectLoop}. */
export interface ReconnectLoopOptions {
  /** The servers, tried in turn: a failed attempt moves to the next. */
  readonly urls: readonly string[];
  /** From {@link resolveReconnectPolicy}; `false`: the first failure is final. */
  readonly policy: ReconnectPolicy | false;
  /** Timers and jitter. */
  readonly clock: Clock;
  /** Asked for a token before every attempt. */
  readonly token?: TokenProvider | undefined;
  /** Starts one attempt; the client then calls `opened()`, `failed()` or, once open, `lost()`. */
  readonly connect: (attempt: ReconnectAttempt) => void;
  /** Told about the first failed attempt of each outage (the later ones tell the same story). */
  readonly report: (error: SyncError) => void;
  /** An attempt failed and reconnecting is off: the client closes for good, with this error. */
  readonly giveUp: (error: SyncError) => void;
}

/**
 * The reconnect loop of a client connection: when to dial, which URL, with
 * which token, and what to report.
 *
 * @remarks
 * Shared by the WebSocket and HTTP clients so that a fix lands once. Delays
 * are exponential backoff with full jitter; the exponent counts attempts that
 * brought nothing and starts over after a link that worked. Offline, it
 * retries forever (docs/design.md: nothing is dropped after N retries). One error
 * is reported per outage, not one per retry.
 */
export interface ReconnectLoop {
  /** The URL of the current (or next) attempt. */
  readonly url: string;
  /** Every URL, in the order they are tried. */
  readonly urls: readonly string[];
  /** Whether a lost link or a failed attempt is retried. */
  readonly enabled: boolean;
  /** Whether `stop()` was called (or reconnecting gave up). */
  readonly stopped: boolean;
  /** Makes the first attempt, from a microtask (listeners attached right after the factory see everything). */
  start(): void;
  /** The attempt opened a link: the outage is over. */
  opened(): void;
  /**
   * The attempt failed before opening: the next is scheduled, on the next
   * URL, and the error reported if it is the outage's first — or, with
   * reconnecting off, `giveUp(error)`.
   */
  failed(error: SyncError): void;
  /**
   * An open link went down: the next attempt is scheduled (on the same URL
   * if the link `worked`, which also restarts the backoff).
   *
   * @param worked - the link carried something before it went down
   * @param reported - an error was reported for the drop (it counts as the outage's report)
   * @returns false when reconnecting is off (or stopped): the loss is final
   */
  lost(worked: boolean, reported: boolean): boolean;
  /**
   * Replaces the URLs and dials the first at once, superseding any attempt in flight.
   *
   * @throws TransportError `E_CLOSED` once stopped: the client was closed for good
   */
  setUrls(urls: readonly string[]): void;
  /** No more attempts; the current one, if any, is superseded. */
  stop(): void;
}

/**
 * Makes a {@link ReconnectLoop}. It does nothing until `start()`.
 *
 * @param options - see {@link ReconnectLoopOptions}
 */
export function createReconnectLoop(options: ReconnectLoopOptions): ReconnectLoop {
  const { clock, policy, connect, report, giveUp, token } = options;
  let urls = options.urls;
  let index = 0;
  /** Bumped by every attempt and by stop(): a stale attempt is ignored. */
  let generation = 0;
  /** Consecutive attempts that brought nothing (the backoff exponent). */
  let failures = 0;
  let reported = false;
  let stopped = false;
  let timer: unknown;

  const attempt = async (mine: number): Promise<void> => {
    // Never dial (nor fail) inside the caller.
    await Promise.resolve();
    if (mine !== generation) return;
    const url = loop.url;
    const reading = await readToken(token);
    if (mine !== generation) return;
    if (!reading.ok) {
      loop.failed(new TransportError('E_TRANSPORT', `the token provider for ${url} failed: ${reading.reason} — retrying with backoff`, { peer: url, cause: reading.cause }));
      return;
    }
    connect({ url, token: reading.token, isCurrent: () => mine === generation && !stopped });
  };
  const dial = (): void => {
    clock.clearTimeout(timer);
    timer = undefined;
    void attempt(++generation);
  };
  const schedule = (worked: boolean): void => {
    if (policy === false) return;
    if (worked) failures = 0;
    const delay = backoffDelay(failures, clock.random(), policy.baseMs, policy.maxMs);
    failures++;
    clock.clearTimeout(timer);
    timer = clock.setTimeout(() => {
      timer = undefined;
      if (!stopped) dial();
    }, delay);
  };
  const next = (): void => {
    index = (index + 1) % urls.length;
  };

  const loop: ReconnectLoop = {
    get url() {
      return urls[index] ?? urls[0]!;
    },
    get urls() {
      return urls;
    },
    enabled: policy !== false,
    get stopped() {
      return stopped;
    },
    start() {
      if (!stopped) dial();
    },
    opened() {
      reported = false;
    },
    failed(error) {
      if (stopped) return;
      if (policy === false) {
        loop.stop();
        giveUp(error);
        return;
      }
      next();
      schedule(false);
      if (!reported) {
        reported = true;
        report(error);
      }
    },
    lost(worked, wasReported) {
      if (stopped || policy === false) return false;
      reported = wasReported;
      if (!worked) next();
      schedule(worked);
      return true;
    },
    setUrls(replacement) {
      if (replacement.length === 0) throw new TypeError('setUrls() takes at least one URL');
      if (stopped) {
        throw new TransportError('E_CLOSED', `cannot point the connection to ${loop.url} at ${replacement.join(', ')}: it was closed for good; create a new connection`, { peer: loop.url });
      }
      urls = replacement;
      index = 0;
      failures = 0;
      reported = false;
      dial();
    },
    stop() {
      stopped = true;
      generation++;
      clock.clearTimeout(timer);
      timer = undefined;
    },
  };
  return loop;
}
