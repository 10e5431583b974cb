/**
 * Renders W1 (end-to-end time per contestant, log scale) and W5 (end-to-end
 * time against size, log–log) as one hand-written SVG, no dependencies.
 */
import { jobKey } from './plan.ts';
import type { Report } from './report.ts';
import { valueOf } from './stats.ts';

const COLORS = ['#d62728', '#ff7f0e', '#1f77b4', '#17becf', '#2ca02c', '#98df8a', '#9467bd', '#8c564b', '#7f7f7f', '#bcbd22'];
const WIDTH = 1120;
const HEIGHT = 520;

const esc = (text: string): string => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let p = Math.floor(Math.log10(min)); p <= Math.ceil(Math.log10(max)); p++) ticks.push(10 ** p);
  return ticks;
}

function label(n: number): string {
  if (n >= 1_000_000) return `${n / 1_000_000}M`;
  if (n >= 1000) return `${n / 1000}k`;
  return String(n);
}

export function renderSvg(report: Report, w1: number, sizes: readonly number[]): string {
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
  ];
  const color = new Map(report.contestants.map((c, i) => [c.id, COLORS[i % COLORS.length]!]));

  // Panel 1: W1 end to end, horizontal bars on a log axis.
  const bars = report.contestants.map((c) => ({ c, ms: valueOf(report.rows.find((r) => r.adapter === c.id && r.job === jobKey({ workload: 'w1', ops: w1 })), 'totalMs') }));
  const known = bars.flatMap((b) => (b.ms === undefined ? [] : [b.ms]));
  const p1 = { left: 290, right: 560, top: 50, bottom: HEIGHT - 40 };
  parts.push(`<text x="20" y="24" font-size="14" font-weight="bold">W1: ${w1.toLocaleString('en')} sets, write + full sync (ms, log scale)</text>`);
  if (known.length > 0) {
    const min = Math.min(...known) / 2;
    const max = Math.max(...known) * 1.5;
    const ticks = logTicks(min, max);
    const lo = Math.log10(ticks[0]!);
    const hi = Math.log10(ticks.at(-1)!);
    const xOf = (v: number): number => p1.left + ((Math.log10(v) - lo) / (hi - lo)) * (p1.right - p1.left);
    for (const t of ticks) {
      parts.push(`<line x1="${xOf(t).toFixed(1)}" y1="${p1.top - 5}" x2="${xOf(t).toFixed(1)}" y2="${p1.bottom}" stroke="#ddd"/>`);
      parts.push(`<text x="${xOf(t).toFixed(1)}" y="${p1.bottom + 14}" text-anchor="middle" fill="#555">${label(t)}</text>`);
    }
    const step = (p1.bottom - p1.top) / bars.length;
    bars.forEach(({ c, ms }, i) => {
      const y = p1.top + i * step;
      parts.push(`<text x="${p1.left - 6}" y="${(y + step / 2 + 4).toFixed(1)}" text-anchor="end"${c.family === 'ours' ? ' font-weight="bold"' : ''}>${esc(c.label)}</text>`);
      if (ms === undefined) {
        parts.push(`<text x="${p1.left + 4}" y="${(y + step / 2 + 4).toFixed(1)}" fill="#a00">failed</text>`);
        return;
      }
      const w = Math.max(1, xOf(ms) - p1.left);
      parts.push(`<rect x="${p1.left}" y="${(y + step * 0.15).toFixed(1)}" width="${w.toFixed(1)}" height="${(step * 0.7).toFixed(1)}" fill="${color.get(c.id)!}"/>`);
      parts.push(`<text x="${(p1.left + w + 4).toFixed(1)}" y="${(y + step / 2 + 4).toFixed(1)}" fill="#333">${Math.round(ms).toLocaleString('en')}</text>`);
    });
  }

  // Panel 2: W5, end to end against size, log–log.
  const p2 = { left: 680, right: WIDTH - 30, top: 50, bottom: HEIGHT - 150 };
  parts.push(`<text x="${p2.left - 40}" y="24" font-size="14" font-weight="bold">W5: write + full sync (ms) against sets, log–log</text>`);
  const series = report.contestants.map((c) => ({
    c,
    points: sizes.flatMap((ops) => {
      const ms = valueOf(report.rows.find((r) => r.adapter === c.id && r.job === jobKey({ workload: 'w1', ops })), 'totalMs');
      return ms === undefined ? [] : [{ ops, ms }];
    }),
  }));
  const all = series.flatMap((s) => s.points.map((p) => p.ms));
  if (all.length > 0 && sizes.length > 1) {
    const yTicks = logTicks(Math.min(...all), Math.max(...all));
    const xLo = Math.log10(sizes[0]!);
    const xHi = Math.log10(sizes.at(-1)!);
    const yLo = Math.log10(yTicks[0]!);
    const yHi = Math.log10(yTicks.at(-1)!);
    const xOf = (v: number): number => p2.left + ((Math.log10(v) - xLo) / (xHi - xLo)) * (p2.right - p2.left);
    const yOf = (v: number): number => p2.bottom - ((Math.log10(v) - yLo) / (yHi - yLo || 1)) * (p2.bottom - p2.top);
    for (const t of yTicks) {
      parts.push(`<line x1="${p2.left}" y1="${yOf(t).toFixed(1)}" x2="${p2.right}" y2="${yOf(t).toFixed(1)}" stroke="#ddd"/>`);
      parts.push(`<text x="${p2.left - 6}" y="${(yOf(t) + 4).toFixed(1)}" text-anchor="end" fill="#555">${label(t)}</text>`);
    }
    for (const s of sizes) parts.push(`<text x="${xOf(s).toFixed(1)}" y="${p2.bottom + 14}" text-anchor="middle" fill="#555">${label(s)}</text>`);
    series.forEach(({ c, points }, i) => {
      if (points.length === 0) return;
      const stroke = color.get(c.id)!;
      const path = points.map((p, j) => `${j === 0 ? 'M' : 'L'}${xOf(p.ops).toFixed(1)},${yOf(p.ms).toFixed(1)}`).join(' ');
      parts.push(`<path d="${path}" fill="none" stroke="${stroke}" stroke-width="${c.family === 'ours' ? 3 : 1.5}"/>`);
      for (const p of points) parts.push(`<circle cx="${xOf(p.ops).toFixed(1)}" cy="${yOf(p.ms).toFixed(1)}" r="3" fill="${stroke}"/>`);
      // The legend sits under the plot, in two columns.
      const legendX = p2.left - 40 + (i % 2) * 210;
      const legendY = p2.bottom + 36 + Math.floor(i / 2) * 15;
      parts.push(`<rect x="${legendX}" y="${legendY - 9}" width="10" height="10" fill="${stroke}"/>`);
      parts.push(`<text x="${legendX + 14}" y="${legendY}">${esc(c.label)}</text>`);
    });
  }
  parts.push(`<text x="20" y="${HEIGHT - 8}" fill="#777">${esc(`${report.plan} run, ${report.date}, ${report.machine}, Node ${report.node}`)}</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
