/** Latencies kept per origin: the last 100, enough for a 95th percentile that moves with the service. */
const SAMPLES = 100;
/** No percentile from fewer: before it, `'p95'` sends no hedge (the warm-up). */
export const WARM_UP_SAMPLES = 20;
/** The p95 is computed again after this many new samples, not on every request. */
const RECOMPUTE_EVERY = 10;

interface Ring {
  readonly samples: Float64Array;
  /** Samples recorded so far (the ring holds the last `SAMPLES` of them). */
  count: number;
  p95: number | undefined;
  computedAt: number;
  usedAt: number;
}

/**
 * Recent attempt latencies per origin, for `hedge: { delay: 'p95' }`: a fixed ring of the last
 * 100 per origin (O(1) memory each), at most `maxOrigins` origins (the least recently used goes
 * first) and none idle for longer than `idleMs`.
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
    ring ??= { samples: new Float64Array(SAMPLES), count: 0, p95: undefined, computedAt: 0, usedAt: now };
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
    if (ring.p95 === undefined || ring.count - ring.computedAt >= RECOMPUTE_EVERY) {
      const sorted = ring.samples.slice(0, Math.min(ring.count, SAMPLES)).sort();
      ring.p95 = sorted[Math.ceil(sorted.length * 0.95) - 1];
      ring.computedAt = ring.count;
    }
    return ring.p95;
  }
}
