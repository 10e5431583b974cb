import { defineConfig, type ViteUserConfig } from 'vitest/config';

/** Resolve workspace packages to their TypeScript sources (the custom export condition). */
const conditions = ['@softadastra/source', 'module', 'node', 'development|production'];

/**
 * The vitest config every package uses: sources through the custom condition,
 * unit tests next to the code, integration tests in test/, and a JSON report
 * that .ci/run sums into its final "N passed, N failed" line.
 *
 * @param test - overrides of the test options
 */
export function packageTests(test: ViteUserConfig['test'] = {}): ViteUserConfig {
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: conditions } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      reporters: ['default', 'json'],
      outputFile: { json: 'test-results.json' },
      testTimeout: 30_000,
      ...test,
    },
  });
}
