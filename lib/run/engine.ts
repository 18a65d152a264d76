import type { InternalAxiosRequestConfig } from 'axios';
import { isAxiosError } from 'axios';
import { monotonicNow } from '../clock.js';
import { mayResend, responseStop } from '../decide/classify.js';
import { decide } from '../decide/decision.js';
import { headerReader } from '../decide/server-time.js';
import { skipsWait } from '../test-mode.js';
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
import { budgetLine, giveUpLevel, giveUpLine, log, retryLine } from './log.js';
import { rememberState } from './stories.js';
import { sleep, within } from './timers.js';

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
): { allowed: boolean; probe: boolean; ticket?: number | undefined; retryAfterMs: number } {
  if (!breaker || key === undefined) return { allowed: true, probe: false, retryAfterMs: 0 };
  const admission = breaker.acquire(key);
  report(admission.transition);
  return admission.allowed
    ? { allowed: true, probe: admission.probe, ticket: admission.ticket, retryAfterMs: 0 }
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

/** A call between two attempts, as the step both loops share sees it. */
export interface CallInProgress {
  readonly options: NormalizedRetryOptions;
  readonly state: RetryState;
  readonly abort: CallerAbort;
  /** When the call started, on the monotonic clock; moved back by a wait that test mode skips. */
  startedMono: number;
}

/** The attempt that just failed. */
export interface FailedAttempt {
  readonly error: unknown;
  /** The request's config, for hooks; `undefined` under `retry(fn)`. */
  readonly config: InternalAxiosRequestConfig | undefined;
  /** The caller cancelled the attempt. */
  readonly canceled: boolean;
  /** The deadline cut the attempt short. */
  readonly deadlineReached: boolean;
  /** A 429 that started a cooldown, which holds the origin to the server's time (axios only). */
  readonly heldByCooldown?: boolean;
  readonly bodyReplayable: boolean;
  readonly subject: Subject;
  /** The entry point's built-in classification (what `shouldRetry` replaces). */
  readonly classify: () => boolean;
  /** What must be let go of before the wait, and only if there is one (a failed response's stream). */
  readonly beforeWait?: () => void;
}

/**
 * Go on (`retry`, once the wait is over), or stop and say why; `canceled` when the caller
 * aborted during a hook or the wait, with the abort's reason, for the caller's own cancel error.
 */
export type Next = { readonly retry: true } | { readonly stop: StopReason; readonly canceled?: { reason: unknown } };

/**
 * What follows a failed attempt, the same for the interceptor and `retry(fn)`: is it retryable
 * (`shouldRetry` replaces the classification, never the rule that a request unsafe to repeat is
 * not sent twice), may it be retried now (`decide`: retries, deadline, Retry-After), does the
 * budget allow it; then the log line, `onRetry`, and the wait. Hooks are waited for no longer
 * than the deadline or the caller's abort, and no wait may pass the deadline.
 */
export async function afterFailedAttempt(call: CallInProgress, failed: FailedAttempt): Promise<Next> {
  const { options, state, abort } = call;
  const { error } = failed;
  let retryable = false;
  const ruledOut = failed.canceled ? undefined : responseStop(error, options);
  if (!failed.canceled && !ruledOut) {
    const { shouldRetry } = options;
    if (!shouldRetry) retryable = failed.classify();
    else if (isAxiosError(error) && !mayResend(error, options)) retryable = false;
    // shouldRetry is not asked when no retry is left; `decide` then reports 'retries-exhausted'.
    else if (state.attempt > options.retries) retryable = true;
    else {
      const ctx = failureContext(state, error, failed.config);
      const verdict = await within(timeLeft(call), abort, () => shouldRetry(ctx));
      if ('stopped' in verdict) return stopped(verdict.stopped, abort);
      retryable = verdict.value === true;
    }
  }
  const decision = decide(
    {
      attempt: state.attempt,
      canceled: failed.canceled,
      deadlineReached: failed.deadlineReached,
      ruledOut,
      retryable,
      bodyReplayable: failed.bodyReplayable,
      response: responseOf(error),
      previousDelay: state.history[state.history.length - 2]?.delayMs,
      elapsedMs: monotonicNow() - call.startedMono,
      wallNow: Date.now(),
    },
    options,
  );
  if (!decision.retry) return { stop: decision.reason };
  // A retry the server scheduled (a 429 that said "a second or more") is not the client's own
  // amplification when a cooldown holds the whole origin to that time (and its announced rate):
  // it takes nothing from the budget. Otherwise the budget is what bounds it.
  if (!(decision.scheduled && failed.heldByCooldown) && !reserveRetry(options)) return { stop: 'budget' };
  const { delayMs } = decision;
  const last = state.history[state.history.length - 1];
  if (last) last.delayMs = delayMs;
  log(options.logger, 'warn', retryLine(failed.subject, state, delayMs));
  const { onRetry } = options;
  if (onRetry) {
    const ctx = Object.freeze({ ...failureContext(state, error, failed.config), delayMs });
    const hooked = await within(timeLeft(call), abort, () => onRetry(ctx));
    if ('stopped' in hooked) return stopped(hooked.stopped, abort);
  }
  // The hook took its time: the wait must still end before the deadline.
  if ((timeLeft(call) ?? Infinity) <= delayMs) return { stop: 'deadline' };
  failed.beforeWait?.();
  try {
    if (!skipsWait(call, delayMs, failed.config)) await sleep(delayMs, abort, (reason) => ({ reason }));
  } catch (canceled) {
    return { stop: 'aborted', canceled: canceled as { reason: unknown } };
  }
  return { retry: true };
}

/** A failed response's status and headers, for what the server says about time. */
function responseOf(error: unknown) {
  const response = isAxiosError(error) ? error.response : undefined;
  return response && { status: response.status, headers: headerReader(response.headers) };
}

function stopped(reason: 'aborted' | 'deadline', abort: CallerAbort): Next {
  return reason === 'aborted' ? { stop: 'aborted', canceled: { reason: abort.reason } } : { stop: 'deadline' };
}

/** What the deadline leaves of the call, in ms; `undefined` without a deadline. */
export function timeLeft(call: Pick<CallInProgress, 'options' | 'startedMono'>): number | undefined {
  const { deadline } = call.options;
  return deadline === undefined ? undefined : deadline - (monotonicNow() - call.startedMono);
}
