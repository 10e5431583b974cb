import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createSyncEngine, isSyncError, type Wal } from '@softadastra/sdk';
import { createFileWal } from '@softadastra/wal-file';
import { createSqliteWal } from '@softadastra/wal-sqlite';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT, formatBytes } from '../output.js';

function walAt(path: string, options: { readOnly?: boolean } = {}): Wal {
  if (path.endsWith('.sqlite') || path.endsWith('.db')) return createSqliteWal({ path });
  // inspect and verify change nothing: a torn tail is reported, not cut (the next real open cuts it).
  return createFileWal({ dir: path, ...(options.readOnly === true ? { readOnly: true } : {}) });
}

type Repair = NonNullable<Awaited<ReturnType<Wal['open']>>['repair']>;

/** What opening the WAL would cut, in one line. */
function describeCut(repair: Repair): string {
  const records = `${repair.records} record${repair.records === 1 ? '' : 's'}`;
  const where = `${repair.location ?? 'the log'} at byte ${repair.offset}`;
  const ops = repair.opIds !== undefined && repair.opIds.length > 0 ? `; ops ${repair.opIds.join(', ')}` : '';
  return `torn tail: opening would cut ${records} (${repair.bytes} bytes) from ${where}: ${repair.reason}${ops}`;
}

async function bytesOf(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) throw new CliError(`no WAL at ${path}`, EXIT.notFound);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const name of await readdir(path)) total += (await stat(join(path, name))).size;
  return total;
}

async function metaOf(path: string): Promise<Record<string, string>> {
  const log = walAt(path);
  const recovery = await log.open();
  const meta: Record<string, string> = { ...(recovery.snapshot?.meta ?? {}) };
  for await (const record of recovery.records) Object.assign(meta, record.meta ?? {});
  await log.close();
  return meta;
}

/** `wal inspect|verify|compact <path>`: a file WAL directory, or a .sqlite file. */
export async function wal(options: GlobalOptions, [action, path]: readonly string[]): Promise<number> {
  if (path === undefined || !['inspect', 'verify', 'compact'].includes(action ?? '')) {
    throw new CliError('usage: softadastra wal inspect|verify|compact <dir or .sqlite file>', EXIT.usage);
  }
  const before = await bytesOf(path);
  if (action === 'compact') {
    // The engine checks the space and peer stored in the WAL: read them first.
    const meta = await metaOf(path);
    const engine = await createSyncEngine({
      wal: walAt(path),
      compaction: false,
      ...(meta['space'] !== undefined ? { space: meta['space'] } : {}),
      ...(meta['peerId'] !== undefined ? { peerId: meta['peerId'] } : {}),
    });
    try {
      await engine.compact();
    } finally {
      await engine.close();
    }
    const after = await bytesOf(path);
    console.log(options.json ? JSON.stringify({ ok: true, before, after }) : `compacted ${path}: ${formatBytes(before)} → ${formatBytes(after)}`);
    return EXIT.ok;
  }
  const log = walAt(path, { readOnly: true });
  let recovery;
  try {
    recovery = await log.open();
  } catch (error) {
    if (isSyncError(error) && error.code === 'E_WAL_CORRUPT') {
      if (options.json) console.log(JSON.stringify({ ok: false, code: error.code, message: error.message }));
      else console.error(`damaged: ${error.message}`);
      return EXIT.corrupt;
    }
    throw error;
  }
  let records = 0;
  let ops = 0;
  const meta: Record<string, string> = { ...(recovery.snapshot?.meta ?? {}) };
  const vv = recovery.snapshot?.vv.clone();
  const held = vv ?? (await import('@softadastra/sdk')).VersionVector.fromJSON({});
  for await (const record of recovery.records) {
    records++;
    ops += record.ops.length;
    for (const op of record.ops) held.add(op);
    if (record.covered) held.merge(record.covered);
    Object.assign(meta, record.meta ?? {});
  }
  await log.close();
  const summary = {
    ok: true,
    path,
    bytes: before,
    snapshot: recovery.snapshot ? { winners: recovery.snapshot.ops.length } : null,
    records,
    ops,
    peerId: meta['peerId'] ?? null,
    space: meta['space'] ?? null,
    versionVector: held.toJSON(),
    repair: recovery.repair ?? null,
  };
  if (action === 'verify') {
    if (options.json) console.log(JSON.stringify(summary));
    else {
      console.log(`ok: ${path} (${records} records, ${ops} ops${summary.snapshot ? `, snapshot of ${summary.snapshot.winners} winners` : ''})`);
      if (recovery.repair !== undefined) console.log(describeCut(recovery.repair));
    }
    return EXIT.ok;
  }
  if (options.json) console.log(JSON.stringify(summary));
  else {
    console.log(`path      ${path} (${formatBytes(before)})`);
    console.log(`peer      ${summary.peerId ?? '?'}   space ${summary.space ?? '?'}`);
    console.log(`snapshot  ${summary.snapshot ? `${summary.snapshot.winners} winners` : 'none'}`);
    console.log(`records   ${records} (${ops} ops)`);
    if (recovery.repair !== undefined) console.log(`repair    ${describeCut(recovery.repair)}`);
    console.log('held      ' + Object.entries(summary.versionVector).map(([origin, ranges]) => `${origin}: ${Array.isArray(ranges) ? ranges.join(',') : `1..${String(ranges)}`}`).join('; '));
  }
  return EXIT.ok;
}
