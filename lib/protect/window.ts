/**
 * Counts events over a sliding time window in O(1) memory and time, whatever the traffic:
 * the window is split into a fixed ring of slots, and a slot's counts leave the sums when
 * the window slides past it (so the window is exact to within one slot, a tenth by default).
 */
export class SlidingWindow {
  readonly #slotMs: number;
  readonly #slots: number;
  readonly #width: number;
  readonly #counts: Float64Array;
  readonly #sums: Float64Array;
  #slot = -Infinity;

  /** `width` independent counters share the window (say requests and retries). */
  constructor(windowMs: number, width: number, slots = 10) {
    this.#slotMs = windowMs / slots;
    this.#slots = slots;
    this.#width = width;
    this.#counts = new Float64Array(slots * width);
    this.#sums = new Float64Array(width);
  }

  add(now: number, counter: number, amount = 1): void {
    this.#advance(now);
    const at = this.#ring(this.#slot) * this.#width + counter;
    this.#counts[at] = (this.#counts[at] ?? 0) + amount;
    this.#sums[counter] = (this.#sums[counter] ?? 0) + amount;
  }

  /** The sum of one counter over the window ending at `now`. */
  sum(now: number, counter: number): number {
    this.#advance(now);
    return this.#sums[counter] ?? 0;
  }

  clear(): void {
    this.#counts.fill(0);
    this.#sums.fill(0);
  }

  #ring(slot: number): number {
    return ((slot % this.#slots) + this.#slots) % this.#slots;
  }

  /** Moves the window to `now`, dropping the slots it slid past (at most all of them). */
  #advance(now: number): void {
    const slot = Math.floor(now / this.#slotMs);
    if (slot <= this.#slot) return;
    const expired = Math.min(slot - this.#slot, this.#slots);
    for (let i = 1; i <= expired; i++) {
      const base = this.#ring(slot - expired + i) * this.#width;
      for (let c = 0; c < this.#width; c++) {
        this.#sums[c] = (this.#sums[c] ?? 0) - (this.#counts[base + c] ?? 0);
        this.#counts[base + c] = 0;
      }
    }
    this.#slot = slot;
  }
}
