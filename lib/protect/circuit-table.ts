interface Slot<T> {
  readonly value: T;
  usedAt: number;
}

/**
 * Where a breaker keeps the circuits that hold something, bounded for callers that reach
 * thousands of origins: at most `limit` of them, each dropped once idle for its expiry.
 * Closed and tripped (open or half-open) circuits are kept apart, because they expire after
 * different idle times and only closed ones are evicted to make room.
 *
 * Each map is in least-recently-used order (a Map iterates in insertion order and a used
 * entry is inserted again), so expiry and eviction look only at the front: O(1) amortized.
 */
export class CircuitTable<T> {
  readonly #closed = new Map<string, Slot<T>>();
  readonly #tripped = new Map<string, Slot<T>>();

  constructor(
    readonly limit: number,
    readonly closedIdleMs: number,
    readonly trippedIdleMs: number,
  ) {}

  get size(): number {
    return this.#closed.size + this.#tripped.size;
  }

  get(key: string, now: number): T | undefined {
    this.#expire(now);
    return (this.#closed.get(key) ?? this.#tripped.get(key))?.value;
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
  keep(key: string, value: T, tripped: boolean, now: number): void {
    this.#closed.delete(key);
    this.#tripped.delete(key);
    (tripped ? this.#tripped : this.#closed).set(key, { value, usedAt: now });
    for (const old of this.#closed.keys()) {
      if (this.size <= this.limit || old === key) break;
      this.#closed.delete(old);
    }
  }

  delete(key: string): void {
    this.#closed.delete(key);
    this.#tripped.delete(key);
  }

  /** Every circuit kept now: at most `limit`. */
  entries(now: number): Array<[string, T]> {
    this.#expire(now);
    return [...this.#closed, ...this.#tripped].map(([key, slot]) => [key, slot.value]);
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
