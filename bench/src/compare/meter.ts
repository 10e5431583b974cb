/**
 * Counts what a sync costs: bytes on the wire by direction and kind, and
 * time spent by the sender and by the receiver.
 */

/** `forward`: from the replica that has the data to the one that asks; `back`: the other way. */
export type Direction = 'forward' | 'back';

/**
 * `handshake`: what the receiver sends to say what it has (state vector,
 * heads, version vector, hashes); `data`: what carries the writes;
 * `control`: everything else (acks, the sender's own hello, covered).
 */
export type MessageKind = 'handshake' | 'data' | 'control';

/** Where work happens during a sync. */
export type Role = 'sender' | 'receiver';

export class Meter {
  forwardBytes = 0;
  backBytes = 0;
  handshakeBytes = 0;
  dataBytes = 0;
  messages = 0;
  /** Work done by the replica that has the data (planning, encoding, answering requests). */
  senderMs = 0;
  /** Work done by the receiving replica (making its request, decoding, applying). */
  receiverMs = 0;

  get totalBytes(): number {
    return this.forwardBytes + this.backBytes;
  }

  /** Records one message put on the wire. */
  send(direction: Direction, kind: MessageKind, bytes: number): void {
    this.messages++;
    if (direction === 'forward') this.forwardBytes += bytes;
    else this.backBytes += bytes;
    if (kind === 'handshake') this.handshakeBytes += bytes;
    else if (kind === 'data') this.dataBytes += bytes;
  }

  /** Runs `work` and adds its duration to `role`. */
  time<T>(role: Role, work: () => T): T {
    const started = performance.now();
    try {
      return work();
    } finally {
      const ms = performance.now() - started;
      if (role === 'sender') this.senderMs += ms;
      else this.receiverMs += ms;
    }
  }

  /** Forgets everything counted so far. */
  reset(): void {
    this.forwardBytes = this.backBytes = this.handshakeBytes = this.dataBytes = this.messages = 0;
    this.senderMs = this.receiverMs = 0;
  }
}
