/**
 * The release check: every publishable package is packed (`pnpm pack`, as
 * `pnpm publish` would), the tarballs are installed with npm into fresh
 * projects outside the workspace (no pnpm, no workspace links), and used there
 * as a stranger would: two TypeScript apps compile under strict NodeNext, the
 * relay and CLI bins run, and three peers sync through the relay.
 *
 * npm may fetch third-party packages (ws, better-sqlite3, @types/node) from
 * its registry, but never an `@softadastra/*` one: the temp projects point
 * that scope at a registry served here from the tarballs just packed (so
 * dependencies and optional peers resolve by name and range, as they will
 * once published), and the lockfile is checked.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const TSC = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly license?: string;
  readonly repository?: unknown;
  readonly engines?: { readonly node?: string };
  readonly bin?: Record<string, string>;
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

interface Packed {
  readonly dir: string;
  readonly tarball: string;
  readonly files: readonly string[];
  readonly manifest: Manifest;
}

/** Every workspace package that is not private. */
function publishable(): { dir: string; manifest: Manifest }[] {
  const found = [];
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(ROOT, group))) {
      const file = join(ROOT, group, name, 'package.json');
      if (!existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
      if (manifest.private !== true) found.push({ dir: join(ROOT, group, name), manifest });
    }
  }
  return found;
}

/**
 * A child's environment: this one without what pnpm, npx and vitest set for themselves (npm would
 * take their `npm_config_*` for its own: prefix, workspace, user agent), and better-sqlite3 built
 * from source against local headers (no download of prebuilt binaries).
 */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|pnpm_|INIT_CWD$|VITEST|NODE_OPTIONS$|NODE_ENV$|TEST$)/i.test(key)) env[key] = value;
  }
  return { ...env, npm_config_build_from_source: 'true', JOBS: 'max', npm_config_update_notifier: 'false' };
}

async function nodedir(): Promise<string | undefined> {
  const { stdout } = await run('npm', ['config', 'get', 'nodedir'], { env: npmEnv() });
  const dir = stdout.trim();
  return dir.length > 0 && dir !== 'undefined' && dir !== 'null' ? dir : undefined;
}

/**
 * A registry for our scope holding only the packed tarballs: the packument
 * of each (`GET /@softadastra%2fname`) and the tarball itself.
 */
async function serveTarballs(byName: ReadonlyMap<string, Packed>): Promise<{ url: string; server: Server }> {
  let url = '';
  const server = createServer((request, response) => {
    const path = decodeURIComponent(request.url ?? '/').replace(/^\//, '');
    const tarball = /^-\/(.+\.tgz)$/.exec(path);
    const packed = tarball ? [...byName.values()].find((entry) => entry.tarball.endsWith(`/${tarball[1]!}`)) : byName.get(path);
    if (packed === undefined) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    } else if (tarball) {
      response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(packed.tarball));
    } else {
      const bytes = readFileSync(packed.tarball);
      const { name, version } = packed.manifest;
      const dist = {
        tarball: `${url}-/${packed.tarball.split('/').at(-1)!}`,
        shasum: createHash('sha1').update(bytes).digest('hex'),
        integrity: integrityOf(packed.tarball),
      };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name, 'dist-tags': { latest: version }, versions: { [version]: { ...packed.manifest, dist } } }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { url, server };
}

/** A fresh npm project depending on the given packages of ours (and third-party ones), by version. */
async function npmProject(dir: string, registry: string, dependencies: Record<string, string>): Promise<void> {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'stranger-app', version: '1.0.0', private: true, type: 'module', dependencies }, null, 2));
  writeFileSync(join(dir, '.npmrc'), `@softadastra:registry=${registry}\n`);
  const env = npmEnv();
  const headers = await nodedir();
  if (headers !== undefined) env['npm_config_nodedir'] = headers;
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, env, maxBuffer: 64 * 1024 * 1024, timeout: 240_000, killSignal: 'SIGKILL' });
}

/** Every installed `@softadastra/*` package (by its path in node_modules) and the integrity npm recorded. */
function installedOurs(dir: string): Record<string, string> {
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { integrity?: string }> };
  const ours: Record<string, string> = {};
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (/(?:^|\/)node_modules\/@softadastra\/[^/]+$/.test(path)) ours[path] = entry.integrity ?? '';
  }
  return ours;
}

/** The integrity string npm computes for a tarball. */
function integrityOf(tarball: string): string {
  return `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
}

const children: ChildProcess[] = [];

/** Starts a long-running command; resolves with the first stdout line matching `ready`. */
function start(command: string, args: readonly string[], cwd: string, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(command, args, { cwd, env: npmEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} ${args.join(' ')} printed nothing matching ${String(ready)} in 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${String(code)} before it was ready:\n${output}`));
    });
  });
}

