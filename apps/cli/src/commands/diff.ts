import { createPeer, diffDigests, type StateDigest } from '@softadastra/sdk';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT, within } from '../output.js';

/** A peer's digest of a space, with leaves: from a data directory, or asked of a relay. */
async function digestOf(target: string, space: string, options: GlobalOptions): Promise<StateDigest> {
  if (/^(wss?|https?):\/\//.test(target)) {
    const peer = await createPeer({ storage: ':memory:', relay: target, transport: options.transport, ...(options.token !== undefined ? { token: options.token } : {}) });
    try {
      return await within((await peer.space(space)).remoteDigest({ leaves: true, timeoutMs: options.timeoutMs }), options.timeoutMs + 1_000, `asking ${target} for its digest`);
    } finally {
      await peer.close();
    }
  }
  const peer = await createPeer({ storage: target });
  try {
    return (await peer.space(space)).digest({ leaves: true });
  } finally {
    await peer.close();
  }
}

/** `diff <peer-a> <peer-b> --space S`: the keys on which two peers (data directories or relay URLs) differ. */
export async function diff(options: GlobalOptions, [a, b]: readonly string[], space: string | undefined): Promise<number> {
  if (a === undefined || b === undefined) throw new CliError('diff needs two peers: data directories or relay URLs', EXIT.usage);
  if (space === undefined) throw new CliError('diff needs --space <name>', EXIT.usage);
  const [left, right] = await Promise.all([digestOf(a, space, options), digestOf(b, space, options)]);
  const result = diffDigests(left, right);
  const keys = result.keys ?? [];
  if (options.json) console.log(JSON.stringify({ equal: result.equal, a: left.root, b: right.root, keys }));
  else if (result.equal) console.log(`equal: ${left.count} keys, digest ${left.root}`);
  else {
    console.log(`${keys.length} key(s) differ (digests ${left.root} / ${right.root}):`);
    for (const entry of keys) console.log(`  ${entry.collection}/${entry.key}\t${entry.a ?? '(absent)'}\t${entry.b ?? '(absent)'}`);
  }
  return result.equal ? EXIT.ok : EXIT.differ;
}
