import { WallClockLead } from '../clock.js';
import { RetryBudget } from '../protect/budget.js';
import { Cooldown } from '../protect/cooldown.js';
import { HedgeLoad } from '../protect/hedge-load.js';
import { Latencies } from '../protect/latencies.js';
import type {
  CircuitTransition,
  NormalizedRetryOptions,
  RetryStats,
  StopReason,
  ValidatedRetryOptions,
} from '../types.js';
import { log, observe, reportOnce } from './log.js';

/**
 * What one attached instance shares between its requests: the budget and cooldown that `true`
 * stands for, and the counters behind `handle.stats()`.
 */
export class InstanceScope {
  readonly options: NormalizedRetryOptions;
  /** The symbol this attachment's calls are tracked under in their configs (tracking.ts). */
  readonly key = Symbol('axios-rebound');
  /** Converts fast-path starts to wall time (tracking.ts). */
  readonly wallClock = new WallClockLead();
  /** Calls that have ended (the sum of successes and failures). */
  requests = 0;
  attempts = 0;
  retries = 0;
  /** Extra copies sent by `hedge` (not attempts: an attempt is one however many copies it has). */
  hedges = 0;
  successes = 0;
  failures = 0;
  readonly giveUps: Partial<Record<StopReason, number>> = {};
  /** Calls begun and not yet settled (see `whenIdle`). */
  #open = 0;
  #onIdle: (() => void) | undefined;
  #budget: RetryBudget | undefined;
  #cooldown: Cooldown | undefined;
  #hedging: { readonly load: HedgeLoad; readonly latencies: Latencies } | undefined;

  /**
   * Requests without per-request options take the fast path when nothing must be looked after
   * before a failure: no attempt timer, no deadline, no breaker, no key to generate.
   */
  readonly fastPath: boolean;
  /**
   * On the fast path with `retries: 0`, no request is ever replayed: neither its body nor its
   * signal needs looking after, and axios sends it exactly as it would without us.
   */
  readonly neverReplays: boolean;

  constructor(options: ValidatedRetryOptions) {
    this.options = this.resolve(options);
    const { attemptTimeout, deadline, circuitBreaker, throttle, idempotencyKey, retries, hedge } = this.options;
    // A hedged request's first attempt is the one hedged: it must go through our adapter.
    this.fastPath =
      attemptTimeout === undefined &&
      deadline === undefined &&
      !circuitBreaker &&
      !throttle &&
      !idempotencyKey &&
      !hedge;
    this.neverReplays = this.fastPath && retries === 0;
  }

  /**
   * Options whose `budget` and `circuitBreaker` are objects or `false`, never `true`.
   * `circuitBreaker: true` is refused here: the breaker is code that only a user who imports
   * `CircuitBreaker` pays for, so `attachRetry` cannot make one (0.2.0).
   */
  resolve(options: ValidatedRetryOptions): NormalizedRetryOptions {
    const { budget, cooldown } = options;
    const circuitBreaker = notTrue(options.circuitBreaker, 'circuitBreaker', 'CircuitBreaker');
    const throttle = notTrue(options.throttle, 'throttle', 'AdaptiveThrottle');
    // Neither is `true`, so the options already are what a request runs under.
    if (budget !== true && cooldown !== true) return options as NormalizedRetryOptions;
    return Object.freeze({
      ...options,
      circuitBreaker,
      throttle,
      budget: budget === true ? this.#ownBudget() : budget,
      cooldown: cooldown === true ? this.#ownCooldown() : cooldown,
    });
  }

