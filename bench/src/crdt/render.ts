/** The W6/W7 section at the end of bench/RESULTS.md, rendered from a {@link CrdtReport}. */
import type { Family } from './contestant.ts';
import { describeJob, jobKey, type CrdtJob } from './plan.ts';

export interface CrdtRow {
  readonly contestant: string;
  readonly label: string;
  readonly family: Family;
  readonly job: string;
  readonly runs: number;
  readonly ok: boolean;
  readonly error?: string;
  /** Left out by the plan (its `error` says why), not failed. */
  readonly skipped: boolean;
  /** Median of each metric over the successful runs. */
  readonly metrics: Record<string, number>;
  /** Every run's value. */
  readonly samples: Record<string, number[]>;
  readonly seconds: number;
}

export interface CrdtReport {
  readonly command: string;
  readonly date: string;
  readonly machine: string;
  readonly node: string;
  readonly plan: 'full' | 'quick';
  readonly jobs: readonly CrdtJob[];
  readonly seconds: number;
  readonly contestants: ReadonlyArray<{ id: string; label: string; family: Family; notes: { w6: string; w7: string } }>;
  readonly rows: readonly CrdtRow[];
}

export const SECTION_HEADING = '## W6/W7: CRDT types (issue 15)';
/** Headings this section had before, replaced like the current one. */
const OLD_HEADINGS = ['## W6/W7: CRDT types (issue 15) — policy core only'];

/** `text` with its W6/W7 section (from the heading to the end) replaced by `section`, or `section` appended. */
export function replaceSection(text: string, section: string): string {
  const at = [SECTION_HEADING, ...OLD_HEADINGS].map((heading) => text.indexOf(`\n${heading}\n`)).find((index) => index !== -1) ?? -1;
  const head = at === -1 ? text.replace(/\s*$/, '') : text.slice(0, at).replace(/\s*$/, '');
  return `${head === '' ? '' : `${head}\n\n`}${section}`;
}

const COLUMNS = [
  { header: 'write ms', metric: 'writeMs', unit: 'ms' },
  { header: 'converge ms', metric: 'convergeMs', unit: 'ms' },
  { header: 'encode ms', metric: 'encodeMs', unit: 'ms' },
  { header: 'receive ms', metric: 'applyMs', unit: 'ms' },
  { header: 'bytes exchanged', metric: 'bytes', unit: 'bytes' },
  { header: 'retained MB', metric: 'memoryMB', unit: 'MB' },
] as const;

function formatNumber(value: number, unit: 'ms' | 'bytes' | 'MB'): string {
  if (unit === 'MB') return value.toFixed(1);
  if (unit === 'bytes') return Math.round(value).toLocaleString('en');
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return Math.round(value).toLocaleString('en');
}

const RATIOS = [
  { header: 'write', metric: 'writeMs' },
  { header: 'converge', metric: 'convergeMs' },
  { header: 'bytes', metric: 'bytes' },
  { header: 'retained memory', metric: 'memoryMB' },
] as const;

function ratio(value: number | undefined, reference: number | undefined): string {
  if (value === undefined || reference === undefined || reference === 0) return '—';
  const r = value / reference;
  return `${r < 0.1 ? r.toFixed(3) : r.toFixed(2)}×`;
}

const value = (row: CrdtRow | undefined, metric: string): number | undefined => (row?.ok === true ? row.metrics[metric] : undefined);

function renderJob(report: CrdtReport, job: CrdtJob): string[] {
  const rows = report.rows.filter((row) => row.job === jobKey(job));
  const lines = [`### ${describeJob(job)}`, ''];
  lines.push(`| contestant | ${COLUMNS.map((c) => c.header).join(' | ')} | runs |`);
  lines.push(`|---|${COLUMNS.map(() => '---:').join('|')}|---:|`);
  for (const row of rows) {
    const name = row.family === 'ours' ? `**${row.label}**` : row.label;
    if (!row.ok) {
      lines.push(`| ${name} | ${COLUMNS.map(() => '—').join(' | ')} | ${row.skipped ? '' : 'failed: '}${(row.error ?? 'failed').replace(/\|/g, '\\|')} |`);
      continue;
    }
    lines.push(`| ${name} | ${COLUMNS.map((c) => formatNumber(row.metrics[c.metric]!, c.unit)).join(' | ')} | ${row.runs} |`);
  }
  const ours = rows.filter((row) => row.family === 'ours');
  const peers = rows.filter((row) => row.family === 'peer');
  lines.push('', 'Ratios, ours ÷ each library (below 1× means ours is faster / smaller):', '');
  lines.push(`| ours | against | ${RATIOS.map((r) => r.header).join(' | ')} |`);
  lines.push(`|---|---|${RATIOS.map(() => '---:').join('|')}|`);
  for (const mine of ours) {
    for (const peer of peers) {
      lines.push(`| ${mine.contestant} | ${peer.label} | ${RATIOS.map((r) => ratio(value(mine, r.metric), value(peer, r.metric))).join(' | ')} |`);
    }
  }
  lines.push('');
  return lines;
}

function describeRuns(report: CrdtReport): string {
  return report.jobs.map((job) => `${job.runs} run${job.runs === 1 ? '' : 's'} of ${job.workload.toUpperCase()} at ${job.params.peers} peers`).join(', ');
}

