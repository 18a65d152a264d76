import type { InternalAxiosRequestConfig } from 'axios';
import { monotonicNow, nonDecreasing } from '../clock.js';
import { atLeast, checkAll, fn, keyFor, rejectUnknown } from '../decide/validate.js';
import type { CooldownAsk, CooldownLike, CooldownSnapshot, CooldownWait } from '../types.js';
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
  until: number;
  /** How long it was when the server set it: what waiters are spread over. */
  span: number;
  /** With a rate the server announced: the ms between two requests after the end; else 0. */
  interval: number;
  /** When paced: the first free slot, on the cooldown's clock. */
  next: number;
}

/** Until when an entry holds requests back: its end, or its last slot when paced. */
const endOf = (entry: Entry) => Math.max(entry.until, entry.next);

/**
 * "Cooling down until T" per origin: when a response says when to come back (a 429 or 503 with
 * Retry-After, retry-after-ms, RateLimit or a reset header, or a success whose RateLimit says
 * the quota is spent), every request of the instance to that origin knows it, instead of
 * finding out with a request of its own. A new request waits until T when that fits its
 * deadline and `maxRetryAfter`, and otherwise fails fast with `ERR_RATE_LIMITED`. Share one
 * between instances by passing it to each.
 *
 * After T, requests must not all come back at once. When the response also announced its rate
 * (`RateLimit-Policy`, `q` requests per `w` seconds), they are paced at that rate: each takes
 * the next slot, one per `w / q` seconds from T on, and a request that comes while slots are
 * taken queues behind them; the pacing ends when a request finds no queue. Without a rate,
 * waiters are spread at random after T, over 20 % of the cooldown and no less than 50 ms.
 *
 * Memory: one entry per key cooling down or paced now, at most `maxOrigins` (past it, the
 * oldest is forgotten, paced or not); none once their time has passed.
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
    return keyFor('Cooldown option', this.options.key, config);
  }

  /**
   * The server said: not before `waitMs` from now, and (if it said) no more than `perSecond`
   * requests a second after that. Only ever lengthens a cooldown.
   */
  coolDown(key: string, waitMs: number, perSecond?: number): void {
    if (!(waitMs > 0 && waitMs < Infinity)) return;
    const now = this.#now();
    const until = now + waitMs;
    const current = this.#entries.get(key);
    const interval = perSecond !== undefined && perSecond > 0 ? 1000 / perSecond : 0;
    if (current && current.until >= until) {
      if (interval) current.interval = interval;
      return;
    }
    this.#entries.delete(key);
    // Slots already taken stay taken: their holders do not ask again unless the new end passes them.
    this.#entries.set(key, {
      until,
      span: waitMs,
      interval: interval || (current?.interval ?? 0),
      next: current?.next ?? 0,
    });
    this.#latest = Math.max(this.#latest, until);
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.options.maxOrigins) break;
      this.#entries.delete(oldest);
    }
  }

  /**
   * When a request to `key` must wait: how long (`waitMs`), how much of that the server asked
   * for (`leftMs`: the cooldown's end, or the request's slot when paced) and when it is due
   * (`due`, on the cooldown's clock). `undefined` when it may go now. A request that waited
   * asks again with its `due`: it goes unless the cooldown was lengthened past it meanwhile.
   * When paced, a slot is taken only if the request can wait for it (`limitMs`): one that
   * fails fast leaves no hole in the queue.
   */
  waitFor(key: string, ask: CooldownAsk = {}): CooldownWait | undefined {
    const { due, limitMs = Infinity, random = Math.random } = ask;
    const entry = this.#entries.get(key);
    if (!entry || (due !== undefined && entry.until <= due)) return undefined;
    const now = this.#now();
    if (endOf(entry) <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    if (entry.interval) {
      const slot = Math.max(entry.until, entry.next, now);
      const waitMs = Math.ceil(slot - now);
      if (waitMs <= limitMs) {
        entry.next = slot + entry.interval;
        this.#latest = Math.max(this.#latest, entry.next);
      }
      return { leftMs: waitMs, waitMs, due: slot };
    }
    const left = entry.until - now;
    const waitMs = Math.ceil(left + random() * Math.max(MIN_SPREAD_MS, entry.span * SPREAD));
    return { leftMs: Math.ceil(left), waitMs, due: now + waitMs };
  }

  /** Counts a request that waited for a cooldown, or that failed fast because it could not. */
  count(outcome: 'waited' | 'failed-fast'): void {
    if (outcome === 'waited') this.#waited += 1;
    else this.#failedFast += 1;
  }

  /**
   * The keys cooling down or paced now, with the ms until a request to each would go at once,
   * and the requests that waited or failed fast.
   */
  snapshot(): CooldownSnapshot {
    const now = this.#now();
    const origins: [string, number][] = [];
    for (const [key, entry] of this.#entries) {
      const end = endOf(entry);
      if (end > now) origins.push([key, Math.ceil(end - now)]);
      else this.#entries.delete(key);
    }
    // Keys are the user's: `fromEntries` keeps a key named `__proto__` a key.
    return { origins: Object.fromEntries(origins), waited: this.#waited, failedFast: this.#failedFast };
  }
}
