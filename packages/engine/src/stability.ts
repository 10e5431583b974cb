import { SyncError, VersionVector, type PeerId } from '@softadastra/sync-core';

/** The WAL meta key of the stable vector an authority published (JSON of a version vector). */
export const STABLE_META = 'gc:stable';
/** The WAL meta key of an authority's members (JSON `{ peer: last seen, ms }`). */
export const MEMBERS_META = 'gc:members';
/**
 * The stable vector kept in a WAL's meta, if any.
 *
 * @throws SyncError `E_WAL_CORRUPT` when it cannot be read (forgetting it could let a stale peer in)
 */
export function readStable(meta: Readonly<Record<string, string>>): VersionVector | undefined {
  const value = meta[STABLE_META];
  if (value === undefined) return undefined;
  try {
    return VersionVector.fromJSON(readJson(value, STABLE_META));
  } catch {
    throw corrupt(STABLE_META);
  }
}

function readJson(value: string, key: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw corrupt(key);
  }
}

function corrupt(key: string): SyncError {
  return new SyncError('E_WAL_CORRUPT', `the WAL's meta ${key} cannot be read: refusing to open rather than forget what metadata collection relies on`);
}

/** The WAL meta key saying that a peer must take a snapshot from its authority (`'1'`), until it has. */
export const RESET_META = 'gc:reset';

interface Member {
  /** When it was last connected (ms of the engine's clock); refreshed while connected. */
  lastSeen: number;
  connected: number;
  /** What it acknowledged since this authority opened (unknown until its first ack). */
  acked: VersionVector | undefined;
}

/**
 * The bookkeeping of a space's collection authority (a relay with a GC
 * horizon): who the members are, what each acknowledged, and the stable
 * vector — what every member holds durably — that lets peers collect
 * metadata (docs/protocol.md, "Metadata collection").
 *
 * @remarks
 * Pure bookkeeping: the engine persists what {@link StabilityTracker.meta}
 * says (before it publishes a vector) and sends `stable` messages.
 * @internal
 */
export class StabilityTracker {
  readonly horizonMs: number;
  readonly #members = new Map<PeerId, Member>();
  /** The greatest stable vector made durable and published; only grows. */
  #published = new VersionVector();
  /** A stable vector being written, not yet published: hellos are already checked against it. */
  #pending: VersionVector | undefined;

  constructor(horizonMs: number) {
    if (!(horizonMs > 0)) throw new SyncError('E_INVALID_ARGUMENT', `gc.horizonMs must be a positive number of ms, got ${String(horizonMs)}`);
    this.horizonMs = horizonMs;
  }

