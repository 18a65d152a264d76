/**
 * Latencies kept per origin: the last 1 000. With 100, the 95th percentile rests on the 5
 * slowest samples and jumps with each of them: on the hedging benchmark (5 % of requests slow)
 * it fell to the top of the fast mode whenever the window held fewer than 5 slow ones, and the
 * extra-load cap went to fast requests. With 1 000 it rests on 50.
 */
const SAMPLES = 1000;
/** No percentile from fewer: before it, `'p95'` sends no hedge (the warm-up). */
export const WARM_UP_SAMPLES = 20;
/** The p95 is computed again once this share of the samples is new (at least 10): not on every request. */
const RECOMPUTE_SHARE = 0.05;

/** A ring's first size; it doubles as samples come, up to `SAMPLES`. */
const FIRST_SIZE = 32;

interface Ring {
  /** Doubles up to `SAMPLES`, then holds the last `SAMPLES`: an origin seldom called costs little. */
  samples: Float64Array;
  /** Samples recorded so far. */
  count: number;
  p95: number | undefined;
  computedAt: number;
  usedAt: number;
}

/**
 * Recent attempt latencies per origin, for `hedge: { delay: 'p95' }`: a ring of at most the
 * last 1 000 per origin (O(1) memory each, 8 KB at most), at most `maxOrigins` origins (the
 * least recently used goes first) and none idle for longer than `idleMs`.
 */
export class Latencies {
  /** In least-recently-used order: a used origin is inserted again. */
  readonly #origins = new Map<string, Ring>();

  constructor(
    readonly maxOrigins = 1000,
    readonly idleMs = 600_000,
  ) {}

  record(origin: string, ms: number, now: number): void {
    let ring = this.#origins.get(origin);
    this.#origins.delete(origin);
    ring ??= { samples: new Float64Array(FIRST_SIZE), count: 0, p95: undefined, computedAt: 0, usedAt: now };
    if (ring.count === ring.samples.length && ring.count < SAMPLES) {
      const grown = new Float64Array(Math.min(SAMPLES, ring.count * 2));
      grown.set(ring.samples);
      ring.samples = grown;
    }
    ring.samples[ring.count % SAMPLES] = ms;
    ring.count += 1;
    ring.usedAt = now;
    this.#origins.set(origin, ring);
    for (const [key, old] of this.#origins) {
      if (this.#origins.size <= this.maxOrigins && old.usedAt > now - this.idleMs) break;
      this.#origins.delete(key);
    }
  }

  /** The 95th percentile of the origin's recent latencies; `undefined` during the warm-up. */
  p95(origin: string): number | undefined {
    const ring = this.#origins.get(origin);
    if (!ring || ring.count < WARM_UP_SAMPLES) return undefined;
    const held = Math.min(ring.count, SAMPLES);
    if (ring.p95 === undefined || ring.count - ring.computedAt >= Math.max(10, held * RECOMPUTE_SHARE)) {
      const sorted = ring.samples.slice(0, held).sort();
      ring.p95 = sorted[Math.ceil(sorted.length * 0.95) - 1];
      ring.computedAt = ring.count;
    }
    return ring.p95;
  }
}
