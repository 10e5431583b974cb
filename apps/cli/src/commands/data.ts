import type { JsonValue } from '@softadastra/sdk';
import { openSpace, splitPath, type GlobalOptions } from '../context.js';
import { CliError, EXIT, within } from '../output.js';

function need(value: string | undefined, what: string): string {
  if (value === undefined || value.length === 0) throw new CliError(`missing ${what}`, EXIT.usage);
  return value;
}

/** `put <space> <collection/key> <json>`: writes, and waits for the relay to hold it (with a relay). */
export async function put(options: GlobalOptions, [spaceName, path, json]: readonly string[]): Promise<number> {
  const { collection, key } = splitPath(path);
  let value: JsonValue;
  try {
    value = JSON.parse(need(json, '<json> value')) as JsonValue;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`the value is not JSON: ${json ?? ''} (quote strings: '"text"')`, EXIT.usage);
  }
  const { peer, space, progress } = await openSpace(options, need(spaceName, '<space>'));
  try {
    const write = space.collection(collection).put(key, value);
    const op = await write;
    if (options.relay !== undefined) await within(write.acked, options.timeoutMs, 'waiting for the relay to acknowledge the write');
    progress.done();
    console.log(options.json ? JSON.stringify({ ok: true, op: `${op.origin}:${op.seq}`, acked: options.relay !== undefined }) : `ok ${collection}/${key} (${op.origin}:${op.seq}${options.relay !== undefined ? ', on the relay' : ', local only'})`);
    return EXIT.ok;
  } finally {
    await peer.close();
  }
}

/** `del <space> <collection/key>` */
export async function del(options: GlobalOptions, [spaceName, path]: readonly string[]): Promise<number> {
  const { collection, key } = splitPath(path);
  const { peer, space } = await openSpace(options, need(spaceName, '<space>'));
  try {
    const write = space.collection(collection).delete(key);
    await write;
    if (options.relay !== undefined) await within(write.acked, options.timeoutMs, 'waiting for the relay to acknowledge the delete');
    console.log(options.json ? JSON.stringify({ ok: true }) : `deleted ${collection}/${key}`);
    return EXIT.ok;
  } finally {
    await peer.close();
  }
}

/** Catches up with the relay (when there is one) before reading. */
async function catchUp(options: GlobalOptions, peer: Awaited<ReturnType<typeof openSpace>>['peer']): Promise<void> {
  if (options.relay !== undefined) await within(peer.synced(), options.timeoutMs, 'syncing with the relay');
}

/** `get <space> <collection/key>`: the value (exit 3 when absent). */
export async function get(options: GlobalOptions, [spaceName, path]: readonly string[]): Promise<number> {
  const { collection, key } = splitPath(path);
  const { peer, space, progress } = await openSpace(options, need(spaceName, '<space>'));
  try {
    await catchUp(options, peer);
    progress.done();
    const items = space.collection(collection);
    if (!items.has(key)) {
      if (options.json) console.log(JSON.stringify({ found: false }));
      else console.error(`softadastra: ${collection}/${key} not found in space ${space.name}`);
      return EXIT.notFound;
    }
    console.log(options.json ? JSON.stringify({ found: true, value: items.get(key) }) : JSON.stringify(items.get(key), null, 2));
    return EXIT.ok;
  } finally {
    await peer.close();
  }
}

/** `list <space> [collection]`: every key and value (of one collection, or of all). */
export async function list(options: GlobalOptions, [spaceName, only]: readonly string[]): Promise<number> {
  const { peer, space, progress } = await openSpace(options, need(spaceName, '<space>'));
  try {
    await catchUp(options, peer);
    progress.done();
    const collections = only !== undefined ? [only] : space.collections().sort();
    const rows = collections.flatMap((collection) => space.collection(collection).entries().map(([key, value]) => ({ collection, key, value })));
    rows.sort((a, b) => (a.collection === b.collection ? (a.key < b.key ? -1 : 1) : a.collection < b.collection ? -1 : 1));
    if (options.json) console.log(JSON.stringify(rows));
    else for (const row of rows) console.log(`${row.collection}/${row.key}\t${JSON.stringify(row.value)}`);
    return EXIT.ok;
  } finally {
    await peer.close();
  }
}

/** `watch <space> [collection]`: prints changes as they happen, until interrupted. */
export async function watch(options: GlobalOptions, [spaceName, only]: readonly string[]): Promise<number> {
  const { peer, space } = await openSpace(options, need(spaceName, '<space>'));
  space.subscribe((changes) => {
    for (const change of changes) {
      if (only !== undefined && change.collection !== only) continue;
      const line = { collection: change.collection, key: change.key, value: change.value ?? null, deleted: change.value === undefined, source: change.source, op: `${change.op.origin}:${change.op.seq}` };
      console.log(options.json ? JSON.stringify(line) : `${line.source === 'local' ? '·' : '→'} ${line.collection}/${line.key} ${line.deleted ? '(deleted)' : JSON.stringify(line.value)}`);
    }
  });
  if (!options.json) console.error(`watching space ${space.name}${only ? `/${only}` : ''}${options.relay ? ` on ${options.relay}` : ''} — Ctrl-C to stop`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await peer.close();
  return EXIT.ok;
}

/** `status <space>`: sync status, pending writes, what is held. */
export async function status(options: GlobalOptions, [spaceName]: readonly string[]): Promise<number> {
  const { peer, space, progress } = await openSpace(options, need(spaceName, '<space>'));
  try {
    if (options.relay !== undefined) await within(peer.synced(), options.timeoutMs, 'syncing with the relay').catch(() => undefined);
    progress.done();
    const vv = space.versionVector();
    const digest = space.digest();
    const keys = space.collections().reduce((sum, collection) => sum + space.collection(collection).size, 0);
    const summary = { peer: peer.id, space: space.name, status: peer.status, pending: peer.pending(), keys, origins: [...vv.origins()].length, ops: vv.count(), digest: digest.root };
    if (options.json) console.log(JSON.stringify(summary));
    else {
      for (const [name, value] of Object.entries(summary)) console.log(`${name.padEnd(8)} ${String(value)}`);
    }
    return EXIT.ok;
  } finally {
    await peer.close();
  }
}
