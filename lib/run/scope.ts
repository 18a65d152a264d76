import { WallClockLead } from '../clock.js';
import { CircuitBreaker } from '../protect/breaker.js';
import { RetryBudget } from '../protect/budget.js';
import type {
  CircuitTransition,
  NormalizedRetryOptions,
  RetryStats,
  StopReason,
  ValidatedRetryOptions,
} from '../types.js';
import { log, observe } from './log.js';

/**
 * What one attached instance shares between its requests: the budget and breaker that
 * `true` stands for, and the counters behind `handle.stats()`.
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
  successes = 0;
  failures = 0;
  readonly giveUps: Partial<Record<StopReason, number>> = {};
  /** Calls begun and not yet settled (see `whenIdle`). */
  #open = 0;
  #onIdle: (() => void) | undefined;
  #budget: RetryBudget | undefined;
  #breaker: CircuitBreaker | undefined;

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
    const { attemptTimeout, deadline, circuitBreaker, idempotencyKey, retries } = this.options;
    this.fastPath = attemptTimeout === undefined && deadline === undefined && !circuitBreaker && !idempotencyKey;
    this.neverReplays = this.fastPath && retries === 0;
  }

  /** Options whose `budget` and `circuitBreaker` are objects or `false`, never `true`. */
  resolve(options: ValidatedRetryOptions): NormalizedRetryOptions {
    const { budget, circuitBreaker } = options;
    // Neither is `true`, so the options already are what a request runs under.
    if (budget !== true && circuitBreaker !== true) return options as NormalizedRetryOptions;
    return Object.freeze({
      ...options,
      budget: budget === true ? this.#ownBudget() : budget,
      circuitBreaker: circuitBreaker === true ? this.#ownBreaker() : circuitBreaker,
    });
  }

  /** The budget `budget: true` stands for, made on first use. */
  #ownBudget(): RetryBudget {
    this.#budget ??= new RetryBudget();
    return this.#budget;
  }

  /** The breaker `circuitBreaker: true` stands for, made on first use. */
  #ownBreaker(): CircuitBreaker {
    this.#breaker ??= new CircuitBreaker();
    return this.#breaker;
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
    const { budget, circuitBreaker } = this.options;
    const stats: RetryStats = {
      requests: this.requests,
      attempts: this.attempts,
      retries: this.retries,
      successes: this.successes,
      failures: this.failures,
      giveUps: { ...this.giveUps },
      circuits: circuitBreaker ? circuitBreaker.snapshot() : {},
    };
    if (budget) stats.budget = budget.snapshot();
    return stats;
  }
}