  /** Restores the members and the published vector from the WAL's meta; members count as seen `now`, at the latest. */
  load(meta: Readonly<Record<string, string>>, now: number): void {
    const stable = readStable(meta);
    if (stable !== undefined) this.#published = stable;
    const members = meta[MEMBERS_META];
    if (members === undefined) return;
    const seen = readJson(members, MEMBERS_META) as Record<PeerId, number>;
    if (typeof seen !== 'object' || seen === null) throw corrupt(MEMBERS_META);
    for (const [peer, lastSeen] of Object.entries(seen)) {
      if (!this.#members.has(peer)) this.#members.set(peer, { lastSeen: Math.min(lastSeen, now), connected: 0, acked: undefined });
    }
  }

  get published(): VersionVector {
    return this.#published;
  }

  /** Member ids. */
  members(): PeerId[] {
    return [...this.#members.keys()];
  }

  /**
   * Whether a peer saying hello with `vv` may sync as it is: unless it holds
   * everything published, or nothing but its own operations, it may show
   * what a collected remove removed — it must reset from a snapshot.
   */
  admit(peer: PeerId, vv: VersionVector): SyncError | undefined {
    const published = this.#pending ?? this.#published;
    if (published.isEmpty() || vv.dominates(published)) return undefined;
    for (const origin of vv.origins()) {
      if (origin === peer) continue;
      return new SyncError(
        'E_HORIZON',
        this.#members.has(peer)
          ? `peer ${peer} holds operations of others but not everything this space's members hold, and metadata it lacks was collected: reset from a snapshot (its own unsynced writes are written again)`
          : `peer ${peer} was away longer than this space's GC horizon (${this.horizonMs} ms), and metadata it lacks was collected: reset from a snapshot (its own unsynced writes are written again)`,
      );
    }
    return undefined;
  }

  /** A member connected (after {@link admit}). Returns whether it is new (the members must be written). */
  connected(peer: PeerId, now: number): boolean {
    const member = this.#members.get(peer);
    if (member !== undefined) {
      member.connected++;
      member.lastSeen = now;
      return false;
    }
    this.#members.set(peer, { lastSeen: now, connected: 1, acked: undefined });
    return true;
  }

  disconnected(peer: PeerId, now: number): void {
    const member = this.#members.get(peer);
    if (member === undefined) return;
    member.connected = Math.max(0, member.connected - 1);
    member.lastSeen = now;
  }

  acked(peer: PeerId, vv: VersionVector): void {
    const member = this.#members.get(peer);
    if (member === undefined) return;
    if (member.acked === undefined) member.acked = vv.clone();
    else member.acked.merge(vv);
  }

  /**
   * Forgets members away past the horizon.
   *
   * @returns whether any was forgotten (the members must be written)
   */
  expire(now: number): boolean {
    let expired = false;
    for (const [peer, member] of this.#members) {
      if (member.connected === 0 && now - member.lastSeen > this.horizonMs) {
        this.#members.delete(peer);
        expired = true;
      }
    }
    return expired;
  }

  /**
   * What every member holds durably, cut to what this authority holds —
   * when it grew past the published vector; `undefined` when some member has
   * not acknowledged since this authority opened, or nothing new is stable.
   */
  next(own: VersionVector, now: number): VersionVector | undefined {
    if (this.#members.size === 0) return undefined;
    let stable = own.clone();
    for (const [peer, member] of this.#members) {
      if (member.connected > 0) member.lastSeen = now;
      if (member.acked === undefined) return undefined;
      // A member holds what it acknowledged, and its own operations held here (it wrote them, durably, before sending).
      const held = member.acked.clone();
      for (const [from, to] of own.ranges(peer)) held.addRange(peer, from, to);
      stable = stable.intersection(held);
    }
    if (!stable.dominates(this.#published) || stable.equals(this.#published)) return undefined;
    return stable;
  }

  /** `stable` is being written: hellos are checked against it from now on. */
  propose(stable: VersionVector): void {
    this.#pending = stable;
  }

  /** Ends a {@link propose}: `durable`, the vector is published (if it still grows it); else it is dropped. */
  settle(stable: VersionVector, durable: boolean): boolean {
    if (this.#pending === stable) this.#pending = undefined;
    if (!durable || !stable.dominates(this.#published)) return false;
    this.#published = stable;
    return true;
  }

  /** When the next disconnected member passes the horizon, in ms from `now` (for a timer). */
  nextExpiry(now: number): number | undefined {
    let soonest: number | undefined;
    for (const member of this.#members.values()) {
      if (member.connected > 0) continue;
      const due = Math.max(0, member.lastSeen + this.horizonMs - now) + 1;
      if (soonest === undefined || due < soonest) soonest = due;
    }
    return soonest;
  }

  /** The meta entries that persist the members (and, given, a stable vector). */
  meta(stable?: VersionVector): Record<string, string> {
    const seen: Record<PeerId, number> = {};
    for (const [peer, member] of this.#members) seen[peer] = member.lastSeen;
    const out: Record<string, string> = { [MEMBERS_META]: JSON.stringify(seen) };
    if (stable !== undefined) out[STABLE_META] = JSON.stringify(stable.toJSON());
    return out;
  }
}
