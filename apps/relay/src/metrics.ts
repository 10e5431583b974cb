/**
 * The relay's metrics, rendered in the Prometheus text format.
 */
export class Metrics {
  readonly #counters = new Map<string, { help: string; values: Map<string, number> }>();
  readonly #gauges = new Map<string, { help: string; read: () => number }>();
  readonly #histograms = new Map<string, { help: string; buckets: readonly number[]; counts: number[]; sum: number; count: number }>();

  counter(name: string, help: string): (labels?: Record<string, string>, by?: number) => void {
    const entry = { help, values: new Map<string, number>() };
    this.#counters.set(name, entry);
    return (labels = {}, by = 1) => {
      const key = formatLabels(labels);
      entry.values.set(key, (entry.values.get(key) ?? 0) + by);
    };
  }

  gauge(name: string, help: string, read: () => number): void {
    this.#gauges.set(name, { help, read });
  }

  histogram(name: string, help: string, buckets: readonly number[]): (value: number) => void {
    const entry = { help, buckets, counts: new Array<number>(buckets.length).fill(0), sum: 0, count: 0 };
    this.#histograms.set(name, entry);
    return (value) => {
      for (let i = 0; i < buckets.length; i++) if (value <= buckets[i]!) entry.counts[i]! += 1;
      entry.sum += value;
      entry.count += 1;
    };
  }

  /** The current value of a counter (summed over labels, or for one label set). */
  value(name: string, labels?: Record<string, string>): number {
    const entry = this.#counters.get(name);
    if (entry === undefined) return this.#gauges.get(name)?.read() ?? 0;
    if (labels !== undefined) return entry.values.get(formatLabels(labels)) ?? 0;
    let total = 0;
    for (const value of entry.values.values()) total += value;
    return total;
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, { help, values }] of this.#counters) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      if (values.size === 0) lines.push(`${name} 0`);
      for (const [labels, value] of values) lines.push(`${name}${labels} ${value}`);
    }
    for (const [name, { help, read }] of this.#gauges) lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${read()}`);
    for (const [name, h] of this.#histograms) {
      lines.push(`# HELP ${name} ${h.help}`, `# TYPE ${name} histogram`);
      h.buckets.forEach((bound, i) => lines.push(`${name}_bucket{le="${bound}"} ${h.counts[i]!}`));
      lines.push(`${name}_bucket{le="+Inf"} ${h.count}`, `${name}_sum ${h.sum}`, `${name}_count ${h.count}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

function formatLabels(labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${labels[k]!.replace(/["\\\n]/g, '_')}"`).join(',')}}`;
}
