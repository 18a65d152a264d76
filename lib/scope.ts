import type { CircuitTransition } from './breaker.js';
import { CircuitBreaker } from './breaker.js';
import { RetryBudget } from './budget.js';
import type { NormalizedRetryOptions, RetryStats, StopReason, ValidatedRetryOptions } from './types.js';

/**
 * What one attached instance shares between its requests: the budget and breaker that
 * `true` stands for, and the counters behind `handle.stats()`.
 */
export class InstanceScope {
  readonly options: NormalizedRetryOptions;
  requests = 0;
  attempts = 0;
  retries = 0;
  successes = 0;
  failures = 0;
  readonly giveUps: Partial<Record<StopReason, number>> = {};
  #budget: RetryBudget | undefined;
  #breaker: CircuitBreaker | undefined;

  /** Resolves `true` in the instance's options to a budget and a breaker of its own. */
  /**
   * Requests without per-request options take the fast path when nothing must be looked after
   * before a failure: no attempt timer, no deadline, no breaker, no key to generate.
   */
  readonly fastPath: boolean;

  constructor(options: ValidatedRetryOptions) {
    this.options = this.resolve(options);
    const { attemptTimeout, deadline, circuitBreaker, idempotencyKey } = this.options;
    this.fastPath = attemptTimeout === undefined && deadline === undefined && !circuitBreaker && !idempotencyKey;
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

  gaveUp(reason: StopReason): void {
    this.failures += 1;
    this.giveUps[reason] = (this.giveUps[reason] ?? 0) + 1;
  }

  /** Logs and reports a circuit state change caused by one of this instance's requests. */
  report(transition: CircuitTransition | undefined, options: NormalizedRetryOptions): void {
    if (!transition) return;
    const { key, from, to } = transition;
    const line = `axios-rebound: circuit ${key} ${from} -> ${to}`;
    if (to === 'open') options.logger?.warn?.(line);
    else options.logger?.info?.(line);
    options.onCircuitStateChange?.(Object.freeze({ key, from, to }));
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
