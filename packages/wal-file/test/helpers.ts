import type { Operation, WalRecord, WalRecovery } from '@softadastra/sync-core';

export function put(seq: number, origin = 'a', value: unknown = seq): Operation {
  return { origin, seq, hlc: { wall: 1_700_000_000_000 + seq, counter: 0, peer: origin }, collection: 'c', key: `k${seq % 7}`, kind: 'put', value } as Operation;
}

export async function recordsOf(recovery: WalRecovery): Promise<WalRecord[]> {
  const out: WalRecord[] = [];
  for await (const record of recovery.records) out.push(record);
  return out;
}

export async function seqsOf(recovery: WalRecovery): Promise<number[]> {
  return (await recordsOf(recovery)).flatMap((record) => record.ops.map((op) => op.seq));
}
