import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.ts';

// Two entries: the library (with declarations) and the `softadastra-relay` bin (its hashbang is kept).
export default defineConfig(packageBuild({ entry: ['src/index.ts', 'src/main.ts'], dts: { entry: 'src/index.ts' }, platform: 'node' }));
