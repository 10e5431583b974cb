/**
 * `pnpm web [--port 8080] [--host 127.0.0.1] [--data ./apps/web/.relay-data] [--board main]`
 *
 * Serves the built board (`dist/`, built by `vite build` just before) and
 * runs a relay in-process on a free loopback port; the web server forwards
 * the relay's paths to it, so the page's origin is its relay. Prints the URL.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { callerPath, createRelay } from '@softadastra/relay';
import { startWebServer } from './web-server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    data: { type: 'string' },
    board: { type: 'string', default: 'main' },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`web: --port must be a port number (0 picks a free one), got ${values.port}`);
  process.exit(2);
}
const dir = fileURLToPath(new URL('../dist', import.meta.url));
if (!existsSync(`${dir}/index.html`)) {
  console.error('web: dist/index.html is missing: build the app first (pnpm --filter @softadastra/web build), or run pnpm web');
  process.exit(1);
}
const dataDir = values.data !== undefined ? callerPath(values.data) : fileURLToPath(new URL('../.relay-data', import.meta.url));

// Open mode (anyone may read and write): a board for this machine, not the internet. The relay warns so.
const relay = await createRelay({ dataDir, port: 0, host: '127.0.0.1' });
const web = await startWebServer({ dir, port, host: values.host, relay: { host: '127.0.0.1', port: relay.port } });
const board = new URL(web.url);
if (values.board !== 'main') board.searchParams.set('board', values.board);
console.log(`relay  ${relay.url} (data in ${dataDir})`);
console.log(`board  ${board.href}`);
console.log('open it in two browsers (or a private window) to see them sync; Ctrl-C stops');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void Promise.allSettled([web.close(), relay.close()]).then(() => process.exit(0));
  });
}
