import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Options of {@link Metrics}. */
export interface MetricsOptions {
  /**
   * Also collect `prom-client`'s default process metrics (`process_*`,
   * `nodejs_eventloop_lag_*`, `nodejs_heap_*`, `nodejs_gc_duration_seconds`,
   * `nodejs_active_handles`, …) beside the relay's own.
   * @default true
   */
  readonly processMetrics?: boolean;
}

/**
 * The relay's metrics, kept in a `prom-client` registry and rendered in the
 * Prometheus text format.
 *
 * @remarks
 * Counters are mirrored in a plain map so that {@link Metrics.value} answers
 * synchronously (tests and embedding apps read it); the registry is what
 * `/metrics` renders.
 */
export class Metrics {
  /** The `prom-client` registry: register your own metrics in it to serve them on `/metrics` too. */
  readonly registry = new Registry();
  readonly #counts = new Map<string, Map<string, number>>();
  readonly #gauges = new Map<string, () => number>();

  constructor(options: MetricsOptions = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * A counter; labels, if any, must be among `labelNames`.
   *
   * @returns a function that adds `by` (default 1) to the count of `labels`
   */
  counter(name: string, help: string, labelNames: readonly string[] = []): (labels?: Record<string, string>, by?: number) => void {
    const counter = new Counter({ name, help, labelNames: [...labelNames], registers: [this.registry] });
    const counts = new Map<string, number>();
    this.#counts.set(name, counts);
    return (labels = {}, by = 1) => {
      counter.inc(labels, by);
      const key = labelKey(labels);
      counts.set(key, (counts.get(key) ?? 0) + by);
    };
  }

  /** A gauge whose value is read at each scrape. */
  gauge(name: string, help: string, read: () => number): void {
    this.#gauges.set(name, read);
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** A histogram with these bucket bounds. */
  histogram(name: string, help: string, buckets: readonly number[]): (value: number) => void {
    const histogram = new Histogram({ name, help, buckets: [...buckets], registers: [this.registry] });
    return (value) => histogram.observe(value);
  }

  /** The current value of a counter (summed over labels, or for one label set), or of a gauge. */
  value(name: string, labels?: Record<string, string>): number {
    const counts = this.#counts.get(name);
    if (counts === undefined) return this.#gauges.get(name)?.() ?? 0;
    if (labels !== undefined) return counts.get(labelKey(labels)) ?? 0;
    let total = 0;
    for (const value of counts.values()) total += value;
    return total;
  }

  /** The Prometheus text of every metric, the relay's and the process's. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** The content type of {@link Metrics.render}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }
}

function labelKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}
