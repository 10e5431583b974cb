/**
 * Just enough of vitest for the transport conformance suite to run in a page: the browser test
 * bundles `@softadastra/sync-testing`'s suite with `vitest` aliased to this file. `describe`,
 * `it`, `it.skip`, `afterEach`, `context.skip(condition, note)` and the matchers the suite uses;
 * any other matcher throws, so a change to the suite cannot pass here by accident.
 * `runRegistered()` runs every case in order and reports each one.
 */

/** One case's outcome, as the page reports it. */
export interface CaseResult {
  readonly name: string;
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly error?: string;
  readonly ms: number;
}

type Body = (context: { skip(condition?: boolean, note?: string): void }) => unknown;
interface Case {
  readonly name: string;
  readonly body: Body | undefined;
  readonly timeout: number;
  readonly afterEach: ReadonlyArray<() => unknown>;
}

const cases: Case[] = [];
const prefixes: string[] = [];
let hooks: Array<() => unknown> = [];

class Skip extends Error {}

export function describe(name: string, body: () => void): void {
  const saved = hooks;
  hooks = [...hooks];
  prefixes.push(name);
  try {
    body();
  } finally {
    prefixes.pop();
    hooks = saved;
  }
}

function register(name: string, body: Body | undefined, timeout = 5_000): void {
  cases.push({ name: [...prefixes, name].join(' > '), body, timeout, afterEach: hooks });
}

export const it = Object.assign((name: string, body: Body, timeout?: number) => register(name, body, timeout), {
  skip: (name: string, _body?: Body, timeout?: number) => register(name, undefined, timeout),
});

export function afterEach(hook: () => unknown): void {
  hooks.push(hook);
}

/** Imported by the WAL suite, which shares the conformance entry point; the transport suite never calls it. */
export function beforeEach(): never {
  throw new Error('vitest shim: beforeEach is not supported (the transport suite does not use it)');
}

export async function runRegistered(): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of cases) {
    const started = performance.now();
    let status: CaseResult['status'] = 'passed';
    let error: string | undefined;
    if (c.body === undefined) status = 'skipped';
    else {
      const context = {
        skip(condition = true, note = ''): void {
          if (condition) throw new Skip(note);
        },
      };
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(() => c.body!(context)),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${c.timeout} ms`)), c.timeout))),
        ]);
      } catch (caught) {
        if (caught instanceof Skip) status = 'skipped';
        else {
          status = 'failed';
          error = caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught);
        }
      } finally {
        clearTimeout(timer);
      }
    }
    for (const hook of c.afterEach) {
      try {
        await hook();
      } catch (caught) {
        status = 'failed';
        error = `${error ?? ''} afterEach: ${caught instanceof Error ? caught.message : String(caught)}`;
      }
    }
    results.push(error === undefined ? { name: c.name, status, ms: performance.now() - started } : { name: c.name, status, error, ms: performance.now() - started });
  }
  return results;
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? `Uint8Array(${v.length})` : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

type Matchers = Record<string, (expected?: unknown) => void>;

function matchers(actual: unknown, message: string | undefined, negate: boolean): Matchers {
  const check = (pass: boolean, what: string): void => {
    if (pass === negate) throw new Error(`${message === undefined ? '' : `${message}: `}expected ${show(actual)} ${negate ? 'not ' : ''}${what}`);
  };
  const known: Matchers = {
    toBe: (expected) => check(Object.is(actual, expected), `to be ${show(expected)}`),
    toEqual: (expected) => check(deepEqual(actual, expected), `to equal ${show(expected)}`),
    toContain: (expected) => check((Array.isArray(actual) || typeof actual === 'string') && actual.includes(expected as never), `to contain ${show(expected)}`),
    toBeLessThanOrEqual: (expected) => check(typeof actual === 'number' && actual <= (expected as number), `to be ≤ ${show(expected)}`),
    toBeNull: () => check(actual === null, 'to be null'),
  };
  return new Proxy(known, {
    get(target, property: string) {
      if (property in target) return target[property];
      throw new Error(`the vitest shim of the browser test has no matcher ${property}: add it to test/browser/vitest-shim.ts`);
    },
  });
}

export function expect(actual: unknown, message?: string): Matchers & { not: Matchers } {
  return Object.assign(matchers(actual, message, false), { not: matchers(actual, message, true) });
}
