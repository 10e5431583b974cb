import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.ts';

// The `softadastra` bin only: no library entry, so no declarations.
export default defineConfig(packageBuild({ entry: ['src/main.ts'], dts: false, platform: 'node' }));
