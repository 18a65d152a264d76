import { monotonicNow, nonDecreasing } from '../clock.js';
import { atLeast, checkAll, fn, positive, rejectUnknown } from '../decide/validate.js';
import type { BudgetSnapshot, RetryBudgetLike } from '../types.js';
import { SlidingWindow } from './window.js';

/** @category Protections */
export interface RetryBudgetOptions {
  /** Retries may add at most this share of the first attempts in the window. @default 0.2 */
  ratio: number;
  /** A floor, so that a quiet client can still retry. @default 10 */
  minRetriesPerSecond: number;
  /** @default 10_000 */
  windowMs: number;
  /**
   * The clock in ms, for simulations and tests. When it steps back (an injected `Date.now`
   * after an NTP correction), the budget's time goes on from where it was instead.
   * @default monotonicNow (performance.now)
   */
  now: () => number;
}

// Counters of the main window; floor retries are counted over the last second only.
const FIRST_ATTEMPTS = 0;
const RATIO_RETRIES = 1;
const ALL_RETRIES = 2;
const FLOOR_WINDOW_MS = 1000;

const CHECKS = { ratio: atLeast(0), minRetriesPerSecond: atLeast(0), windowMs: positive, now: fn };

/**
 * Caps retries at `ratio` of first attempts plus a floor, over a sliding window: the retry
 * budget of Finagle and Envoy, the retry throttling of gRPC. While a service is down, every
 * first attempt fails and retries would multiply its load by `retries + 1`; under a budget
 * they multiply it by at most `1 + ratio` (plus the floor). Share one budget between
 * instances by passing it to each.
 *
 * The floor is a rate: at most `minRetriesPerSecond` retries in any second beyond what the
 * ratio earns. Unused floor does not pile up over the window, so an outage that starts after
 * a quiet spell meets no burst of saved-up retries.
 * @category Protections
 */
export class RetryBudget implements RetryBudgetLike {
  readonly options: Readonly<RetryBudgetOptions>;
  readonly #window: SlidingWindow;
  readonly #floor: SlidingWindow;
  readonly #now: () => number;
  #lastRefusalWarning = -Infinity;

  constructor(options: Partial<RetryBudgetOptions> = {}) {
    rejectUnknown('RetryBudget option', options, Object.keys(CHECKS));
    checkAll('RetryBudget option', options, CHECKS);
    const { ratio = 0.2, minRetriesPerSecond = 10, windowMs = 10_000, now = monotonicNow } = options;
    this.options = Object.freeze({ ratio, minRetriesPerSecond, windowMs, now });
    this.#window = new SlidingWindow(windowMs, 3);
    this.#floor = new SlidingWindow(FLOOR_WINDOW_MS, 1);
    this.#now = nonDecreasing(now);
  }

  /** Records a first attempt, which earns `ratio` of a retry. */
  recordRequest(): void {
    this.#window.add(this.#now(), FIRST_ATTEMPTS);
  }

  /** Takes one retry from the budget if one is available; `false` means: do not retry. */
  tryRetry(): boolean {
    const now = this.#now();
    if (this.#earned(now) >= 1) {
      this.#window.add(now, RATIO_RETRIES);
    } else if (this.#floorLeft(now) >= 1) {
      this.#floor.add(now, 0);
    } else {
      return false;
    }
    this.#window.add(now, ALL_RETRIES);
    return true;
  }

  /** Whole retries available now. */
  available(): number {
    const now = this.#now();
    return Math.floor(this.#earned(now) + 1e-9) + Math.floor(this.#floorLeft(now) + 1e-9);
  }

  /** What the ratio has earned over the window and retries have not yet used. */
  #earned(now: number): number {
    return Math.max(
      0,
      this.options.ratio * this.#window.sum(now, FIRST_ATTEMPTS) - this.#window.sum(now, RATIO_RETRIES),
    );
  }

  /** What the floor allows in the current second. */
  #floorLeft(now: number): number {
    return Math.max(0, this.options.minRetriesPerSecond - this.#floor.sum(now, 0));
  }

  /** What the window holds now: for stats and dashboards. */
  snapshot(): BudgetSnapshot {
    const now = this.#now();
    return {
      available: this.available(),
      window: {
        ms: this.options.windowMs,
        firstAttempts: this.#window.sum(now, FIRST_ATTEMPTS),
        retries: this.#window.sum(now, ALL_RETRIES),
      },
    };
  }

  /** True at most once per window: callers warn about refusals without flooding the log. */
  shouldWarnOfRefusal(): boolean {
    const now = this.#now();
    if (now - this.#lastRefusalWarning < this.options.windowMs) return false;
    this.#lastRefusalWarning = now;
    return true;
  }
}
