import type { InternalAxiosRequestConfig } from 'axios';
import type { CircuitBreaker, CircuitTransition } from './breaker.js';
import type { Subject } from './log.js';
import { budgetLine, giveUpLine } from './log.js';
import type { InstanceScope } from './scope.js';
import type { FailureContext, NormalizedRetryOptions, RetryState, StopReason } from './types.js';

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

/** What hooks are given: the attempt that failed, its error, the request (none under `retry(fn)`), the state. */
export function failureContext(
  state: RetryState,
  error: unknown,
  config: InternalAxiosRequestConfig | undefined,
): FailureContext {
  return Object.freeze({ attempt: state.attempt, error: error as Error, config, state });
}

/**
 * Ends a call that will not be retried: records why (in its state and the stats), says so when
 * the call is known (an error log line, then `onGiveUp`, awaited), and throws `error`.
 */
export async function stopRetrying(
  call: { readonly options: NormalizedRetryOptions; readonly scope: InstanceScope; readonly state: RetryState },
  error: unknown,
  reason: StopReason,
  about: { readonly subject: Subject; readonly config: InternalAxiosRequestConfig | undefined } | undefined,
): Promise<never> {
  const { options, scope, state } = call;
  state.stopReason = reason;
  scope.gaveUp(reason);
  if (about) {
    options.logger?.error?.(giveUpLine(about.subject, state, reason));
    await options.onGiveUp?.(Object.freeze({ ...failureContext(state, error, about.config), stopReason: reason }));
  }
  throw error;
}
