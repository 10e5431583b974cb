import { describe, expect, it } from 'vitest';
import { within } from './output.js';

describe('within', () => {
  it('waits out a --timeout longer than 2^31−1 ms instead of failing at once', async () => {
    const never = new Promise<never>(() => undefined);
    const outcome = await Promise.race([
      within(never, 2 ** 31 + 1_000, 'get').then(
        () => 'answered',
        () => 'timed out',
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 100)),
    ]);
    expect(outcome).toBe('still waiting');
  });

  it('fails with a network error once a short timeout passes', async () => {
    await expect(within(new Promise<never>(() => undefined), 20, 'get')).rejects.toThrow(/no answer within 20 ms/);
  });
});