  /** The budget `budget: true` stands for, made on first use. */
  #ownBudget(): RetryBudget {
    this.#budget ??= new RetryBudget();
    return this.#budget;
  }

  /** The cooldown `cooldown: true` stands for, made on first use. */
  #ownCooldown(): Cooldown {
    this.#cooldown ??= new Cooldown();
    return this.#cooldown;
  }

  /**
   * What hedging shares between the instance's requests, made on first use: the extra-load cap
   * (over the instance's budget's window, 10 s without one) and the latencies behind `'p95'`.
   */
  get hedging(): { readonly load: HedgeLoad; readonly latencies: Latencies } {
    const { budget } = this.options;
    // A budget of the user's may not say its window.
    this.#hedging ??= {
      load: new HedgeLoad(budget ? (budget.options?.windowMs ?? 10_000) : 10_000),
      latencies: new Latencies(),
    };
    return this.#hedging;
  }

  /** Whether a request of the instance's own options may meet a cooldown: it must then take the tracked path. */
  get cooling(): boolean {
    const { cooldown } = this.options;
    if (cooldown === false) return false;
    try {
      return cooldown.active;
    } catch {
      // A cooldown of the user's that throws: the tracked path asks it again, and ends the call
      // with 'hook-error' if it throws there too.
      return true;
    }
  }

  /** A call has begun; `settle` ends it. */
  begin(): void {
    this.#open += 1;
  }

  /** Runs `fn` once no call that has begun is still open (at once if none is). */
  whenIdle(fn: () => void): void {
    this.#onIdle = fn;
    if (this.#open === 0) this.#idle();
  }

  #idle(): void {
    const fn = this.#onIdle;
    this.#onIdle = undefined;
    fn?.();
  }

  /**
   * Counts a call that has ended, once: with a response, or with the reason retrying stopped.
   * Every path that ends a call comes here (the interceptor's and the retry loop's `finally`),
   * so the counts add up whatever a hook or interceptor threw.
   */
  settle(call: { settled: boolean } | undefined, result: 'success' | StopReason): void {
    if (call) {
      if (call.settled) return;
      call.settled = true;
    }
    this.requests += 1;
    this.#open = Math.max(0, this.#open - 1);
    if (this.#open === 0) this.#idle();
    if (result === 'success') {
      this.successes += 1;
      return;
    }
    this.failures += 1;
    this.giveUps[result] = (this.giveUps[result] ?? 0) + 1;
  }

  /**
   * Logs and reports a circuit state change caused by one of this instance's requests. The
   * breaker has already moved; an observer that throws cannot undo or wedge that.
   */
  report(transition: CircuitTransition | undefined, options: NormalizedRetryOptions): void {
    if (!transition) return;
    const { key, from, to } = transition;
    log(options.logger, to === 'open' ? 'warn' : 'info', `axios-rebound: circuit ${key} ${from} -> ${to}`);
    observe(options.onCircuitStateChange, 'onCircuitStateChange', Object.freeze({ key, from, to }));
  }

  stats(): RetryStats {
    const { budget, circuitBreaker, cooldown, throttle } = this.options;
    const stats: RetryStats = {
      requests: this.requests,
      attempts: this.attempts,
      retries: this.retries,
      hedges: this.hedges,
      successes: this.successes,
      failures: this.failures,
      giveUps: { ...this.giveUps },
      circuits: (circuitBreaker && snapshotOf(circuitBreaker, 'circuitBreaker')) || {},
    };
    const budgetNow = budget && snapshotOf(budget, 'budget');
    if (budgetNow) stats.budget = budgetNow;
    const cooldownNow = cooldown && snapshotOf(cooldown, 'cooldown');
    if (cooldownNow) stats.cooldown = cooldownNow;
    const throttleNow = throttle && snapshotOf(throttle, 'throttle');
    if (throttleNow) stats.throttle = throttleNow;
    return stats;
  }
}

/**
 * A protection's snapshot for `stats()`, or `undefined` if it throws (one of the user's, or one
 * with the user's clock): reported once, and the counters are still shown.
 */
function snapshotOf<T>(protection: { snapshot(): T }, name: string): T | undefined {
  try {
    return protection.snapshot();
  } catch (error) {
    reportOnce(protection, `${name}.snapshot`, error);
    return undefined;
  }
}

/**
 * A protection that is code only its importer pays for (a breaker, a throttle): `attachRetry`
 * cannot make one for `true` (0.2.0).
 */
function notTrue<T>(value: T | boolean, name: string, kind: string): T | false {
  if (value === true) {
    throw new TypeError(
      `axios-rebound: option "${name}" must be ${/^[AEIOU]/.test(kind) ? 'an' : 'a'} ${kind} or false under attachRetry, got true ` +
        `(pass new ${kind}(), imported from 'axios-rebound')`,
    );
  }
  return value as T | false;
}
