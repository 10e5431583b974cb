import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

/** `packages/` of this repository, found from this file (packages/testing/test/). */
const PACKAGES_DIR = fileURLToPath(new URL('../../', import.meta.url));

/** Which suite each family of adapter packages must run. */
const SUITES = [
  { prefix: 'wal-', suite: 'runWalConformance' },
  { prefix: 'transport-', suite: 'runTransportConformance' },
] as const;

const SOURCE_FILE = /\.(?:[cm]?ts|[cm]?js)$/;

interface LayoutReport {
  /** The adapter packages looked at, e.g. `wal-memory`. */
  readonly checked: readonly string[];
  /** One line per adapter package that does not run its suite. */
  readonly problems: readonly string[];
}

/**
 * Checks that every `wal-*` and `transport-*` directory of `packagesDir` has a
 * file under its `test/` that imports its conformance suite from
 * `@softadastra/sync-testing` and calls it.
 */
function checkConformanceLayout(packagesDir: string): LayoutReport {
  const checked: string[] = [];
  const problems: string[] = [];
  for (const entry of readdirSync(packagesDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const rule = SUITES.find(({ prefix }) => entry.name.startsWith(prefix));
    if (rule === undefined) continue;
    checked.push(entry.name);
    const testDir = join(packagesDir, entry.name, 'test');
    if (!existsSync(testDir)) {
      problems.push(`packages/${entry.name} has no test/ directory: add test/conformance.test.ts calling ${rule.suite}() from @softadastra/sync-testing`);
      continue;
    }
    const runsSuite = sourceFiles(testDir).some((file) => callsSuite(readFileSync(file, 'utf8'), rule.suite));
    if (!runsSuite) {
      problems.push(`packages/${entry.name}: no file under test/ imports ${rule.suite} from '@softadastra/sync-testing' and calls it`);
    }
  }
  return { checked, problems };
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (SOURCE_FILE.test(entry.name)) out.push(path);
  }
  return out;
}

/** Whether `source` imports `suite` (as a value) from the testing package and calls it, outside comments. */
function callsSuite(source: string, suite: string): boolean {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const imported = new RegExp(`import\\s*\\{[^}]*(?<!type\\s)\\b${suite}\\b[^}]*\\}\\s*from\\s*['"]@softadastra/sync-testing['"]`);
  const called = new RegExp(`\\b${suite}\\s*\\(`);
  return imported.test(code) && called.test(code);
}

/** The workspace's packages (`packages/*`, `apps/*`, `bench`) by name, with the workspace packages they depend on (dev dependencies included). */
function workspaceGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const dirs = ['packages', 'apps'].flatMap((group) => (existsSync(join(root, group)) ? readdirSync(join(root, group)).map((name) => join(root, group, name)) : []));
  dirs.push(join(root, 'bench'));
  for (const dir of dirs) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name: string } & Partial<Record<'dependencies' | 'devDependencies' | 'peerDependencies' | 'optionalDependencies', Record<string, string>>>;
    const deps = [manifest.dependencies, manifest.devDependencies, manifest.peerDependencies, manifest.optionalDependencies].flatMap((group) =>
      Object.entries(group ?? {})
        .filter(([, range]) => range.startsWith('workspace:'))
        .map(([name]) => name),
    );
    graph.set(manifest.name, [...new Set(deps)]);
  }
  return graph;
}

