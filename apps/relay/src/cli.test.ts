import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair } from 'jose';
import { UsageError, callerPath, runRelayCli } from './cli.js';

describe('runRelayCli', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a --max-clock-ahead that is not a positive number of seconds', async () => {
    for (const bad of ['abc', '0', '-5', 'Infinity']) {
      await expect(runRelayCli(['--port', '0', '--data', 'unused', '--quiet', `--max-clock-ahead=${bad}`])).rejects.toBeInstanceOf(UsageError);
    }
  });

  it('starts with a valid --max-clock-ahead', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'relay-cli-'));
    dirs.push(dir);
    const relay = await runRelayCli(['--port', '0', '--data', dir, '--quiet', '--max-clock-ahead', '30']);
    try {
      expect(relay.port).toBeGreaterThan(0);
    } finally {
      await relay.close();
    }
  });

  it('resolves a relative --data against the directory the command was typed in (INIT_CWD), not the package', () => {
    const script = { INIT_CWD: '/home/me/project', npm_package_json: '/repo/apps/relay/package.json' };
    expect(callerPath('./relay-data', script, '/repo/apps/relay')).toBe('/home/me/project/relay-data');
    expect(callerPath('/srv/relay', script, '/repo/apps/relay')).toBe('/srv/relay');
    // A child process started elsewhere inherits INIT_CWD, not its meaning: its own directory counts.
    expect(callerPath('relay-data', script, '/tmp/child')).toBe('/tmp/child/relay-data');
    expect(callerPath('relay-data', {}, '/tmp/plain')).toBe('/tmp/plain/relay-data');
  });

  it('takes a JWKS file and refuses one that is not a JWKS, and a bad --clock-tolerance or --log-level', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'relay-cli-'));
    dirs.push(dir);
    const { publicKey } = await generateKeyPair('ES256');
    await writeFile(join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] }));
    await writeFile(join(dir, 'not-jwks.json'), JSON.stringify({ key: 1 }));
    const base = ['--port', '0', '--data', join(dir, 'data'), '--quiet'];
    await expect(runRelayCli([...base, '--jwks', join(dir, 'not-jwks.json')])).rejects.toThrow(/must hold a JWKS/);
    await expect(runRelayCli([...base, '--jwks', join(dir, 'missing.json')])).rejects.toBeInstanceOf(UsageError);
    await expect(runRelayCli([...base, '--clock-tolerance=-1'])).rejects.toBeInstanceOf(UsageError);
    await expect(runRelayCli([...base, '--log-level', 'loud'])).rejects.toBeInstanceOf(UsageError);
    const relay = await runRelayCli([...base, '--jwks', join(dir, 'jwks.json'), '--audience', 'relay', '--issuer', 'https://idp.test', '--clock-tolerance', '30']);
    try {
      const refused = await fetch(`http://127.0.0.1:${relay.port}/v1/spaces/team/http/sessions`, { method: 'POST' });
      expect(refused.status).toBe(401);
    } finally {
      await relay.close();
    }
  });
});
