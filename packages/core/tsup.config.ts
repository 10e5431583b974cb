import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.ts';

// The portable entry point, and the Node-only one (`./node`, Node built-ins kept as imports).
export default defineConfig(packageBuild({ entry: ['src/index.ts', 'src/node/index.ts'], external: [/^node:/] }));
