/** Verification: two states are equal as plain data (object key order ignored). */
import type { State } from './adapter.ts';

/** Returns `undefined` when equal, else a short description of the first differences. */
export function compareStates(actual: State, expected: State): string | undefined {
  const problems: string[] = [];
  const actualKeys = Object.keys(actual);
  const expectedKeys = Object.keys(expected);
  if (actualKeys.length !== expectedKeys.length) problems.push(`${actualKeys.length} keys instead of ${expectedKeys.length}`);
  let differing = 0;
  for (const key of expectedKeys) {
    const a = actual[key];
    const e = expected[key]!;
    if (a === undefined || a.name !== e.name || a.n !== e.n || a.done !== e.done || Object.keys(a).length !== 3) {
      if (differing < 2) problems.push(`${key}: ${JSON.stringify(a)} instead of ${JSON.stringify(e)}`);
      differing++;
    }
  }
  if (differing > 2) problems.push(`${differing} keys differ in all`);
  return problems.length === 0 ? undefined : problems.join('; ');
}