export function renderSection(report: CrdtReport, samplesLink: string): string {
  const lines = [
    SECTION_HEADING,
    '',
    `Command: \`${report.command}\` · plan: **${report.plan}** · date: ${report.date} · run took ${Math.round(report.seconds)} s`,
    '',
    `Machine: ${report.machine} · Node ${report.node}`,
    '',
    '**What "ours" is here:** `ours` and `ours-apply` are the pure merge-policy modules of `@softadastra/sync-reconciler` (`counterPolicy`, `setPolicy`) driven directly, with JSON messages — the cost of the merge semantics alone. `ours-wire` is the engine\'s data path for typed operations: the store the engine holds them in (`ReplicaState`), the applier (validation, payload checks, dedupe, merge) and core\'s binary codec (format 2) — what `SyncEngine` does between its API and its WAL. Not measured in any row: the WAL append of every write and the session protocol, the engine\'s own costs, the same as for the LWW rows of W1–W5 above. The libraries do their whole job in memory (their own binary encodings).',
    '',
    `Every (contestant, workload, run) runs in a fresh Node process (\`--expose-gc\`), ${describeRuns(report)}; cells are medians, every sample is in [${samplesLink.replace(/^results\//, '')}](${samplesLink}).`,
    '',
    'Write: every peer\'s offline writes, one transaction / change / commit / op per write, peers one after the other. Converge: one all-to-all round — every peer encodes one message holding everything it wrote (encode ms), then every peer receives every other peer\'s message one at a time (receive ms: decode + apply); converge ms is both. Bytes exchanged: the sum of the messages delivered (a message sent to the n − 1 other peers counts n − 1 times). Retained MB: `heapUsed + external` after two `gc()` with all peers alive after converging, minus the same before creating them.',
    '',
    'Every row is checked: each peer must hold the expected totals (W6: the seeded increments counted plainly, summing to peers × increments) or the expected members (W7: each peer\'s writes played on a plain `Set`, then the union); a mismatch fails the row.',
    '',
  ];
  for (const job of report.jobs) lines.push(...renderJob(report, job));
  lines.push('### How each contestant is driven', '');
  for (const contestant of report.contestants) {
    lines.push(`- **${contestant.label}** (\`${contestant.id}\`) — W6: ${contestant.notes.w6} W7: ${contestant.notes.w7}`);
  }
  lines.push(
    '',
    '### Notes',
    '',
    '- **Not measured: WAL and sessions.** `ours-wire` stops at the engine\'s store; every write\'s WAL append and the protocol (hello, covered, acks) add their own cost, as they do for the LWW rows of W1–W5 above. For what a newcomer is sent through real engines and sessions as the writes grow, see `pnpm --filter @softadastra/bench typed-sync` (bench/README.md).',
    '- Inputs are seeded (`src/crdt/workloads.ts`, mulberry32 from `src/compare/seeded-items.ts`) and the same for every contestant. W6 picks each increment\'s counter uniformly. W7: half of the adds draw from a pool shared by all peers (the same member added concurrently by several peers), half from the peer\'s own pool; a remove takes a member of the peer\'s own pool that it holds.',
    '- W7 has **no add/remove conflicts** on purpose: Yjs\'s and Loro\'s maps are last-writer-wins per key and Automerge\'s map keeps a concurrent put over a delete, while ours is an add-wins OR-set; with conflicts the contestants would legitimately end with different sets and could not share one reference. The add-wins semantics is covered by the policy\'s property tests, not here. Concurrent adds of one member by several peers are in (our OR-set keeps a dot per add).',
    '- Messages are "everything the peer wrote" (each peer holds only its own writes when it encodes), so no handshake or state vector is needed or counted. Ours sends the `essential` ops (W6: one op per origin and counter, whatever the number of increments; W7: live adds and the removes still held); Yjs its update (overwritten map entries collapse into small GC ranges); Automerge and Loro their whole op history since genesis, each increment an op.',
    '- Every message is received on its own, as it would arrive from its peer, for every contestant: no `Y.mergeUpdates`, no Loro `importBatch`, no batching of our merges across messages. Loro\'s `importBatch` in particular is documented as faster for many updates at once; a fresh all-at-once import is not what this round models.',
    '- `ours` receives a message by merging one-op states pairwise (balanced tree) and merging that into the peer\'s state; `ours-apply` and `ours-wire` apply op by op, as the engine does. The set\'s `apply` is incremental (one binary search and one array copy per op, no canonical JSON but once per element), yet the engine\'s store still rebuilds a typed key\'s list of held operations and walks its by-origin index on every change — O(members) per write on one large set key, which is where `ours-wire` loses to Yjs on W7 (issue 20: make those incremental too).',
    '- Ours checks every received payload with the policy\'s `validatePayload` (what an engine would do with untrusted input); the libraries validate their own binary formats as they decode.',
    '- Memory: ours keeps, per counter, one op per origin (W6) and, for the set, the live adds and the removes still held (W7), parsed into plain JS objects on every peer. Yjs keeps an item struct per write even when a map entry is overwritten (marked deleted, content dropped), so its W6 memory grows with the increments of all peers in every doc.',
    '- Memory: WASM libraries (Automerge, Loro) keep their data in linear memory, counted in `external`, which never shrinks — theirs is a high-water mark.',
    '- `pnpm bench` (the issue-8 benchmark) rewrites the whole of RESULTS.md and drops this section; rerun `pnpm --filter @softadastra/bench crdt --render` afterwards to put it back from `results/crdt.json`.',
    '',
  );
  return lines.join('\n');
}
