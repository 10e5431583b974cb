import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';

describe('Metrics', () => {
  it('counts by label, sums over labels, and renders Prometheus text beside the process metrics', async () => {
    const metrics = new Metrics();
    const rejected = metrics.counter('relay_rejected_total', 'Refused, by reason.', ['reason']);
    const plain = metrics.counter('relay_connections_total', 'Connections accepted.');
    const latency = metrics.histogram('relay_wal_append_seconds', 'WAL append latency.', [0.001, 0.01]);
    let open = 3;
    metrics.gauge('relay_connections', 'Open connections.', () => open);
    rejected({ reason: 'E_DECODE' }, 2);
    rejected({ reason: 'E_RATE_LIMIT' });
    latency(0.005);
    expect(metrics.value('relay_rejected_total')).toBe(3);
    expect(metrics.value('relay_rejected_total', { reason: 'E_DECODE' })).toBe(2);
    expect(metrics.value('relay_connections_total')).toBe(0);
    open = 5;
    expect(metrics.value('relay_connections')).toBe(5);
    plain();
    const text = await metrics.render();
    expect(text).toContain('# TYPE relay_rejected_total counter');
    expect(text).toContain('relay_rejected_total{reason="E_DECODE"} 2');
    expect(text).toContain('relay_connections_total 1');
    expect(text).toContain('relay_connections 5');
    expect(text).toContain('relay_wal_append_seconds_bucket{le="0.001"} 0');
    expect(text).toContain('relay_wal_append_seconds_bucket{le="0.01"} 1');
    for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_gc_duration_seconds', 'nodejs_active_handles', 'process_cpu_seconds_total']) {
      expect(text, name).toContain(`# TYPE ${name}`);
    }
    expect(metrics.contentType).toMatch(/^text\/plain/);
  });

  it('leaves the process metrics out when asked', async () => {
    const metrics = new Metrics({ processMetrics: false });
    metrics.counter('relay_ops_in_total', 'Ops in.');
    const text = await metrics.render();
    expect(text).toContain('relay_ops_in_total 0');
    expect(text).not.toContain('nodejs_');
  });
});
