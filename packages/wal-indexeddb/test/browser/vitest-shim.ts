/**
 * Just enough of vitest for the WAL conformance suite to run in a page: the browser test bundles
 * `@softadastra/sync-testing/conformance` with `vitest` aliased to this file. `describe`, `it`,
 * `beforeEach`, `afterEach`, `context.skip(note)` / `context.skip(condition, note)` and the
 * matchers the suite uses; any other matcher throws, so a change to the suite cannot pass here by
 * accident. `runRegistered()` runs every case in order and reports each one.
 */

/** One case's outcome, as the page reports it. */
export interface CaseResult {
  readonly name: string;
  readonly status: 'passed' | 'failed' | 'skipped';
  /** Why it failed, or why it was skipped. */
  readonly note?: string;
  readonly ms: number;
}

type Context = { skip(conditionOrNote?: boolean | string, note?: string): void };
type Body = (context: Context) => unknown;
type Hook = () => unknown;
interface Case {
  readonly name: string;
  readonly body: Body | undefined;
  readonly timeout: number;
  readonly beforeEach: readonly Hook[];
  readonly afterEach: readonly Hook[];
}

const CASE_TIMEOUT_MS = 30_000;
const cases: Case[] = [];
const prefixes: string[] = [];
let before: Hook[] = [];
let after: Hook[] = [];

class Skip extends Error {}

export function describe(name: string, body: () => void): void {
  const saved = [before, after] as const;
  before = [...before];
  after = [...after];
  prefixes.push(name);
  try {
    body();
  } finally {
    prefixes.pop();
    [before, after] = saved;
  }
}

function register(name: string, body: Body | undefined, timeout = CASE_TIMEOUT_MS): void {
  // The hooks registered so far in this describe (and its parents): the suite registers them first.
  cases.push({ name: [...prefixes, name].join(' > '), body, timeout, beforeEach: before, afterEach: after });
}

export const it = Object.assign((name: string, body: Body, timeout?: number) => register(name, body, timeout), {
  skip: (name: string, _body?: Body, timeout?: number) => register(name, undefined, timeout),
});

export function beforeEach(hook: Hook): void {
  before.push(hook);
}

export function afterEach(hook: Hook): void {
  after.push(hook);
}

const message = (caught: unknown): string => (caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught));

/** Runs every registered case in order, each with its hooks and a timeout. */
export async function runRegistered(): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of cases) {
    const started = performance.now();
    let status: CaseResult['status'] = 'passed';
    const notes: string[] = [];
    const fail = (what: string, caught: unknown): void => {
      status = 'failed';
      notes.push(`${what}${message(caught)}`);
    };
    const body = c.body;
    if (body === undefined) {
      status = 'skipped';
      notes.push('it.skip');
    } else {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const context: Context = {
        skip(conditionOrNote = true, note = '') {
          // vitest: skip(note) skips; skip(condition, note) skips when condition holds.
          if (typeof conditionOrNote === 'string') throw new Skip(conditionOrNote);
          if (conditionOrNote) throw new Skip(note);
        },
      };
      try {
        await Promise.race([
          (async () => {
            for (const hook of c.beforeEach) await hook();
            await body(context);
          })(),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${c.timeout} ms`)), c.timeout))),
        ]);
      } catch (caught) {
        if (caught instanceof Skip) {
          status = 'skipped';
          notes.push(caught.message);
        } else fail('', caught);
      } finally {
        clearTimeout(timer);
      }
    }
    for (const hook of c.afterEach) {
      try {
        await hook();
      } catch (caught) {
        fail('afterEach: ', caught);
      }
    }
    const ms = performance.now() - started;
    results.push(notes.length === 0 ? { name: c.name, status, ms } : { name: c.name, status, note: notes.join('; '), ms });
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

function matchers(actual: unknown, label: string | undefined, negate: boolean): Matchers {
  const check = (pass: boolean, what: string): void => {
    if (pass === negate) throw new Error(`${label === undefined ? '' : `${label}: `}expected ${show(actual)} ${negate ? 'not ' : ''}${what}`);
  };
  const known: Matchers = {
    toBe: (expected) => check(Object.is(actual, expected), `to be ${show(expected)}`),
    toEqual: (expected) => check(deepEqual(actual, expected), `to equal ${show(expected)}`),
    toBeUndefined: () => check(actual === undefined, 'to be undefined'),
    toBeNull: () => check(actual === null, 'to be null'),
    toBeGreaterThan: (expected) => check(typeof actual === 'number' && actual > (expected as number), `to be > ${show(expected)}`),
    toMatch: (expected) =>
      check(typeof actual === 'string' && (expected instanceof RegExp ? expected.test(actual) : actual.includes(String(expected))), `to match ${String(expected)}`),
  };
  return new Proxy(known, {
    get(target, property: string) {
      if (property in target) return target[property];
      throw new Error(`the vitest shim of the browser test has no matcher ${property}: add it to test/browser/vitest-shim.ts`);
    },
  });
}

export function expect(actual: unknown, label?: string): Matchers & { not: Matchers } {
  return Object.assign(matchers(actual, label, false), { not: matchers(actual, label, true) });
}
