interface Slot<T> {
  readonly value: T;
  usedAt: number;
}

/**
 * How a circuit is kept: closed ones expire soonest and are evicted for room; tripped ones
 * (open, half-open) expire later and are never evicted; pinned ones (isolated by hand) neither
 * expire nor count towards the limit, because the user's code, not traffic, decides how many
 * there are and how long they last (until `reset`).
 */
export type CircuitKind = 'closed' | 'tripped' | 'pinned';

/**
 * Where a breaker keeps the circuits that hold something, bounded for callers that reach
 * thousands of origins: at most `limit` of them (pinned ones aside), each dropped once idle for
 * its expiry.
 *
 * Each map is in least-recently-used order (a Map iterates in insertion order and a used
 * entry is inserted again), so expiry and eviction look only at the front: O(1) amortized.
 */
export class CircuitTable<T> {
  readonly #closed = new Map<string, Slot<T>>();
  readonly #tripped = new Map<string, Slot<T>>();
  readonly #pinned = new Map<string, Slot<T>>();

  constructor(
    readonly limit: number,
    readonly closedIdleMs: number,
    readonly trippedIdleMs: number,
  ) {}

  /** The circuits that count towards `limit`: every one but the pinned. */
  get size(): number {
    return this.#closed.size + this.#tripped.size;
  }

  get(key: string, now: number): T | undefined {
    this.#expire(now);
    return (this.#closed.get(key) ?? this.#tripped.get(key) ?? this.#pinned.get(key))?.value;
  }

  /** Whether a new circuit can be kept now: there is room, or a closed circuit to evict. */
  hasRoom(now: number): boolean {
    this.#expire(now);
    return this.size < this.limit || this.#closed.size > 0;
  }

  /**
   * Keeps `value` as used at `now`, evicting the least recently used closed circuits if that
   * goes over the limit. Never evicts a tripped one: a new key that finds no room is not kept.
   */
  keep(key: string, value: T, kind: CircuitKind, now: number): void {
    this.delete(key);
    const map = kind === 'closed' ? this.#closed : kind === 'tripped' ? this.#tripped : this.#pinned;
    map.set(key, { value, usedAt: now });
    for (const old of this.#closed.keys()) {
      if (this.size <= this.limit || old === key) break;
      this.#closed.delete(old);
    }
  }

  delete(key: string): void {
    this.#closed.delete(key);
    this.#tripped.delete(key);
    this.#pinned.delete(key);
  }

  /** Every circuit kept now, least recently used first within each kind: at most `limit` plus the pinned. */
  entries(now: number): Array<[string, T]> {
    this.#expire(now);
    return [...this.#closed, ...this.#tripped, ...this.#pinned].map(([key, slot]) => [key, slot.value]);
  }

  #expire(now: number): void {
    dropIdle(this.#closed, now - this.closedIdleMs);
    dropIdle(this.#tripped, now - this.trippedIdleMs);
  }
}

function dropIdle<T>(map: Map<string, Slot<T>>, usedBefore: number): void {
  for (const [key, slot] of map) {
    if (slot.usedAt > usedBefore) return;
    map.delete(key);
  }
}
