/**
 * Time and chance, as the engine sees them.
 *
 * @remarks
 * The engine takes a `Clock` instead of calling `Date.now`, `setTimeout` or
 * `Math.random`, so a simulator can run it on virtual time with a seeded
 * random source and replay a run exactly.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch (also the HLC's physical clock). */
  now(): number;
  /** Calls `callback` once after `ms` milliseconds. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a pending `setTimeout`. */
  clearTimeout(handle: unknown): void;
  /** A random number in `[0, 1)`, for retry jitter. */
  random(): number;
  /**
   * Keeps the process alive until the returned function is called (once;
   * later calls do nothing).
   *
   * @remarks
   * This clock's timers do not keep a Node process alive by themselves (a
   * peer retrying an unreachable relay must not hold a script that is done).
   * The engine asks for a hold while a caller awaits something that only
   * a remote can bring — an acknowledgement, `synced()` — so that `await
   * write.acked` waits for a relay that is down instead of letting Node
   * exit with the promise unsettled. Optional: a virtual clock has nothing
   * to hold.
   */
  keepAlive?(): () => void;
}

/**
 * The longest delay a platform timer takes: Node and browsers store it in a
 * signed 32-bit integer, and fire a longer one *at once*.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A handle of {@link setLongTimeout}. */
export interface LongTimeout {
  /** Cancels the timer (idempotent). */
  cancel(): void;
}

/**
 * `setTimeout` for any delay: a delay over {@link MAX_TIMER_MS} (about 24.8
 * days) is waited in steps, re-arming the platform timer until the deadline,
 * instead of firing at once as a plain `setTimeout` would. Non-finite or
 * negative delays fire on the next turn; `Infinity` never fires.
 *
 * @param callback - called once, at or after the deadline
 * @param ms - the delay in milliseconds
 * @param options - `unref`: do not keep a Node process alive for it (default false);
 * `now`: the clock the deadline is measured on (default `Date.now`)
 */
export function setLongTimeout(callback: () => void, ms: number, options: { readonly unref?: boolean; readonly now?: () => number } = {}): LongTimeout {
  const now = options.now ?? Date.now;
  let handle: ReturnType<typeof setTimeout> | undefined;
  let cancelled = false;
  if (ms === Infinity) return { cancel: () => undefined };
  const deadline = now() + (Number.isFinite(ms) && ms > 0 ? ms : 0);
  const arm = (): void => {
    const left = deadline - now();
    handle = setTimeout(() => {
      handle = undefined;
      if (cancelled) return;
      if (deadline - now() > 0 && left > MAX_TIMER_MS) arm();
      else callback();
    }, Math.min(Math.max(0, left), MAX_TIMER_MS));
    if (options.unref === true) (handle as unknown as { unref?: () => void }).unref?.();
  };
  arm();
  return {
    cancel() {
      cancelled = true;
      if (handle !== undefined) clearTimeout(handle);
      handle = undefined;
    },
  };
}

/** Holds of {@link systemClock}'s `keepAlive()` not yet released. */
let holds = 0;
/** The one ref'd handle behind every hold (a timer that never fires: it only keeps the event loop running). */
let holdHandle: ReturnType<typeof setInterval> | undefined;

function keepProcessAlive(): () => void {
  holds++;
  if (holdHandle === undefined) holdHandle = setInterval(() => undefined, MAX_TIMER_MS);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holds--;
    if (holds === 0 && holdHandle !== undefined) {
      clearInterval(holdHandle);
      holdHandle = undefined;
    }
  };
}

/**
 * The real clock: `Date.now`, timers of any length ({@link setLongTimeout}:
 * a delay over 2^31−1 ms is re-armed, never fired early; unref'd in Node, so
 * pending retries never keep a process alive by themselves), `Math.random`,
 * and `keepAlive()`: one ref'd handle shared by every hold, cleared when the
 * last hold is released.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    return setLongTimeout(callback, ms, { unref: true });
  },
  clearTimeout(handle) {
    if (typeof handle === 'object' && handle !== null && 'cancel' in handle) (handle as LongTimeout).cancel();
  },
  random: () => Math.random(),
  keepAlive: keepProcessAlive,
};

/**
 * Exponential backoff with full jitter: a delay drawn uniformly from
 * `[0, min(maxMs, baseMs · 2^attempt))`.
 *
 * @param attempt - 0 for the first retry
 * @param random - a number in `[0, 1)`
 */
export function backoffDelay(attempt: number, random: number, baseMs = 100, maxMs = 30_000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random * ceiling);
}

/**
 * A {@link Clock} on virtual time, for tests and simulations: time moves only
 * when told, timers fire in (time, scheduling) order, and randomness comes
 * from a seeded generator, so a run replays exactly.
 */
export interface ManualClock extends Clock {
  /** Timers scheduled and not yet fired or cancelled. */
  pending(): number;
  /** The time of the next timer, if any. */
  nextAt(): number | undefined;
  /**
   * Fires the next timer (moving time to it) and returns true, or returns
   * false when none is pending.
   */
  runNext(): boolean;
  /** Fires every timer due within `ms` from now, then sets the time to now + ms. */
  advance(ms: number): void;
  /**
   * Fires timers until none is left.
   *
   * @param maxTimers - give up (and throw) after this many, against livelock
   */
  runUntilIdle(maxTimers?: number): void;
}

interface Timer {
  readonly at: number;
  readonly order: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * Makes a {@link ManualClock}.
 *
 * @param options - `start`: the initial time in ms (default 1,700,000,000,000);
 * `random`: the source of randomness (default a generator seeded with 1)
 */
export function createManualClock(options: { readonly start?: number; readonly random?: () => number } = {}): ManualClock {
  let time = options.start ?? 1_700_000_000_000;
  let order = 0;
  let live = 0;
  const random = options.random ?? seededFallback();
  // A binary heap ordered by (at, order).
  const heap: Timer[] = [];
  const less = (a: Timer, b: Timer): boolean => a.at < b.at || (a.at === b.at && a.order < b.order);
  const push = (timer: Timer): void => {
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  };
  const pop = (): Timer | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  const peek = (): Timer | undefined => {
    while (heap.length > 0 && heap[0]!.cancelled) pop();
    return heap[0];
  };
  const clock: ManualClock = {
    now: () => time,
    setTimeout(callback, ms) {
      const timer: Timer = { at: time + Math.max(0, Number.isFinite(ms) ? ms : 0), order: order++, callback, cancelled: false };
      push(timer);
      live++;
      return timer;
    },
    clearTimeout(handle) {
      const timer = handle as Timer | undefined;
      if (timer !== undefined && timer !== null && typeof timer === 'object' && 'cancelled' in timer && !timer.cancelled) {
        timer.cancelled = true;
        live--;
      }
    },
    random,
    pending: () => live,
    nextAt: () => peek()?.at,
    runNext() {
      const timer = peek();
      if (timer === undefined) return false;
      pop();
      timer.cancelled = true;
      live--;
      if (timer.at > time) time = timer.at;
      timer.callback();
      return true;
    },
    advance(ms) {
      const until = time + ms;
      for (let next = peek(); next !== undefined && next.at <= until; next = peek()) clock.runNext();
      time = until;
    },
    runUntilIdle(maxTimers = 1_000_000) {
      for (let i = 0; i < maxTimers; i++) if (!clock.runNext()) return;
      throw new Error(`manual clock still busy after ${maxTimers} timers`);
    },
  };
  return clock;
}

function seededFallback(): () => number {
  let state = 1;
  return () => {
    // mulberry32
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
