import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';

// What a bundler makes of the SDK for a page: the `browser` export conditions all the way down, and
// nothing of Node in it. esbuild for `platform: 'browser'` fails on a Node built-in it cannot
// resolve, and the inputs are checked for the Node-only modules by name.

const SDK = fileURLToPath(new URL('..', import.meta.url));

async function bundle(minify: boolean): Promise<{ code: string; metafile: Metafile }> {
  const result = await build({
    absWorkingDir: SDK,
    stdin: { contents: "export * from '@softadastra/sdk';", resolveDir: SDK, loader: 'ts' },
    bundle: true,
    write: false,
    metafile: true,
    minify,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@softadastra/source'],
    logLevel: 'silent',
  });
  return { code: result.outputFiles[0]!.text, metafile: result.metafile };
}

/** The inputs a browser must never load: Node built-ins, native SQLite, `ws`, the Node-only sources. */
const NODE_ONLY = /^node:|(^|\/)node_modules\/(ws|better-sqlite3|bindings)\/|packages\/(wal-file|wal-sqlite)\/|\/(storage|node-peer)\.ts$|transport-websocket\/src\/(index|websocket-transport|websocket-server|server-connection)\.ts$|transport-http\/src\/(index|http-transport-server|server-connection|request-body|http-reply|bearer-token)\.ts$|sync-core\/src\/node\//;

describe('the browser build of the SDK', () => {
  it('bundles for platform browser with nothing of Node in it', async () => {
    const { code, metafile } = await bundle(false);
    const inputs = Object.keys(metafile.inputs);
    expect(inputs).toContain('src/browser.ts');
    expect(inputs.some((input) => input.endsWith('wal-indexeddb/src/index.ts'))).toBe(true);
    expect(inputs.filter((input) => NODE_ONLY.test(input))).toEqual([]);
    expect(code).not.toMatch(/\brequire\(|from ["']node:|import\(["']node:/);
    expect(code).toContain('createPeer');
  });

  it('is small: its minified and gzipped size, as in the README', async () => {
    const { code } = await bundle(true);
    const min = Buffer.byteLength(code);
    const gzip = gzipSync(code, { level: 9 }).length;
    console.log(`sdk browser bundle: ${(min / 1024).toFixed(1)} KiB min, ${(gzip / 1024).toFixed(1)} KiB min+gzip`);
    // A budget, not a benchmark: the README's figure plus headroom; a Node module dragged in breaks it.
    expect(gzip).toBeLessThan(68 * 1024);
  });
});
