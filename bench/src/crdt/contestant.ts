/**
 * What a contestant of W6 (counters) and W7 (sets) provides: peers that
 * write, put everything they wrote into one message, and take the messages
 * of the others.
 *
 * @remarks
 * Convergence is one all-to-all round: every peer encodes one message after
 * its offline writes (it holds only its own writes then), and every peer
 * receives the message of every other peer, one at a time. Every write is
 * its own transaction / change / commit / op, for every contestant.
 */

/** Binary (the libraries) or JSON text (ours; counted as UTF-8 bytes). */
export type Message = Uint8Array | string;

export const byteSize = (message: Message): number => (typeof message === 'string' ? Buffer.byteLength(message, 'utf8') : message.byteLength);

export interface CounterPeer {
  /** Adds 1 to counter `counter` (0-based), as its own transaction. */
  increment(counter: number): void;
  /** Everything this peer holds, as one message for the others. */
  encode(): Message;
  receive(message: Message): void;
  /** The value of every counter, in order. */
  values(): number[];
  close(): void;
}

export interface SetPeer {
  add(value: string): void;
  remove(value: string): void;
  encode(): Message;
  receive(message: Message): void;
  /** The set's members, sorted. */
  values(): string[];
  close(): void;
}

export type Family = 'ours' | 'peer';

export interface Contestant {
  readonly id: string;
  readonly label: string;
  readonly family: Family;
  /** How W6 and W7 are done with it, for the report. */
  readonly notes: { readonly w6: string; readonly w7: string };
  counterPeer(index: number, counters: number): CounterPeer;
  setPeer(index: number): SetPeer;
}
