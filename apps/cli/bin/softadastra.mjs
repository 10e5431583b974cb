#!/usr/bin/env node
// The `softadastra` command in this repository: runs the TypeScript sources through tsx, with the workspace's
// source condition (`pnpm --filter @softadastra/cli start`, the tests). The published bin is the built dist/main.js.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const tsx = require.resolve('tsx');
const child = spawn(process.execPath, ['--import', tsx, '--conditions=@softadastra/source', main, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 15 : 1)));
