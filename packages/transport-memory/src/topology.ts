import { SyncError } from '@softadastra/sync-core';

/**
 * Which pairs of nodes the network lets talk: cuts, the partition and blocks.
 *
 * @remarks
 * Everything is kept per pair of node names, not per link, so that a cut or a
 * partition also applies to links connected later. A partition is stored as
 * explicit cuts between the nodes known when it is set; a node first seen
 * later joins the group of unlisted nodes and gets its cuts when it is
 * registered. A `heal()` removes one cut, so it overrides the partition for
 * that pair.
 *
 * @internal
 */
export class Topology {
  readonly #nodes = new Set<string>();
  readonly #cuts = new Set<string>();
  readonly #blocks = new Set<string>();
  // node → group index while a partition is in force; unlisted nodes are in group -1.
  #groups: Map<string, number> | undefined;

  /**
   * Learns a node; while a partition is in force, a new node joins the
   * unlisted group and is cut from every other group.
   *
   * @param node - a node name
   */
  register(node: string): void {
    if (this.#nodes.has(node)) return;
    if (this.#groups !== undefined) {
      for (const other of this.#nodes) if (this.#groupOf(other) !== this.#groupOf(node)) this.#cuts.add(pairKey(node, other));
    }
    this.#nodes.add(node);
  }

  /**
   * Whether the nodes of `pair` (see {@link pairKey}) are cut from each other.
   *
   * @param pair - the key of a pair
   */
  isCut(pair: string): boolean {
    return this.#cuts.has(pair);
  }

  /**
   * Whether messages from `from` to `to` are blocked.
   *
   * @param from - the sending node
   * @param to - the receiving node
   */
  isBlocked(from: string, to: string): boolean {
    return this.#blocks.has(directedKey(from, to));
  }

  /**
   * Cuts `a` from `b`.
   *
   * @throws SyncError `E_INVALID_ARGUMENT` unless two different node names
   */
  cut(a: string, b: string): void {
    this.#pair(a, b, 'cut');
    this.#cuts.add(pairKey(a, b));
  }

  /**
   * Removes the cut between `a` and `b`, whatever made it.
   *
   * @throws SyncError `E_INVALID_ARGUMENT` unless two different node names
   */
  heal(a: string, b: string): void {
    this.#pair(a, b, 'heal');
    this.#cuts.delete(pairKey(a, b));
  }

  /**
   * Cuts nodes of different groups and heals nodes of the same group; unlisted
   * nodes form one more group.
   *
   * @throws SyncError `E_INVALID_ARGUMENT` when malformed or a node is listed twice
   */
  partition(groups: readonly (readonly string[])[]): void {
    if (!Array.isArray(groups)) throw new SyncError('E_INVALID_ARGUMENT', 'partition() takes a list of groups of node names');
    const next = new Map<string, number>();
    groups.forEach((group, index) => {
      if (!Array.isArray(group)) throw new SyncError('E_INVALID_ARGUMENT', `partition group ${index} must be a list of node names`);
      for (const node of group as readonly unknown[]) {
        checkNode(node, 'partition');
        if (next.has(node)) throw new SyncError('E_INVALID_ARGUMENT', `node "${node}" is listed in two partition groups`);
        next.set(node, index);
      }
    });
    this.#groups = next;
    for (const node of next.keys()) this.#nodes.add(node);
    const known = [...this.#nodes];
    for (let i = 0; i < known.length; i++) {
      for (let j = i + 1; j < known.length; j++) {
        const key = pairKey(known[i]!, known[j]!);
        if (this.#groupOf(known[i]!) === this.#groupOf(known[j]!)) this.#cuts.delete(key);
        else this.#cuts.add(key);
      }
    }
  }

  /**
   * Blocks messages from `from` to `to`.
   *
   * @throws SyncError `E_INVALID_ARGUMENT` unless two different node names
   */
  block(from: string, to: string): void {
    this.#pair(from, to, 'block');
    this.#blocks.add(directedKey(from, to));
  }

  /**
   * Lets messages from `from` to `to` through again.
   *
   * @throws SyncError `E_INVALID_ARGUMENT` unless two different node names
   */
  unblock(from: string, to: string): void {
    this.#pair(from, to, 'unblock');
    this.#blocks.delete(directedKey(from, to));
  }

  /** Heals every cut, ends the partition and unblocks everything. */
  clear(): void {
    this.#cuts.clear();
    this.#blocks.clear();
    this.#groups = undefined;
  }

  #groupOf(node: string): number {
    return this.#groups?.get(node) ?? -1;
  }

  #pair(a: string, b: string, what: string): void {
    checkNode(a, what);
    checkNode(b, what);
    if (a === b) throw new SyncError('E_INVALID_ARGUMENT', `${what}(): needs two different nodes, got "${a}" twice`);
    this.register(a);
    this.register(b);
  }
}

/**
 * The key of an unordered pair of nodes.
 *
 * @internal
 */
export function pairKey(a: string, b: string): string {
  return JSON.stringify(a < b ? [a, b] : [b, a]);
}

/**
 * Throws unless `node` is a non-empty string.
 *
 * @internal
 * @param node - the candidate name
 * @param what - the method, for the message
 */
export function checkNode(node: unknown, what: string): asserts node is string {
  if (typeof node !== 'string' || node.length === 0) {
    throw new SyncError('E_INVALID_ARGUMENT', `${what}(): a node name must be a non-empty string, got ${JSON.stringify(node)}`);
  }
}

function directedKey(from: string, to: string): string {
  return JSON.stringify([from, to]);
}
