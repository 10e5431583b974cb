/**
 * CRC-32 (the zlib / IEEE 802.3 polynomial, reflected, 0xEDB88320), computed
 * with slicing-by-4 tables.
 *
 * @remarks
 * Used by the message codec and by storage formats to catch accidental
 * corruption. It is not a defence against a malicious sender.
 */
const TABLES = buildTables();

function buildTables(): Uint32Array[] {
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t0[n] = c >>> 0;
  }
  const tables = [t0];
  for (let t = 1; t < 4; t++) {
    const previous = tables[t - 1]!;
    const table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) table[n] = (t0[previous[n]! & 0xff]! ^ (previous[n]! >>> 8)) >>> 0;
    tables.push(table);
  }
  return tables;
}

/**
 * The CRC-32 of `bytes[start..end)`, continuing from `previous` (0 to start).
 *
 * @param bytes - the data
 * @param start - first byte included
 * @param end - first byte excluded
 * @param previous - the CRC of the data before, to checksum in pieces
 */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length, previous = 0): number {
  const [t0, t1, t2, t3] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let crc = ~previous;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    crc ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    crc = t3[crc & 0xff]! ^ t2[(crc >>> 8) & 0xff]! ^ t1[(crc >>> 16) & 0xff]! ^ t0[crc >>> 24]!;
  }
  for (; i < end; i++) crc = t0[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}
