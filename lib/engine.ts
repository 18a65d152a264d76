import type { CircuitBreaker, CircuitTransition } from './breaker.js';
import { budgetLine } from './log.js';
import type { NormalizedRetryOptions } from './types.js';

/**
 * The policy steps the interceptor and `retry(fn)` share after `decide` has said "retry":
 * one budget and one breaker, whoever calls.
 */

/** Takes a retry from the budget, if there is one; warns (once per window) when it refuses. */
export function reserveRetry(options: Pick<NormalizedRetryOptions, 'budget' | 'logger'>): boolean {
  const { budget } = options;
  if (!budget || budget.tryRetry()) return true;
  if (budget.shouldWarnOfRefusal()) options.logger?.warn?.(budgetLine(budget));
  return false;
}

/** Asks the breaker, if there is one, to let an attempt through now. */
export function admitAttempt(
  breaker: CircuitBreaker | false,
  key: string | undefined,
  report: (transition: CircuitTransition | undefined) => void,
): { allowed: boolean; probe: boolean; retryAfterMs: number } {
  if (!breaker || key === undefined) return { allowed: true, probe: false, retryAfterMs: 0 };
  const admission = breaker.acquire(key);
  report(admission.transition);
  return admission.allowed
    ? { allowed: true, probe: admission.probe, retryAfterMs: 0 }
    : { allowed: false, probe: false, retryAfterMs: admission.retryAfterMs };
}
