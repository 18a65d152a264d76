import type { InternalAxiosRequestConfig } from 'axios';
import type {
  CircuitBreakerLike,
  CircuitTransition,
  FailureContext,
  NormalizedRetryOptions,
  RetryState,
  StopReason,
} from '../types.js';
import type { CallerAbort } from './abort.js';
import type { Subject } from './log.js';
import { budgetLine, giveUpLevel, giveUpLine, log } from './log.js';
import { rememberState } from './stories.js';
import { within } from './timers.js';

/**
 * The policy steps the interceptor and `retry(fn)` share after `decide` has said "retry":
 * one budget and one breaker, whoever calls.
 */

/** Takes a retry from the budget, if there is one; warns (once per window) when it refuses. */
export function reserveRetry(options: Pick<NormalizedRetryOptions, 'budget' | 'logger'>): boolean {
  const { budget } = options;
  if (!budget || budget.tryRetry()) return true;
  if (budget.shouldWarnOfRefusal()) log(options.logger, 'warn', budgetLine(budget));
  return false;
}

/** Asks the breaker, if there is one, to let an attempt through now. */
export function admitAttempt(
  breaker: CircuitBreakerLike | false,
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
 * Ends a call that will not be retried: records why in its state, says so when the call is
 * known (a log line at `giveUpLevel`, then `onGiveUp`, awaited), and throws `error`. The
 * caller's `finally` counts the call in the stats.
 */
export async function stopRetrying(
  call: { readonly options: NormalizedRetryOptions; readonly state: RetryState; readonly abort: CallerAbort },
  error: unknown,
  reason: StopReason,
  about: { readonly subject: Subject; readonly config: InternalAxiosRequestConfig | undefined } | undefined,
  timeLeftMs: number | undefined,
): Promise<never> {
  const { options, state } = call;
  state.stopReason = reason;
  rememberState(error, state);
  const { onGiveUp } = options;
  if (about) {
    const level = giveUpLevel(state, reason);
    if (level) log(options.logger, level, giveUpLine(about.subject, state, reason));
    if (onGiveUp) {
      const ctx = Object.freeze({ ...failureContext(state, error, about.config), stopReason: reason });
      // Awaited, but not past the deadline or the caller's abort: the call then ends as it gave up.
      await within(timeLeftMs, call.abort, () => onGiveUp(ctx));
    }
  }
  throw error;
}
