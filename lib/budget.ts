import { SlidingWindow } from './window.js';

export interface RetryBudgetOptions {
  /** Retries may add at most this share of the first attempts in the window. @default 0.2 */
  ratio: number;
  /** A floor, so that a quiet client can still retry. @default 10 */
  minRetriesPerSecond: number;
  /** @default 10_000 */
  windowMs: number;
  /** The clock, for simulations and tests. @default Date.now */
  now: () => number;
}

const FIRST_ATTEMPTS = 0;
const RETRIES = 1;

/**
 * Caps retries at `ratio` of first attempts plus a floor, over a sliding window: the retry
 * budget of Finagle and Envoy, the retry throttling of gRPC. While a service is down, every
 * first attempt fails and retries would multiply its load by `retries + 1`; under a budget
 * they multiply it by at most `1 + ratio` (plus the floor). Share one budget between
 * instances by passing it to each.
 */
export class RetryBudget {
  readonly options: Readonly<RetryBudgetOptions>;
  readonly #window: SlidingWindow;
  #lastRefusalWarning = -Infinity;

  constructor(options: Partial<RetryBudgetOptions> = {}) {
    const { ratio = 0.2, minRetriesPerSecond = 10, windowMs = 10_000, now = () => Date.now() } = options;
    check('ratio', ratio, ratio >= 0);
    check('minRetriesPerSecond', minRetriesPerSecond, minRetriesPerSecond >= 0);
    check('windowMs', windowMs, windowMs > 0);
    if (typeof now !== 'function') throw new TypeError('axios-rebound: RetryBudget option "now" must be a function');
    for (const key of Object.keys(options)) {
      if (!['ratio', 'minRetriesPerSecond', 'windowMs', 'now'].includes(key)) {
        throw new TypeError(`axios-rebound: unknown RetryBudget option "${key}"`);
      }
    }
    this.options = Object.freeze({ ratio, minRetriesPerSecond, windowMs, now });
    this.#window = new SlidingWindow(windowMs, 2);
  }

  /** Records a first attempt, which earns `ratio` of a retry. */
  recordRequest(): void {
    this.#window.add(this.options.now(), FIRST_ATTEMPTS);
  }

  /** Takes one retry from the budget if one is available; `false` means: do not retry. */
  tryRetry(): boolean {
    if (this.available() < 1) return false;
    this.#window.add(this.options.now(), RETRIES);
    return true;
  }

  /** Whole retries available now. */
  available(): number {
    const now = this.options.now();
    const { ratio, minRetriesPerSecond, windowMs } = this.options;
    const earned = ratio * this.#window.sum(now, FIRST_ATTEMPTS) + (minRetriesPerSecond * windowMs) / 1000;
    return Math.max(0, Math.floor(earned - this.#window.sum(now, RETRIES) + 1e-9));
  }

  /** What the window holds now: for stats and dashboards. */
  snapshot(): { available: number; window: { ms: number; firstAttempts: number; retries: number } } {
    const now = this.options.now();
    return {
      available: this.available(),
      window: {
        ms: this.options.windowMs,
        firstAttempts: this.#window.sum(now, FIRST_ATTEMPTS),
        retries: this.#window.sum(now, RETRIES),
      },
    };
  }

  /** True at most once per window: callers warn about refusals without flooding the log. */
  shouldWarnOfRefusal(): boolean {
    const now = this.options.now();
    if (now - this.#lastRefusalWarning < this.options.windowMs) return false;
    this.#lastRefusalWarning = now;
    return true;
  }
}

function check(name: string, value: unknown, ok: boolean): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok) {
    throw new TypeError(`axios-rebound: RetryBudget option "${name}" is invalid: ${String(value)}`);
  }
}
