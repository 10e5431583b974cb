import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.ts';

// Two entries: the Node build (client and server) and the browser build (client only, no node:http).
export default defineConfig(packageBuild({ entry: ['src/index.ts', 'src/browser.ts'] }));
