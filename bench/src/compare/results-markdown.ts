/** Renders a {@link Report} as bench/RESULTS.md: a table per workload, the targets, the methods. */
import { YJS_ID } from './adapters.ts';
import { jobKey } from './plan.ts';
import type { Report } from './report.ts';
import { bestPeer, valueOf, type Row } from './stats.ts';

interface Column {
  readonly header: string;
  readonly metric: string;
  readonly unit: 'ms' | 'us' | 'bytes' | 'MB' | 'count';
  /** Add "× Yjs" and "× best peer" columns after this one. */
  readonly ratios?: boolean;
}

interface Table {
  readonly title: string;
  readonly about: string;
  readonly job: string;
  readonly columns: readonly Column[];
}

export function formatNumber(value: number, unit: Column['unit']): string {
  if (unit === 'MB') return value.toFixed(1);
  if (unit === 'bytes' || unit === 'count') return Math.round(value).toLocaleString('en');
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return Math.round(value).toLocaleString('en');
}

function ratio(value: number | undefined, reference: number | undefined): string {
  if (value === undefined || reference === undefined || reference === 0) return '—';
  const r = value / reference;
  return `${r < 0.1 ? r.toFixed(3) : r.toFixed(2)}×`;
}

function renderTable(report: Report, table: Table): string[] {
  const rows = report.rows.filter((row) => row.job === table.job);
  if (rows.length === 0) return [];
  const headers = ['contestant'];
  for (const column of table.columns) {
    headers.push(column.header);
    if (column.ratios === true) headers.push('× Yjs', '× best peer');
  }
  headers.push('runs');
  const lines = [`### ${table.title}`, '', table.about, '', `| ${headers.join(' | ')} |`, `|---|${headers.slice(1).map(() => '---:').join('|')}|`];
  const yjs = rows.find((row) => row.adapter === YJS_ID);
  for (const contestant of report.contestants) {
    const row = rows.find((r) => r.adapter === contestant.id);
    if (row === undefined) continue;
    const cells = [row.family === 'ours' ? `**${row.label}**` : row.label];
    for (const column of table.columns) {
      const value = valueOf(row, column.metric);
      cells.push(value === undefined ? '—' : formatNumber(value, column.unit));
      if (column.ratios === true) cells.push(ratio(value, valueOf(yjs, column.metric)), ratio(value, bestPeer(rows, column.metric)?.value));
    }
    cells.push(row.ok ? String(row.runs) : `failed: ${escape(row.error ?? 'unknown')}`);
    lines.push(`| ${cells.join(' | ')} |`);
  }
  const bests = table.columns.filter((c) => c.ratios === true).map((c) => `${c.header}: ${bestPeer(rows, c.metric)?.adapter ?? '—'}`);
  lines.push('', `Best peer per column — ${bests.join('; ')}.`, '');
  return lines;
}

function escape(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ').slice(0, 300);
}

