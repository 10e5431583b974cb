import { VersionVector, opIdKey, type OpId } from '@softadastra/sync-core';
import { canonicalJson, type KillAck, type KillChildState } from './kill-protocol.js';

/** An acknowledged write, with the life that acknowledged it. */
interface Acked {
  readonly ack: KillAck;
  readonly life: number;
  /** The value in canonical JSON, to compare with what is recovered. */
  readonly value: string;
}

/**
 * What the children of a kill test acknowledged, and the checks of every
 * recovered state against it. Pure: the parent feeds it parsed lines.
 *
 * @remarks
 * The invariants, from the creed "never lose an acknowledged write":
 * - every acknowledged operation is in the version vector of every later
 *   recovery (never lost);
 * - a recovery holds everything the one before held (an operation once
 *   recovered may have been sent to peers: forgetting it later reopens its seq);
 * - an operation id is acknowledged once: a later life never acknowledges a
 *   seq again, nor one it recovered (never reused with other content);
 * - the recovered winner of a key is never older than the newest write
 *   acknowledged for it by the same origin, and a recovered winner that was
 *   acknowledged holds the acknowledged value.
 */
export class KillLedger {
  readonly #acked = new Map<string, Acked>();
  /** Per `collection/key`, per origin: the highest acknowledged seq. */
  readonly #newest = new Map<string, Map<string, number>>();
  readonly #lost = new Map<string, OpId>();
  readonly #reused = new Map<string, OpId>();
  readonly #violations: string[] = [];
  #life = -1;
  #recoveredVv = new VersionVector();
  #recoveredOps = 0;

  /** How many writes were acknowledged, over all lives. */
  get acknowledged(): number {
    return this.#acked.size;
  }

  /** How many operations the last recovery held. */
  get recovered(): number {
    return this.#recoveredOps;
  }

  /** Acknowledged operations missing from a later recovery (each once). */
  get lost(): OpId[] {
    return [...this.#lost.values()];
  }

  /** Operation ids acknowledged twice, or acknowledged after being recovered. */
  get reused(): OpId[] {
    return [...this.#reused.values()];
  }

  /** Every broken invariant, in words. */
  get violations(): readonly string[] {
    return this.#violations;
  }

  /** Records a broken invariant the ledger cannot see itself (a child that died on its own, say). */
  report(violation: string): void {
    this.#violations.push(violation);
  }

  /**
   * The child of `life` printed `READY`: checks that its state holds every
   * write acknowledged by the lives before.
   */
  checkRecovery(life: number, state: KillChildState): void {
    this.#life = life;
    let vv: VersionVector;
    try {
      vv = VersionVector.fromJSON(state.vv);
    } catch (error) {
      this.#violations.push(`life ${life} printed a malformed version vector: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const forgotten = this.#recoveredVv.missingFrom(vv);
    if (forgotten.length > 0) {
      const shown = forgotten.slice(0, 3).map((range) => `${range.origin}:${range.from}${range.to === range.from ? '' : `…${range.to}`}`);
      this.#violations.push(`forgotten: life ${life} recovered less than the recovery before it; it lacks ${shown.join(', ')}${forgotten.length > 3 ? ', …' : ''}`);
    }
    this.#recoveredVv = vv;
    this.#recoveredOps = vv.count();
    for (const [id, acked] of this.#acked) {
      if (vv.has(acked.ack) || this.#lost.has(id)) continue;
      this.#lost.set(id, { origin: acked.ack.origin, seq: acked.ack.seq });
      this.#violations.push(`lost: ${describe(acked)} is missing from what life ${life} recovered`);
    }
    const winners = new Map<string, (typeof state.winners)[number]>();
    for (const winner of state.winners) winners.set(`${winner[0]}/${winner[1]}`, winner);
    for (const [place, byOrigin] of this.#newest) {
      const winner = winners.get(place);
      if (winner === undefined) {
        this.#violations.push(`life ${life} recovered no value for ${place}, which had acknowledged writes`);
        continue;
      }
      const [, , origin, seq, value] = winner;
      const newest = byOrigin.get(origin);
      if (newest !== undefined && seq < newest) {
        this.#violations.push(`life ${life} recovered ${origin}:${seq} as the winner of ${place}, older than the acknowledged ${origin}:${newest}`);
      }
      const acked = this.#acked.get(opIdKey({ origin, seq }));
      if (acked !== undefined && acked.value !== canonicalJson(value)) {
        this.#violations.push(`life ${life} recovered ${place} = ${canonicalJson(value)} for ${origin}:${seq}, but ${describe(acked)}`);
      }
    }
  }

  /** The child of `life` acknowledged `ack`. */
  recordAck(life: number, ack: KillAck): void {
    const id = opIdKey(ack);
    let value: string;
    try {
      value = canonicalJson(JSON.parse(ack.value));
    } catch {
      this.#violations.push(`life ${life} acknowledged ${id} with a value that is not JSON: ${ack.value.slice(0, 80)}`);
      return;
    }
    const entry: Acked = { ack, life, value };
    const earlier = this.#acked.get(id);
    if (earlier !== undefined) {
      this.#reused.set(id, { origin: ack.origin, seq: ack.seq });
      this.#violations.push(`seq reused: ${describe(entry)}, but ${describe(earlier)}`);
      return;
    }
    if (life === this.#life && this.#recoveredVv.has(ack)) {
      this.#reused.set(id, { origin: ack.origin, seq: ack.seq });
      this.#violations.push(`seq reused: ${describe(entry)}, an id it had recovered at start`);
    }
    this.#acked.set(id, entry);
    const place = `${ack.collection}/${ack.key}`;
    let byOrigin = this.#newest.get(place);
    if (byOrigin === undefined) this.#newest.set(place, (byOrigin = new Map<string, number>()));
    if ((byOrigin.get(ack.origin) ?? 0) < ack.seq) byOrigin.set(ack.origin, ack.seq);
  }
}

function describe(acked: Acked): string {
  return `${opIdKey(acked.ack)} ${acked.ack.collection}/${acked.ack.key} = ${acked.value} was acknowledged by life ${acked.life}`;
}
