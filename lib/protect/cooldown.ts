import type { InternalAxiosRequestConfig } from 'axios';
import { monotonicNow, nonDecreasing } from '../clock.js';
import { atLeast, checkAll, fn, rejectUnknown } from '../decide/validate.js';
import type { CooldownLike, CooldownSnapshot, CooldownWait } from '../types.js';
import { originOf } from './origin.js';

/** @category Protections */
export interface CooldownOptions {
  /** One cooldown per key. @default the origin of the request URL */
  key: (config: InternalAxiosRequestConfig) => string;
  /**
   * The most keys cooling down at once; past it, the one that started cooling first is
   * forgotten. An entry is dropped as soon as its time has passed. @default 1000
   */
  maxOrigins: number;
  /**
   * The clock in ms, for simulations and tests. When it steps back, the cooldown's time goes
   * on from where it was instead. @default monotonicNow (performance.now)
   */
  now: () => number;
}

const CHECKS = { key: fn, maxOrigins: atLeast(1, true), now: fn };

/** Waiters are spread over this share of the cooldown after it ends, and over no less than MIN_SPREAD_MS. */
const SPREAD = 0.2;
const MIN_SPREAD_MS = 50;

interface Entry {
  /** When the cooldown ends, on the cooldown's clock. */
  readonly until: number;
  /** How long it was when the server set it: what waiters are spread over. */
  readonly span: number;
}

/**
 * "Cooling down until T" per origin: when a response says when to come back (a 429 or 503 with
 * Retry-After, retry-after-ms, RateLimit or a reset header, or a success whose RateLimit says
 * the quota is spent), every request of the instance to that origin knows it, instead of
 * finding out with a request of its own. A new request waits until T when that fits its
 * deadline and `maxRetryAfter`, and otherwise fails fast with `ERR_RATE_LIMITED`; waiters are
 * spread after T so that they do not all come back at once. Share one between instances by
 * passing it to each.
 *
 * Memory: one entry per key cooling down now, at most `maxOrigins`; none once their time has passed.
 * @category Protections
 */
export class Cooldown implements CooldownLike {
  readonly options: Readonly<CooldownOptions>;
  /** In the order the entries were set (a Map iterates in insertion order): eviction looks at the front. */
  readonly #entries = new Map<string, Entry>();
  /** When the last entry ends: past it, every entry has ended. */
  #latest = -Infinity;
  readonly #now: () => number;
  #waited = 0;
  #failedFast = 0;

  constructor(options: Partial<CooldownOptions> = {}) {
    rejectUnknown('Cooldown option', options, Object.keys(CHECKS));
    checkAll('Cooldown option', options, CHECKS);
    const { key = originOf, maxOrigins = 1000, now = monotonicNow } = options;
    this.options = Object.freeze({ key, maxOrigins, now });
    this.#now = nonDecreasing(now);
  }

  /** Whether any key may be cooling down: `false` lets a request skip looking up its key. */
  get active(): boolean {
    if (this.#entries.size === 0) return false;
    if (this.#now() < this.#latest) return true;
    this.#entries.clear();
    return false;
  }

  keyOf(config: InternalAxiosRequestConfig): string {
    return this.options.key(config);
  }

  /** The server said: not before `waitMs` from now. Only ever lengthens a cooldown. */
  coolDown(key: string, waitMs: number): void {
    if (!(waitMs > 0 && waitMs < Infinity)) return;
    const now = this.#now();
    const until = now + waitMs;
    const current = this.#entries.get(key);
    if (current && current.until >= until) return;
    this.#entries.delete(key);
    this.#entries.set(key, { until, span: waitMs });
    this.#latest = Math.max(this.#latest, until);
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.options.maxOrigins) break;
      this.#entries.delete(oldest);
    }
  }

  /**
   * When `key` is cooling down: what is left of its cooldown (`leftMs`, the server's time) and
   * how long a request must wait before it is sent (`waitMs`: spread after the end by `random`,
   * up to 20 % of the cooldown, over no less than 50 ms). `undefined` when it is not.
   */
  waitFor(key: string, random: () => number = Math.random): CooldownWait | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    const left = entry.until - this.#now();
    if (left <= 0) {
      this.#entries.delete(key);
      return undefined;
    }
    const leftMs = Math.ceil(left);
    return { leftMs, waitMs: Math.ceil(left + random() * Math.max(MIN_SPREAD_MS, entry.span * SPREAD)) };
  }

  /** Counts a request that waited for a cooldown, or that failed fast because it could not. */
  count(outcome: 'waited' | 'failed-fast'): void {
    if (outcome === 'waited') this.#waited += 1;
    else this.#failedFast += 1;
  }

  /** The keys cooling down now with the ms left of each, and the requests that waited or failed fast. */
  snapshot(): CooldownSnapshot {
    const now = this.#now();
    const origins: Record<string, number> = {};
    for (const [key, { until }] of this.#entries) {
      if (until > now) origins[key] = Math.ceil(until - now);
      else this.#entries.delete(key);
    }
    return { origins, waited: this.#waited, failedFast: this.#failedFast };
  }
}
