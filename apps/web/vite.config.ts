import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

/** Workspace packages resolve to their TypeScript sources, and the SDK to its browser entry. */
const conditions = ['@softadastra/source', 'browser', 'module', 'development|production'];

/** The service worker's placeholder for its precache manifest (service-worker/service-worker.ts). */
const MANIFEST_PLACEHOLDER = '__SOFTADASTRA_PRECACHE_MANIFEST__';

/**
 * Writes the list of every built file, and a version derived from their
 * contents, into `sw.js`, so the service worker can cache the whole app at
 * install and serve it offline. Fails the build if the placeholder is missing.
 */
function precacheManifest(): Plugin {
  let outDir = '';
  return {
    name: 'softadastra-web:precache-manifest',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    async writeBundle(_options, bundle) {
      const hash = createHash('sha256');
      const files: string[] = [];
      for (const [file, output] of Object.entries(bundle).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (file === 'sw.js' || file.endsWith('.map')) continue;
        files.push(file);
        hash.update(file).update(output.type === 'chunk' ? output.code : output.source);
      }
      const manifest = { version: hash.digest('hex').slice(0, 16), files };
      const path = resolve(outDir, 'sw.js');
      const code = await readFile(path, 'utf8');
      const literal = new RegExp(`(["'\`])${MANIFEST_PLACEHOLDER}\\1`, 'g');
      const found = code.match(literal)?.length ?? 0;
      if (found !== 1) throw new Error(`sw.js must hold the precache placeholder exactly once, found it ${found} times`);
      await writeFile(path, code.replace(literal, JSON.stringify(JSON.stringify(manifest))));
    },
  };
}

export default defineConfig({
  // Relative URLs: the app works under any path it is served from.
  base: './',
  resolve: { conditions },
  build: {
    target: 'chrome111',
    rolldownOptions: {
      input: { main: resolve(import.meta.dirname, 'index.html'), sw: resolve(import.meta.dirname, 'src/service-worker/service-worker.ts') },
      output: { entryFileNames: (chunk) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js') },
    },
  },
  plugins: [precacheManifest()],
});
