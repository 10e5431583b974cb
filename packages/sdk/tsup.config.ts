import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.ts';

// Two entries: Node (every storage and transport) and the browser build (no node:*, no SQLite, no ws).
export default defineConfig(packageBuild({ entry: ['src/index.ts', 'src/browser.ts'], platform: 'node' }));
