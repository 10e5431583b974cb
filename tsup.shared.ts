import type { Options } from 'tsup';


/**
 * The tsup config every published package uses: ESM only, with declarations.
 *
 * @param overrides - options that differ for this package
 */
export function packageBuild(overrides: Partial<Options> = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'neutral',
    ...overrides,
  };
}
