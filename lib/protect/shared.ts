import { CircuitBreaker } from './breaker.js';
import { RetryBudget } from './budget.js';
import { touch } from './recent.js';
import { AdaptiveThrottle } from './throttle.js';

/**
 * What `budget: true` and `circuitBreaker: true` stand for under `retry(fn)` and `withRetry`:
 * protections shared by every call of the same `name` in the process, so that a budget caps
 * the calls that belong together (a budget per call would cap nothing). Names are the user's,
 * so the table is bounded: past `MAX_NAMES`, the least recently used name's budget is dropped
 * (a budget is a few hundred bytes, and its window empties itself when idle).
 */
const MAX_NAMES = 1000;
const budgets = new Map<string, RetryBudget>();

/** The process-wide budget of calls named `name`. */
export function budgetFor(name: string): RetryBudget {
  return touch(budgets, name, () => new RetryBudget(), MAX_NAMES);
}

let breaker: CircuitBreaker | undefined;
let throttle: AdaptiveThrottle | undefined;

/** The process-wide adaptive throttle of `retry(fn)` calls, one key per name. */
export function sharedThrottle(): AdaptiveThrottle {
  throttle ??= new AdaptiveThrottle();
  return throttle;
}

/** The process-wide breaker of `retry(fn)` calls, one circuit per name (bounded by `maxCircuits`). */
export function sharedBreaker(): CircuitBreaker {
  breaker ??= new CircuitBreaker();
  return breaker;
}
