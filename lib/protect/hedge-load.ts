import { monotonicNow } from '../clock.js';
import { touch } from './recent.js';
import { SlidingWindow } from './window.js';

const FIRST_ATTEMPTS = 0;
const HEDGES = 1;

/** Origins kept at once; past it, the one used longest ago is forgotten. */
const MAX_ORIGINS = 1000;

/**
 * The extra-load cap of hedging (Finagle's BackupRequestFilter `maxExtraLoad`), per origin:
 * over a sliding window, hedges to an origin may add at most a share of the first attempts to
 * it that could be hedged. In a partial outage every request is slow, and a hedge for each would
 * double the load exactly when the service can least take it; under the cap it grows by that
 * share at most, and first attempts to a healthy origin earn nothing for a slow one. O(1) memory
 * and time per origin: a ring of 10 slots, like the retry budget's; at most 1000 origins.
 */
export class HedgeLoad {
  readonly #windowMs: number;
  /** In least-recently-used order: a used origin is inserted again. */
  readonly #origins = new Map<string, SlidingWindow>();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** A first attempt of a request to `origin` that may be hedged: it earns `maxExtraLoad` of a hedge. */
  recordFirstAttempt(origin: string): void {
    this.#window(origin).add(monotonicNow(), FIRST_ATTEMPTS);
  }

  /**
   * Whether a hedge to `origin` fits now: counting it, hedges stay within `maxExtraLoad` of the
   * first attempts in the window (so the first hedge needs `1 / maxExtraLoad` first attempts
   * before it: 20 at 5 %). Asked before the retry budget, and counted with `recordHedge` once sent.
   */
  allows(origin: string, maxExtraLoad: number): boolean {
    const window = this.#origins.get(origin);
    if (!window) return false;
    const now = monotonicNow();
    return window.sum(now, HEDGES) + 1 <= maxExtraLoad * window.sum(now, FIRST_ATTEMPTS) + 1e-9;
  }

  recordHedge(origin: string): void {
    this.#window(origin).add(monotonicNow(), HEDGES);
  }

  #window(origin: string): SlidingWindow {
    return touch(this.#origins, origin, () => new SlidingWindow(this.#windowMs, 2), MAX_ORIGINS);
  }
}
