// Sums every vitest JSON report (test-results.json) in the workspace into one
// line, "N passed, N failed", so that a run which executed no test is visible.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
const reports = [];
for (const group of ['packages', 'apps', 'bench']) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  const names = group === 'bench' ? ['.'] : readdirSync(dir);
  for (const name of names) {
    const file = join(dir, name, 'test-results.json');
    if (existsSync(file)) reports.push(file);
  }
}
for (const file of reports) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  // A test file that failed to load, or whose beforeAll failed (its tests are then skipped, not
  // failed), is a failure even though no test in it failed.
  for (const result of report.testResults ?? []) {
    if (result.status === 'failed' && !(result.assertionResults ?? []).some((test) => test.status === 'failed')) failed += 1;
  }
}
console.log(`${passed} passed, ${failed} failed`);