/** One cycle of `graph` (as the path that closes it), or undefined. */
function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'open') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'open');
    path.push(name);
    for (const dep of graph.get(name) ?? []) {
      const cycle = visit(dep);
      if (cycle !== undefined) return cycle;
    }
    path.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of [...graph.keys()].sort()) {
    const cycle = visit(name);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

describe('repository layout', () => {
  it('has no cycle in the workspace graph, dev dependencies included (pnpm and turbo warn about one on every run)', () => {
    const graph = workspaceGraph(join(PACKAGES_DIR, '..'));
    expect(graph.size, 'workspace packages found').toBeGreaterThan(10);
    expect(findCycle(graph)?.join(' → ')).toBeUndefined();
    // What breaks the cycle: the adapters' kit needs nothing but core.
    expect(graph.get('@softadastra/sync-testing')).toEqual(['@softadastra/sync-core']);
  });

  it('finds a cycle that goes through a dev dependency, and none in a tree', () => {
    const cyclic = new Map([
      ['engine', ['core', 'wal-memory']],
      ['wal-memory', ['core', 'testing']],
      ['testing', ['engine']],
      ['core', []],
    ]);
    expect(findCycle(cyclic)).toEqual(['engine', 'wal-memory', 'testing', 'engine']);
    expect(findCycle(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]]))).toBeUndefined();
  });

  it('has every wal-* and transport-* package run its conformance suite from @softadastra/sync-testing', () => {
    const { checked, problems } = checkConformanceLayout(PACKAGES_DIR);
    expect(checked, 'adapter packages found (none would make this check vacuous)').toEqual(expect.arrayContaining(['wal-memory', 'transport-memory']));
    expect(problems).toEqual([]);
  });

  describe('the checker', () => {
    let scratch: string | undefined;

    afterEach(() => {
      if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
      scratch = undefined;
    });

    /** Writes `files` (path → content) under a new temporary packages/ directory. */
    function fakePackages(files: Readonly<Record<string, string>>): string {
      scratch = mkdtempSync(join(tmpdir(), 'softadastra-layout-'));
      for (const [path, content] of Object.entries(files)) {
        const file = join(scratch, path);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, content);
      }
      return scratch;
    }

    it('reports adapter packages whose tests do not run their suite, and accepts those that do', () => {
      const dir = fakePackages({
        'wal-good/test/conformance.test.ts': "import { runWalConformance } from '@softadastra/sync-testing';\nrunWalConformance('good', { create: () => harness() });\n",
        'transport-good/test/nested/suite.test.ts':
          "import { createThing } from '../src/index.js';\nimport {\n  type TransportPair,\n  runTransportConformance,\n} from \"@softadastra/sync-testing\";\nrunTransportConformance('good', setup);\n",
        'wal-untested/test/unit.test.ts': "import { it } from 'vitest';\nit('works', () => {});\n",
        'wal-no-test-dir/src/index.ts': 'export {};\n',
        'wal-wrong-suite/test/conformance.test.ts': "import { runTransportConformance } from '@softadastra/sync-testing';\nrunTransportConformance('x', setup);\n",
        'transport-only-in-comment/test/conformance.test.ts':
          "import { runTransportConformance } from '@softadastra/sync-testing';\n// runTransportConformance('todo', setup);\n/* runTransportConformance('later', setup); */\n",
        'transport-type-import/test/conformance.test.ts': "import { type runTransportConformance } from '@softadastra/sync-testing';\nrunTransportConformance('x', setup);\n",
        'wal-own-copy/test/conformance.test.ts': "import { runWalConformance } from './my-copy.js';\nrunWalConformance('x', setup);\n",
        'wal-suite-in-src/src/conformance.test.ts': "import { runWalConformance } from '@softadastra/sync-testing';\nrunWalConformance('x', setup);\n",
        'core/src/index.ts': 'export {};\n',
      });
      const { checked, problems } = checkConformanceLayout(dir);
      expect([...checked].sort()).toEqual(
        [
          'transport-good',
          'transport-only-in-comment',
          'transport-type-import',
          'wal-good',
          'wal-no-test-dir',
          'wal-own-copy',
          'wal-suite-in-src',
          'wal-untested',
          'wal-wrong-suite',
        ].sort(),
      );
      const flagged = problems.map((problem) => /packages\/([\w-]+)/.exec(problem)?.[1]).sort();
      expect(flagged).toEqual(
        ['transport-only-in-comment', 'transport-type-import', 'wal-no-test-dir', 'wal-own-copy', 'wal-suite-in-src', 'wal-untested', 'wal-wrong-suite'].sort(),
      );
      expect(problems.find((problem) => problem.includes('wal-no-test-dir'))).toMatch(/no test\/ directory/);
      expect(problems.find((problem) => problem.includes('wal-untested'))).toMatch(/runWalConformance/);
    });
  });
});
