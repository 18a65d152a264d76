import { monotonicNow } from '../clock.js';
import { CircuitBreaker } from './breaker.js';
import { RetryBudget } from './budget.js';

/**
 * What `budget: true` and `circuitBreaker: true` stand for under `retry(fn)` and `withRetry`:
 * protections shared by every call of the same `name` in the process, so that a budget caps
 * the calls that belong together (a budget per call would cap nothing). Names are the user's,
 * so the table is bounded: at most `MAX_NAMES`, least recently used first out, and a budget
 * idle for longer than its window holds nothing worth keeping.
 */
const MAX_NAMES = 1000;
const budgets = new Map<string, { budget: RetryBudget; usedAt: number }>();

/** The process-wide budget of calls named `name`. */
export function budgetFor(name: string): RetryBudget {
  const now = monotonicNow();
  const entry = budgets.get(name);
  budgets.delete(name);
  const budget = entry && now - entry.usedAt <= entry.budget.options.windowMs ? entry.budget : new RetryBudget();
  budgets.set(name, { budget, usedAt: now });
  for (const [oldest, { budget: old, usedAt }] of budgets) {
    if (budgets.size <= MAX_NAMES && now - usedAt <= old.options.windowMs) break;
    budgets.delete(oldest);
  }
  return budget;
}

let breaker: CircuitBreaker | undefined;

/** The process-wide breaker of `retry(fn)` calls, one circuit per name (bounded by `maxCircuits`). */
export function sharedBreaker(): CircuitBreaker {
  breaker ??= new CircuitBreaker();
  return breaker;
}
