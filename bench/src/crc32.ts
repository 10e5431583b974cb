// CRC-32 throughput: core's portable table-driven CRC (browsers, the codec) against Node's zlib.crc32,
// which the Node-only WALs (wal-file, wal-sqlite) use. Same polynomial, same results.
// Run: pnpm --filter @softadastra/bench crc32
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32 } from '@softadastra/sync-core';

const big = new Uint8Array(64 * 2 ** 20);
for (let i = 0; i < big.length; i++) big[i] = Math.imul(i, 2654435761) >>> 24;
const record = big.subarray(0, 200);
const candidates = [
  ['core crc32', (bytes: Uint8Array) => crc32(bytes)],
  ['zlib.crc32', (bytes: Uint8Array) => zlibCrc32(bytes)],
] as const;

function mibPerSecond(run: (bytes: Uint8Array) => number, bytes: Uint8Array, times: number): number {
  run(bytes);
  const start = performance.now();
  for (let i = 0; i < times; i++) run(bytes);
  return (bytes.length * times) / 2 ** 20 / ((performance.now() - start) / 1000);
}

for (const [name, run] of candidates) {
  const large = mibPerSecond(run, big, 4);
  const small = mibPerSecond(run, record, 200_000);
  console.log(`${name.padEnd(11)} 64 MiB buffer: ${large.toFixed(0).padStart(5)} MiB/s   200-byte records: ${small.toFixed(0).padStart(5)} MiB/s`);
}
