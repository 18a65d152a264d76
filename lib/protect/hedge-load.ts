import { monotonicNow } from '../clock.js';
import { SlidingWindow } from './window.js';

const FIRST_ATTEMPTS = 0;
const HEDGES = 1;

/**
 * The extra-load cap of hedging (Finagle's BackupRequestFilter `maxExtraLoad`): over a sliding
 * window, hedges may add at most a share of the first attempts that could be hedged. In a
 * partial outage every request is slow, and a hedge for each would double the load exactly
 * when the service can least take it; under the cap it grows by that share at most. O(1)
 * memory and time: a ring of 10 slots, like the retry budget's.
 */
export class HedgeLoad {
  readonly #window: SlidingWindow;

  constructor(windowMs: number) {
    this.#window = new SlidingWindow(windowMs, 2);
  }

  /** A first attempt of a request that may be hedged: it earns `maxExtraLoad` of a hedge. */
  recordFirstAttempt(): void {
    this.#window.add(monotonicNow(), FIRST_ATTEMPTS);
  }

  /**
   * Whether a hedge fits now: counting it, hedges stay within `maxExtraLoad` of the first
   * attempts in the window (so the first hedge needs `1 / maxExtraLoad` first attempts before
   * it: 20 at 5 %). Asked before the retry budget, and counted with `recordHedge` once sent.
   */
  allows(maxExtraLoad: number): boolean {
    const now = monotonicNow();
    return this.#window.sum(now, HEDGES) + 1 <= maxExtraLoad * this.#window.sum(now, FIRST_ATTEMPTS) + 1e-9;
  }

  recordHedge(): void {
    this.#window.add(monotonicNow(), HEDGES);
  }
}
