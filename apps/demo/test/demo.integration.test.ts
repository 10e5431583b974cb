import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

describe('pnpm demo', () => {
  it('runs the whole story and ends with "converged: yes"', async () => {
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@softadastra/source', MAIN], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('exit', (exitCode) => resolve({ code: exitCode, stdout: out }));
    });
    const lines = stdout.trim().split('\n');
    expect(lines[lines.length - 1]).toMatch(/^converged: yes peers=3 keys=100 digest=[0-9a-f]{16}$/);
    expect(stdout).toMatch(/carol SIGKILLed in the middle of a sync/);
    expect(stdout).toMatch(/bob is offline and writes 200 more/);
    expect(code).toBe(0);
  }, 120_000);
});
