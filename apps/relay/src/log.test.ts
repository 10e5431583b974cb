import { describe, expect, it } from 'vitest';
import { createLogger, rateLimitedLogger } from './log.js';

describe('rateLimitedLogger', () => {
  it('writes a bounded number of lines for a flood of one event, and says how many it held back', () => {
    const lines: string[] = [];
    let time = 0;
    const log = rateLimitedLogger(createLogger((line) => lines.push(line)), { perSecond: 10, burst: 20, now: () => time });
    for (let i = 0; i < 100_000; i++) log.warn('engine-error', { i });
    expect(lines).toHaveLength(20);
    // Other events are not starved by the flood.
    log.info('connect', {});
    expect(lines.map((line) => (JSON.parse(line) as { event: string }).event)).toContain('connect');
    time += 1_000;
    log.warn('engine-error', { i: -1 });
    const parsed = lines.map((line) => JSON.parse(line) as { event: string; suppressed?: Record<string, number> });
    const report = parsed.find((line) => line.event === 'log-suppressed');
    expect(report?.suppressed).toEqual({ 'engine-error': 100_000 - 20 });
    expect(lines.length).toBeLessThan(30);
  });
});

describe('createLogger', () => {
  it('writes one JSON line per event, with a readable level, an ISO time, and tokens redacted', () => {
    const lines: string[] = [];
    const log = createLogger((line) => lines.push(line));
    log.warn('refused', { token: 'eyJ.secret.sig', request: { headers: { authorization: 'Bearer eyJ.secret.sig' } }, space: 'team' });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(lines[0]).not.toContain('eyJ.secret.sig');
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'warn', event: 'refused', token: '[redacted]', space: 'team' });
    expect(new Date(line['time'] as string).toISOString()).toBe(line['time']);
  });

  it('writes nothing below its level, and nothing at all when false', () => {
    const lines: string[] = [];
    const log = createLogger((line) => lines.push(line), { level: 'warn' });
    log.info('connect', {});
    log.error('server-error', { message: 'x' });
    expect(lines.map((l) => (JSON.parse(l) as { event: string }).event)).toEqual(['server-error']);
    expect(() => createLogger(false).error('server-error')).not.toThrow();
  });
});
