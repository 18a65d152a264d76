import type { InternalAxiosRequestConfig } from 'axios';
import { monotonicNow, nonDecreasing } from '../clock.js';
import { atLeast, checkAll, fn, keyFor, positive, rejectUnknown } from '../decide/validate.js';
import type { AdaptiveThrottleLike, ThrottleAdmission, ThrottleOutcome, ThrottleSnapshot } from '../types.js';
import { originOf } from './origin.js';
import { touch } from './recent.js';
import { SlidingWindow } from './window.js';

/** @category Protections */
export interface AdaptiveThrottleOptions {
  /**
   * The history the rejection probability is computed over. Short, so that the client trusts a
   * recovered backend again within about a second (a probability at its cap halves once per
   * window once everything sent is accepted). @default 1000
   */
  windowMs: number;
  /**
   * How many requests the client may send per request the backend accepts before it starts
   * rejecting locally: 2 lets through twice what the backend accepts. Lower is more
   * aggressive. @default 2
   */
  k: number;
  /**
   * The most requests it rejects locally, however much the backend refuses: the rest still go,
   * and find out when it accepts again. @default 0.5
   */
  maxRejectionProbability: number;
  /**
   * Nothing is rejected until the window holds this many requests: a quiet client whose one
   * request failed is not throttled (the formula alone would reject half of what follows).
   * @default 10
   */
  minRequests: number;
  /** The random source of the local rejections: a seeded one makes them reproducible. @default Math.random */
  random: () => number;
  /** One throttle per key. @default the origin of the request URL */
  key: (config: InternalAxiosRequestConfig) => string;
  /** What the backend did not accept. @default a 429 or 503, a timeout or a network failure */
  isRejection: (outcome: ThrottleOutcome) => boolean;
  /** The most keys kept at once; past it, the one used longest ago is forgotten. @default 1000 */
  maxKeys: number;
  /** The clock in ms, for simulations and tests. @default monotonicNow (performance.now) */
  now: () => number;
}

const CHECKS = {
  windowMs: positive,
  k: atLeast(1),
  maxRejectionProbability: (v: unknown) =>
    typeof v === 'number' && v >= 0 && v <= 1 ? undefined : 'a number from 0 to 1',
  minRequests: atLeast(0, true),
  random: fn,
  key: fn,
  isRejection: fn,
  maxKeys: atLeast(1, true),
  now: fn,
};

/** Not accepted: the backend said it was overloaded (429, 503), or did not answer at all. */
const defaultIsRejection = ({ status, network }: ThrottleOutcome) => status === 429 || status === 503 || network;

// The two counters of a key's window.
const REQUESTS = 0;
const ACCEPTS = 1;

/**
 * Client-side adaptive throttling (Google SRE book, "Handling Overload"): each key keeps, over
 * a sliding window, the requests the client attempted and those the backend accepted, and a new
 * request is rejected locally, before it is sent, with probability
 * `max(0, (requests − k · accepts) / (requests + 1))`, capped at `maxRejectionProbability`
 * (and 0 until the window holds `minRequests`).
 * A backend that refuses half of what it gets sees the client back off in proportion; one that
 * accepts again is sent everything again as soon as the accepts outweigh the window's refusals.
 * Unlike a circuit breaker, it never sends only a probe: it thins the traffic out smoothly.
 * Locally rejected requests count as requests, so the probability holds while the backend is
 * down; requests let through count when they end, so a burst in flight is not taken for refusals.
 *
 * Use it where a `CircuitBreaker` goes (`throttle` option; per origin; pass one instance to
 * several axios instances to share it). Memory: one window (a ring of 10 slots) per key, at
 * most `maxKeys` keys.
 * @category Protections
 */
export class AdaptiveThrottle implements AdaptiveThrottleLike {
  readonly options: Readonly<AdaptiveThrottleOptions>;
  /** Keys in the order they were last used: eviction looks at the front. */
  readonly #windows = new Map<string, SlidingWindow>();
  readonly #now: () => number;

  constructor(options: Partial<AdaptiveThrottleOptions> = {}) {
    rejectUnknown('AdaptiveThrottle option', options, Object.keys(CHECKS));
    checkAll('AdaptiveThrottle option', options, CHECKS);
    const {
      windowMs = 1000,
      k = 2,
      maxRejectionProbability = 0.5,
      minRequests = 10,
      random = Math.random,
      key = originOf,
      isRejection = defaultIsRejection,
      maxKeys = 1000,
      now = monotonicNow,
    } = options;
    this.options = Object.freeze({
      windowMs,
      k,
      maxRejectionProbability,
      minRequests,
      random,
      key,
      isRejection,
      maxKeys,
      now,
    });
    this.#now = nonDecreasing(now);
  }

  keyOf(config: InternalAxiosRequestConfig): string {
    return keyFor('AdaptiveThrottle option', this.options.key, config);
  }

  /**
   * Rejects a request locally with the throttle's probability; a rejected one counts as a
   * request at once. One let through counts when it ends (`record`): counted while in flight,
   * a burst to a healthy backend would look refused until its answers came.
   */
  acquire(key: string): ThrottleAdmission {
    const now = this.#now();
    const window = this.#window(key);
    const probability = this.#probability(window, now);
    if (probability > 0 && this.options.random() < probability) {
      window.add(now, REQUESTS);
      return { allowed: false, probability };
    }
    return { allowed: true, probability };
  }

  /** How a request that `acquire` let through ended: a request, and an accept unless refused. */
  record(key: string, outcome: ThrottleOutcome): void {
    const accepted = !this.options.isRejection(outcome);
    const now = this.#now();
    const window = this.#window(key);
    window.add(now, REQUESTS);
    if (accepted) window.add(now, ACCEPTS);
  }

  /** Each key's requests and accepts over the window, and its rejection probability now. */
  snapshot(): Record<string, ThrottleSnapshot> {
    const now = this.#now();
    const keys: [string, ThrottleSnapshot][] = [];
    for (const [key, window] of this.#windows) {
      const requests = window.sum(now, REQUESTS);
      if (requests === 0) {
        this.#windows.delete(key);
        continue;
      }
      keys.push([
        key,
        { requests, accepts: window.sum(now, ACCEPTS), rejectionProbability: this.#probability(window, now) },
      ]);
    }
    // Keys are the user's: `fromEntries` keeps a key named `__proto__` a key.
    return Object.fromEntries(keys);
  }

  #probability(window: SlidingWindow, now: number): number {
    const requests = window.sum(now, REQUESTS);
    if (requests < this.options.minRequests) return 0;
    const p = (requests - this.options.k * window.sum(now, ACCEPTS)) / (requests + 1);
    return Math.min(this.options.maxRejectionProbability, Math.max(0, p));
  }

  /** The key's window, made if it has none, and moved to the back of the eviction order. */
  #window(key: string): SlidingWindow {
    return touch(this.#windows, key, () => new SlidingWindow(this.options.windowMs, 2), this.options.maxKeys);
  }
}
