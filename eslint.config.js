// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Layer rules from DESIGN.md, enforced with `no-restricted-imports`.
 * Imports only point down: core ← planner/applier/reconciler ← engine ← sdk ← apps;
 * adapters (wal-*, transport-*) depend on core only.
 */
const nodeBuiltins = {
  group: ['node:*', 'fs', 'fs/*', 'net', 'http', 'https', 'path', 'os', 'child_process', 'worker_threads', 'crypto'],
  message: 'This package is pure (DESIGN.md): no I/O, no Node built-ins. Take the capability as a parameter instead.',
};
const deepImports = {
  // Core's Node-only entry point (`@softadastra/sync-core/node`) is public too.
  group: ['@softadastra/*/*', '!@softadastra/sync-core/node'],
  message: 'Import packages through their public entry point only.',
};
/** @param {string[]} allowed */
const onlyWorkspace = (allowed) => ({
  group: ['@softadastra/*', ...allowed.map((name) => `!@softadastra/${name}`)],
  message: `Layer rule (DESIGN.md): this package may import only ${allowed.length ? allowed.map((n) => '@softadastra/' + n).join(', ') : 'no other workspace package'}.`,
});

/** @param {string[]} files @param {object[]} patterns */
const layer = (files, patterns) => ({
  files,
  ignores: ['**/*.test.ts', '**/test/**'],
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', '**/coverage/**', 'bench/results/**', 'apps/pack-test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.js', '*.ts', 'bin/*.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Unions (op kinds, message types) must be handled case by case: no `default` there.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Named exports only.' }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // Tool configs are loaded by their tools through a default export.
    files: ['**/*.config.ts', '**/*.config.js'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  // Core is portable, except its Node-only entry point (`./node`), which only Node adapters import.
  { ...layer(['packages/core/src/**'], [onlyWorkspace([]), nodeBuiltins]), ignores: ['**/*.test.ts', '**/test/**', 'packages/core/src/node/**'] },
  layer(['packages/core/src/node/**'], [onlyWorkspace([])]),
  layer(['packages/planner/src/**', 'packages/reconciler/src/**'], [onlyWorkspace(['sync-core']), nodeBuiltins, deepImports]),
  layer(['packages/applier/src/**'], [onlyWorkspace(['sync-core', 'sync-reconciler']), nodeBuiltins, deepImports]),
  layer(
    ['packages/engine/src/**'],
    [onlyWorkspace(['sync-core', 'sync-planner', 'sync-applier', 'sync-reconciler']), nodeBuiltins, deepImports],
  ),
  layer(['packages/wal-*/src/**', 'packages/transport-*/src/**'], [onlyWorkspace(['sync-core']), deepImports]),
  // The adapters' test kit sits beside them: core only, so that they can depend on it without a cycle.
  layer(['packages/testing/src/**'], [onlyWorkspace(['sync-core']), deepImports]),
  layer(['packages/simulator/src/**', 'packages/sdk/src/**', 'apps/**', 'bench/**'], [deepImports]),
);
