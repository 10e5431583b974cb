import { describe, expect, it } from 'vitest';
import { TransportError, createManualClock, createReconnectLoop, resolveReconnectPolicy, type ReconnectAttempt, type ReconnectLoopOptions, type SyncError, type TokenProvider } from './index.js';

/** Lets the loop's microtasks (deferral, token reading) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

function harness(options: Partial<ReconnectLoopOptions> = {}) {
  const clock = createManualClock({ start: 0, random: () => 0.999 });
  const attempts: ReconnectAttempt[] = [];
  const reports: SyncError[] = [];
  const gaveUp: SyncError[] = [];
  const loop = createReconnectLoop({
    urls: ['ws://a/', 'ws://b/'],
    policy: { baseMs: 100, maxMs: 1_000 },
    clock,
    connect: (attempt) => attempts.push(attempt),
    report: (error) => reports.push(error),
    giveUp: (error) => gaveUp.push(error),
    ...options,
  });
  return { clock, attempts, reports, gaveUp, loop };
}

const refused = (): TransportError => new TransportError('E_TRANSPORT', 'refused');

describe('reconnect loop', () => {
  it('makes the first attempt from a microtask, never inside start()', async () => {
    const { loop, attempts } = harness();
    loop.start();
    expect(attempts).toHaveLength(0);
    await settle();
    expect(attempts.map((a) => a.url)).toEqual(['ws://a/']);
    expect(attempts[0]!.token).toBeUndefined();
    expect(attempts[0]!.isCurrent()).toBe(true);
  });

  it('backs off exponentially (with jitter under the ceiling), rotating through the URLs, and reports once per outage', async () => {
    const { loop, attempts, reports, clock } = harness();
    loop.start();
    await settle();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const before = clock.now();
      loop.failed(refused());
      expect(attempts[attempts.length - 1]!.isCurrent()).toBe(true);
      clock.runNext();
      await settle();
      expect(attempts[attempts.length - 2]!.isCurrent()).toBe(false);
      delays.push(clock.now() - before);
    }
    // random() = 0.999: just under each ceiling 100, 200, 400, 800, then capped at 1000.
    expect(delays).toEqual([99, 199, 399, 799, 999, 999]);
    expect(attempts.map((a) => a.url)).toEqual(['ws://a/', 'ws://b/', 'ws://a/', 'ws://b/', 'ws://a/', 'ws://b/', 'ws://a/']);
    expect(reports).toHaveLength(1);
    // Open, then lose a link that worked: backoff starts over on the same URL, and a new outage reports again.
    loop.opened();
    expect(loop.lost(true, false)).toBe(true);
    const before = clock.now();
    clock.runNext();
    await settle();
    expect(clock.now() - before).toBe(99);
    expect(attempts[attempts.length - 1]!.url).toBe('ws://a/');
    loop.failed(refused());
    expect(reports).toHaveLength(2);
  });

  it('counts an error reported for the drop as the outage report', async () => {
    const { loop, reports, clock } = harness();
    loop.start();
    await settle();
    loop.opened();
    loop.lost(true, true);
    clock.runNext();
    await settle();
    loop.failed(refused());
    expect(reports).toHaveLength(0);
  });

  it('gives up at the first failure when reconnecting is off, and a lost link is final', async () => {
    const { loop, gaveUp, reports, clock, attempts } = harness({ policy: false });
    loop.start();
    await settle();
    expect(loop.enabled).toBe(false);
    const error = refused();
    loop.failed(error);
    expect(gaveUp).toEqual([error]);
    expect(reports).toEqual([]);
    expect(loop.stopped).toBe(true);
    expect(clock.pending()).toBe(0);
    expect(attempts[0]!.isCurrent()).toBe(false);
    const again = harness({ policy: false });
    expect(again.loop.lost(true, false)).toBe(false);
  });

  it('asks the token provider before every attempt, and retries with backoff when it fails', async () => {
    let calls = 0;
    const token: TokenProvider = () => {
      calls++;
      if (calls === 1) throw new Error('auth server down');
      if (calls === 2) return Promise.resolve(42 as unknown as string);
      return Promise.resolve(`t${calls}`);
    };
    const { loop, attempts, reports, clock } = harness({ token });
    loop.start();
    await settle();
    expect(attempts).toHaveLength(0);
    expect(reports.map((e) => e.message)).toEqual(['the token provider for ws://a/ failed: auth server down — retrying with backoff']);
    clock.runNext();
    await settle();
    expect(attempts).toHaveLength(0);
    clock.runNext();
    await settle();
    expect(attempts.map((a) => [a.url, a.token])).toEqual([['ws://a/', 't3']]);
    expect(calls).toBe(3);
  });

  it('setUrls() supersedes the attempt in flight and dials the new first URL at once, with a fresh backoff', async () => {
    const { loop, attempts, clock } = harness();
    loop.start();
    await settle();
    loop.failed(refused());
    loop.failed(refused());
    expect(clock.pending()).toBe(1);
    loop.setUrls(['ws://c/']);
    expect(clock.pending()).toBe(0);
    await settle();
    expect(attempts.map((a) => a.url)).toEqual(['ws://a/', 'ws://c/']);
    expect(attempts[0]!.isCurrent()).toBe(false);
    expect(loop.url).toBe('ws://c/');
    const before = clock.now();
    loop.failed(refused());
    clock.runNext();
    expect(clock.now() - before).toBe(99);
  });

  it('stop() cancels the pending retry and supersedes the current attempt', async () => {
    const { loop, attempts, clock } = harness();
    loop.start();
    await settle();
    loop.failed(refused());
    loop.stop();
    expect(clock.pending()).toBe(0);
    expect(attempts[0]!.isCurrent()).toBe(false);
    loop.failed(refused());
    expect(clock.pending()).toBe(0);
    expect(loop.lost(true, false)).toBe(false);
    expect(() => loop.setUrls(['ws://c/'])).toThrow(expect.objectContaining({ code: 'E_CLOSED' }) as Error);
  });
});

describe('reconnect policy', () => {
  it('fills in the defaults and checks the numbers', () => {
    expect(resolveReconnectPolicy(undefined)).toEqual({ baseMs: 250, maxMs: 30_000 });
    expect(resolveReconnectPolicy({ baseMs: 10 })).toEqual({ baseMs: 10, maxMs: 30_000 });
    expect(resolveReconnectPolicy(false)).toBe(false);
    expect(() => resolveReconnectPolicy({ baseMs: 0 })).toThrow(/reconnect.baseMs/);
    expect(() => resolveReconnectPolicy({ baseMs: 100, maxMs: 50 })).toThrow(/reconnect.maxMs/);
  });
});