function renderScale(report: Report, bulk: readonly number[], incremental: readonly number[]): string[] {
  const lines = [
    '### W5 scale',
    '',
    'W1 end to end (write + sync) and bytes at each size, and W2 (1,000 sets synced after a history) at each history size. Cells: value (× Yjs, × best peer).',
    '',
  ];
  const headers = ['contestant', ...bulk.map((n) => `W1 ${n.toLocaleString('en')} ms`), ...bulk.map((n) => `W1 ${n.toLocaleString('en')} bytes`), ...incremental.map((n) => `W2 after ${n.toLocaleString('en')} ms`), ...incremental.map((n) => `W2 after ${n.toLocaleString('en')} bytes`)];
  lines.push(`| ${headers.join(' | ')} |`, `|---|${headers.slice(1).map(() => '---:').join('|')}|`);
  const cell = (rows: Row[], adapter: string, metric: string, unit: Column['unit']): string => {
    const value = valueOf(rows.find((row) => row.adapter === adapter), metric);
    const failed = rows.find((row) => row.adapter === adapter && !row.ok);
    if (value === undefined) return failed !== undefined ? 'failed' : '—';
    return `${formatNumber(value, unit)} (${ratio(value, valueOf(rows.find((row) => row.adapter === YJS_ID), metric))}, ${ratio(value, bestPeer(rows, metric)?.value)})`;
  };
  const at = (workload: 'w1' | 'w2', ops: number): Row[] => report.rows.filter((row) => row.job === jobKey({ workload, ops }));
  for (const contestant of report.contestants) {
    const cells = [contestant.family === 'ours' ? `**${contestant.label}**` : contestant.label];
    for (const n of bulk) cells.push(cell(at('w1', n), contestant.id, 'totalMs', 'ms'));
    for (const n of bulk) cells.push(cell(at('w1', n), contestant.id, 'bytes', 'bytes'));
    for (const n of incremental) cells.push(cell(at('w2', n), contestant.id, 'syncMs', 'ms'));
    for (const n of incremental) cells.push(cell(at('w2', n), contestant.id, 'bytes', 'bytes'));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('');
  return lines;
}

export function renderMarkdown(report: Report, sizes: { w1: number; w2: number; w3: number; w4: number; w5Bulk: readonly number[]; w5Incremental: readonly number[] }, chart: string): string {
  const n = (value: number): string => value.toLocaleString('en');
  const tables: Table[] = [
    {
      title: `W1 bulk — ${n(sizes.w1)} sets over ${n(sizes.w1 / 10)} keys, then a full sync to a fresh replica`,
      about: 'write: the sets on A (a commit every 1,000); sync: from the first handshake byte until B holds everything (durably, for our engine); encode / apply: the sender\'s and the receiver\'s share of it; end to end = write + sync; memory: heap + external retained by A and B after two GCs.',
      job: jobKey({ workload: 'w1', ops: sizes.w1 }),
      columns: [
        { header: 'write ms', metric: 'writeMs', unit: 'ms' },
        { header: 'sync ms', metric: 'syncMs', unit: 'ms' },
        { header: 'encode ms', metric: 'encodeMs', unit: 'ms' },
        { header: 'apply ms', metric: 'applyMs', unit: 'ms' },
        { header: 'end to end ms', metric: 'totalMs', unit: 'ms', ratios: true },
        { header: 'bytes', metric: 'bytes', unit: 'bytes', ratios: true },
        { header: 'memory MB', metric: 'memoryMB', unit: 'MB', ratios: true },
      ],
    },
    {
      title: `W2 incremental — 1,000 more sets after a ${n(sizes.w2)}-set history, synced over a new connection`,
      about: 'sync: handshake + delta + apply; handshake: the bytes B sends to say what it has (state vector, heads, version vector, hashes); bytes: everything on the wire both ways.',
      job: jobKey({ workload: 'w2', ops: sizes.w2 }),
      columns: [
        { header: 'write ms', metric: 'writeMs', unit: 'ms' },
        { header: 'sync ms', metric: 'syncMs', unit: 'ms', ratios: true },
        { header: 'encode ms', metric: 'encodeMs', unit: 'ms' },
        { header: 'apply ms', metric: 'applyMs', unit: 'ms' },
        { header: 'bytes', metric: 'bytes', unit: 'bytes', ratios: true },
        { header: 'handshake bytes', metric: 'handshakeBytes', unit: 'bytes', ratios: true },
        { header: 'messages', metric: 'messages', unit: 'count' },
      ],
    },
    {
      title: `W3 concurrent — 3 replicas × ${n(sizes.w3)} offline sets on the same ${n(sizes.w3 / 10)} keys, pairwise sync until converged`,
      about: 'sync: A↔B, B↔C, A↔C (repeated while not converged); bytes: both ways, all pairs. The offline writes are reported apart.',
      job: jobKey({ workload: 'w3', ops: sizes.w3 }),
      columns: [
        { header: 'write ms (3 replicas)', metric: 'writeMs', unit: 'ms' },
        { header: 'sync ms', metric: 'syncMs', unit: 'ms', ratios: true },
        { header: 'bytes', metric: 'bytes', unit: 'bytes', ratios: true },
        { header: 'rounds', metric: 'rounds', unit: 'count' },
      ],
    },
    {
      title: `W4 live — ${n(sizes.w4)} single-set messages A → B`,
      about: 'Each set is committed, sent as its own message and applied on B before the next; µs per set is the whole loop. Back bytes: what B sends A (acks, sync replies).',
      job: jobKey({ workload: 'w4', ops: sizes.w4 }),
      columns: [
        { header: 'µs per set', metric: 'usPerSet', unit: 'us', ratios: true },
        { header: 'bytes per set A→B', metric: 'bytesPerSet', unit: 'bytes', ratios: true },
        { header: 'bytes per set B→A', metric: 'backBytesPerSet', unit: 'bytes' },
      ],
    },
  ];
  const mark = (holds: boolean | undefined): string => (holds === undefined ? '— not measured' : holds ? '✅ holds' : '❌ missed');
  const lines = [
    '# Side-by-side benchmark (issue 8)',
    '',
    `Command: \`${report.command}\` · plan: **${report.plan}** · date: ${report.date} · run took ${Math.round(report.seconds)} s`,
    '',
    `Machine: ${report.machine} · Node ${report.node}`,
    '',
    `Every (contestant, workload) runs in a fresh Node process (\`--expose-gc\`), ${describeRuns(report)}; cells are medians. "× Yjs" is against Yjs with the V1 encoding; "× best peer" against the best of Yjs (V1, V2), Automerge (save/load, sync), Loro and TinyBase in this same run — never our engine or a floor. Raw samples: [latest.json](${chart.replace(/chart\.svg$/, 'latest.json')}) (next to the chart).`,
    '',
    `![W1 end to end and W5 scale](${chart})`,
    '',
    '## Targets',
    '',
    'A miss is a finding, not a failure of the run.',
    '',
    '| ours | target | this run | detail |',
    '|---|---|---|---|',
    ...report.targets.map((t) => `| ${t.adapter} | ${t.target} | ${mark(t.holds)} | ${t.detail} |`),
    '',
    '## Results',
    '',
  ];
  for (const table of tables) lines.push(...renderTable(report, table));
  lines.push(...renderScale(report, sizes.w5Bulk, sizes.w5Incremental));
  lines.push('## How each contestant is driven', '');
  for (const contestant of report.contestants) lines.push(`- **${contestant.label}** (\`${contestant.id}\`, ${contestant.family}): ${contestant.notes}`);
  lines.push(
    '',
    '## Fairness notes',
    '',
    '- Same inputs everywhere: seeded keys and values (`src/compare/seeded-items.ts`), made on the fly so the harness keeps no reference to them; a commit groups 1,000 sets (W1–W3) or one (W4) for every contestant.',
    '- Every row is verified: A must hold exactly what the seeded writes leave, and B (all three replicas in W3) the same as A, compared as plain objects; otherwise the row is marked failed.',
    '- Durability differs: our engine resolves a commit only once its WAL holds it (memory WAL: a simulated disk in the heap; file WAL: fdatasync), acks what it received, and a pull ends only when the receiver has made everything durable. The libraries are measured in memory with no persistence at all; the floors have no semantics to speak of.',
    '- Our engine crosses a real transport (an event-loop turn per message, on `setImmediate` rather than real timers, see `src/compare/immediate-clock.ts`); the libraries hand their bytes over synchronously. Their sync time is encode + apply; ours also holds the WAL appends and those turns.',
    '- Memory is `heapUsed + external` after two `gc()`: WASM libraries (Automerge, Loro) keep their data in linear memory, which is `external` and never shrinks, so theirs is a high-water mark.',
    '- A child that runs past the time limit is killed and its row marked failed; its further runs are skipped.',
    '',
  );
  return lines.join('\n');
}

function describeRuns(report: Report): string {
  const counts = [...new Set(report.jobs.map((job) => job.runs))].sort((a, b) => a - b);
  return counts.length === 1 ? `${counts[0]} run(s) each` : `${counts.join(', ')} runs depending on size (see latest.json)`;
}
