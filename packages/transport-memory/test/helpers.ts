import type { Clock, Connection } from '@softadastra/sync-core';

/**
 * Records every event of `connection` into `trace` as a line
 * `"<time> <name> <event> <details>"`.
 */
export function traceEvents(clock: Clock, name: string, connection: Connection, trace: string[]): void {
  connection.on('open', () => trace.push(`${clock.now()} ${name} open`));
  connection.on('message', (bytes) => trace.push(`${clock.now()} ${name} message ${bytes.join(',')}`));
  connection.on('close', (info) => trace.push(`${clock.now()} ${name} close ${info.code} ${info.reason} final=${info.final}`));
  connection.on('error', (error) => trace.push(`${clock.now()} ${name} error ${error.code}`));
}

/** Collects the messages `connection` receives. */
export function inbox(connection: Connection): Uint8Array[] {
  const received: Uint8Array[] = [];
  connection.on('message', (bytes) => received.push(bytes));
  return received;
}

/** A 4-byte message holding `n` (big-endian), to identify it on arrival. */
export function numbered(n: number): Uint8Array {
  return new Uint8Array([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

/** The number a {@link numbered} message holds. */
export function numberOf(bytes: Uint8Array): number {
  return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
}
