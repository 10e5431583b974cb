/**
 * Small helpers on real time and promises, shared by the conformance suites.
 *
 * @remarks
 * The suites run adapters that do real I/O (files, sockets), so they wait on
 * real timers — always with a bound, so that a broken adapter fails a case
 * with a message instead of hanging it.
 *
 * @internal
 */

/** Resolves after `ms` milliseconds of real time. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Lets pending work progress: several turns of the event loop, so promise
 * chains and zero-delay timers of an adapter run.
 */
export async function letWorkProgress(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await delay(0);
}

/** What a promise did. */
export type Outcome<T> =
  | { readonly status: 'fulfilled'; readonly value: T }
  | { readonly status: 'rejected'; readonly reason: unknown }
  | { readonly status: 'pending' };

/**
 * Waits for `promise` to settle, at most `ms` milliseconds, and says how it did.
 */
export async function outcome<T>(promise: Promise<T>, ms: number): Promise<Outcome<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pending = new Promise<Outcome<T>>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'pending' }), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value): Outcome<T> => ({ status: 'fulfilled', value }),
        (reason: unknown): Outcome<T> => ({ status: 'rejected', reason }),
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A promise whose state can be read synchronously. */
export interface Tracked<T> {
  readonly promise: Promise<T>;
  /** Whether it has resolved (as far as this microtask knows). */
  readonly resolved: boolean;
  /** Whether it has rejected. */
  readonly rejected: boolean;
  /** The rejection reason, if any. */
  readonly reason: unknown;
}

/**
 * Follows `promise` without awaiting it. A rejection is recorded, never left
 * unhandled; a promise that never settles (a dead handle's) is harmless.
 */
export function track<T>(promise: Promise<T>): Tracked<T> {
  const state: { resolved: boolean; rejected: boolean; reason: unknown } = { resolved: false, rejected: false, reason: undefined };
  promise.then(
    () => {
      state.resolved = true;
    },
    (reason: unknown) => {
      state.rejected = true;
      state.reason = reason;
    },
  );
  return {
    promise,
    get resolved() {
      return state.resolved;
    },
    get rejected() {
      return state.rejected;
    },
    get reason() {
      return state.reason;
    },
  };
}

/**
 * Polls `predicate` every few milliseconds until it holds, or throws after
 * `timeoutMs` with a message naming `what` was awaited.
 */
export async function waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await delay(2);
  }
}

/** Describes anything caught, for failure messages. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`;
  }
  return String(error);
}
