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
  group: ['@softadastra/*/*'],
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
  layer(['packages/core/src/**'], [onlyWorkspace([]), nodeBuiltins]),
  layer(['packages/planner/src/**', 'packages/reconciler/src/**'], [onlyWorkspace(['sync-core']), nodeBuiltins, deepImports]),
  layer(['packages/applier/src/**'], [onlyWorkspace(['sync-core', 'sync-reconciler']), nodeBuiltins, deepImports]),
  layer(
    ['packages/engine/src/**'],
    [onlyWorkspace(['sync-core', 'sync-planner', 'sync-applier', 'sync-reconciler']), nodeBuiltins, deepImports],
  ),
  layer(['packages/wal-*/src/**', 'packages/transport-*/src/**'], [onlyWorkspace(['sync-core']), deepImports]),
  layer(['packages/testing/src/**', 'packages/sdk/src/**', 'apps/**', 'bench/**'], [deepImports]),
);