/** Ends a process started with {@link start}, and whatever it spawned (npx runs node as a child). */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid, 'SIGTERM');
  await exited;
}

/** The last line of a command's stdout, parsed as JSON. */
async function json(command: string, args: readonly string[], cwd: string): Promise<unknown> {
  const { stdout } = await run(command, [...args], { cwd, env: npmEnv(), timeout: 60_000 });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as unknown;
}

/** The TypeScript snippet of the root README's "Use it" section, exactly as it stands there. */
function readmeSnippet(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it'));
  const snippet = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (snippet === undefined) throw new Error('the README has no TypeScript snippet under "## Use it"');
  return snippet;
}

describe('the packed packages, installed with npm outside the workspace', () => {
  const work = mkdtempSync(join(tmpdir(), 'softadastra-pack-'));
  const tarballs = join(work, 'tarballs');
  const full = join(work, 'full');
  const sdkOnly = join(work, 'sdk-only');
  const byName = new Map<string, Packed>();
  let registry: Server | undefined;
  let registryUrl = '';

  beforeAll(async () => {
    const packages = publishable();
    const missing = packages.filter(({ dir }) => !existsSync(join(dir, 'dist')));
    if (missing.length > 0) throw new Error(`not built: ${missing.map(({ manifest }) => manifest.name).join(', ')} — run pnpm build`);
    await Promise.all(
      packages.map(async ({ dir, manifest }) => {
        const { stdout } = await run('pnpm', ['pack', '--json', '--pack-destination', tarballs], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
        const report = JSON.parse(stdout) as { filename: string; files: { path: string }[] };
        const tarball = report.filename.startsWith('/') ? report.filename : join(tarballs, report.filename);
        const { stdout: packedJson } = await run('tar', ['-xzOf', tarball, 'package/package.json']);
        byName.set(manifest.name, { dir, tarball, files: report.files.map((file) => file.path), manifest: JSON.parse(packedJson) as Manifest });
      }),
    );
    cpSync(join(FIXTURES, 'full'), full, { recursive: true });
    // The README's quick start, as written: compiled with the apps below, run against the relay bin.
    writeFileSync(join(full, 'src', 'quickstart.ts'), readmeSnippet());
    cpSync(join(FIXTURES, 'sdk-only'), sdkOnly, { recursive: true });
    ({ server: registry, url: registryUrl } = await serveTarballs(byName));
    const version = (name: string): string => byName.get(name)!.manifest.version;
    const stack = ['@softadastra/sdk', '@softadastra/relay', '@softadastra/cli', '@softadastra/sync-core', '@softadastra/sync-engine', '@softadastra/wal-sqlite', '@softadastra/transport-websocket'];
    await Promise.all([
      npmProject(full, registryUrl, { ...Object.fromEntries(stack.map((name) => [name, version(name)])), '@types/node': '^20.19.0' }),
      npmProject(sdkOnly, registryUrl, { '@softadastra/sdk': version('@softadastra/sdk') }),
    ]);
  });

  afterAll(async () => {
    await Promise.all(children.map(stop));
    registry?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('packs every package with its licence, readme, built code and publishable metadata', () => {
    expect([...byName.keys()]).toEqual(expect.arrayContaining(['@softadastra/sdk', '@softadastra/relay', '@softadastra/cli', '@softadastra/wal-sqlite']));
    for (const [name, packed] of byName) {
      expect(packed.files, name).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
      // In the package's own directory, not only copied from the root by pnpm: `npm publish` from there packs it too.
      expect(readFileSync(join(packed.dir, 'LICENSE'), 'utf8'), `${name}: LICENSE in its directory, the root's`).toBe(readFileSync(join(ROOT, 'LICENSE'), 'utf8'));
      expect(packed.files.some((file) => file.startsWith('dist/') && file.endsWith('.js')), `${name} has built JavaScript`).toBe(true);
      expect(packed.files.filter((file) => file.endsWith('.test.ts')), name).toEqual([]);
      expect(packed.manifest.license, name).toBe('Apache-2.0');
      expect(packed.manifest.repository, name).toBeDefined();
      expect(packed.manifest.engines?.node, name).toBeDefined();
      const ranges = JSON.stringify([packed.manifest.dependencies, packed.manifest.peerDependencies]);
      expect(ranges, `${name} has no workspace: ranges left`).not.toContain('workspace:');
      for (const target of Object.values(packed.manifest.bin ?? {})) {
        expect(packed.files, `${name}'s bin ${target} is packed`).toContain(target.replace(/^\.\//, ''));
      }
      const readme = readFileSync(join(packed.dir, 'README.md'), 'utf8');
      expect(readme, `${name}'s README links work on the registry`).not.toMatch(/\]\(\.\.\//);
    }
  });

  it('passes pnpm publish -r --dry-run', async () => {
    // The registry is ours, answering 404 to everything: pnpm sees nothing published yet and asks no real registry.
    const { stdout, stderr } = await run('pnpm', ['publish', '-r', '--dry-run', '--no-git-checks', '--registry', `${registryUrl}nothing/`], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    for (const name of byName.keys()) expect(`${stdout}${stderr}`, name).toContain(`Skip publishing ${name}@`);
  });

  it('installs our packages from the tarballs only', () => {
    for (const dir of [full, sdkOnly]) {
      const ours = installedOurs(dir);
      expect(Object.keys(ours).length).toBeGreaterThan(0);
      const packed = new Set([...byName.values()].map((entry) => integrityOf(entry.tarball)));
      for (const [path, integrity] of Object.entries(ours)) expect(packed.has(integrity), `${path} is one of the tarballs packed here`).toBe(true);
    }
  });

  it('an SDK-only install has no SQLite, and works with memory and directory storage', async () => {
    expect(existsSync(join(sdkOnly, 'node_modules', 'better-sqlite3'))).toBe(false);
    expect(existsSync(join(sdkOnly, 'node_modules', '@softadastra', 'wal-sqlite'))).toBe(false);
    const result = await json('node', ['check.mjs', join(sdkOnly, 'data')], sdkOnly);
    expect(result).toMatchObject({ values: { memory: { storage: ':memory:' }, dir: { storage: join(sdkOnly, 'data', 'files') } } });
    expect(result).toMatchObject({
      error: { isSyncError: true, code: 'E_MISSING_DEPENDENCY', message: expect.stringContaining('npm install @softadastra/wal-sqlite') as unknown },
    });
  });

  it('compiles an SDK app and a hand-composed stack under strict NodeNext', async () => {
    const compiled = await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: full }).then(
      () => '',
      (error: Error & { stdout?: string }) => error.stdout ?? error.message,
    );
    expect(compiled).toBe('');
    expect(existsSync(join(full, 'dist', 'sdk-app.js'))).toBe(true);
    expect(existsSync(join(full, 'dist', 'stack-app.js'))).toBe(true);
    expect(existsSync(join(full, 'dist', 'quickstart.js'))).toBe(true);
  });

  it("runs the README's quick start as written against the relay bin, and it exits by itself once done", async () => {
    const { child: relay, match } = await start('npx', ['@softadastra/relay', '--port', '0', '--data', './quickstart-relay', '--quiet'], full, /relay listening on (ws:\/\/\S+)/);
    // Only the relay's address differs from the README (port 0 picks a free one).
    const compiled = readFileSync(join(full, 'dist', 'quickstart.js'), 'utf8');
    expect(compiled).toContain("'ws://localhost:8787'");
    writeFileSync(join(full, 'dist', 'quickstart-here.js'), compiled.replace("'ws://localhost:8787'", JSON.stringify(match[1]!)));
    const { stdout } = await run('node', ['dist/quickstart-here.js'], { cwd: full, env: npmEnv(), timeout: 60_000 });
    expect(stdout).toContain("title: 'Milk'");
    expect(stdout).toMatch(/ 1 synced 0|1 syncing \d+/);
    expect(existsSync(join(full, 'data'))).toBe(true);
    await stop(relay);
  });

  it('runs the relay bin, syncs the two apps and the CLI bin through it', async () => {
    const { child: relay, match } = await start('npx', ['@softadastra/relay', '--port', '0', '--data', './relay-data', '--quiet'], full, /relay listening on (ws:\/\/\S+)/);
    const url = match[1]!;

    // The composed peer waits for the SDK peer's write, then writes its own.
    const stack = json('node', ['dist/stack-app.js', url, join(full, 'peer-b.sqlite')], full);
    await expect(json('node', ['dist/sdk-app.js', url, join(full, 'peer-a')], full)).resolves.toEqual({ wrote: 't1', value: { title: 'Milk', done: false } });
    await expect(stack).resolves.toEqual({ seen: { title: 'Milk', done: false }, wrote: 't2' });

    // A third peer, the CLI, reads both writes back from the relay.
    for (const [key, value] of [
      ['todos/t1', { title: 'Milk', done: false }],
      ['todos/t2', { title: 'Bread', done: true }],
    ] as const) {
      const got = await json('npx', ['softadastra', 'get', 'team', key, '--relay', url, '--data', './cli-data', '--json'], full);
      expect(got).toMatchObject({ value });
    }
    expect(readdirSync(join(full, 'relay-data')).length, 'the relay keeps its spaces in --data, from the caller\'s directory').toBeGreaterThan(0);
    await stop(relay);
    expect(relay.signalCode ?? relay.exitCode).not.toBeNull();
  });
});
