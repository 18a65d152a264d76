import { isAxiosError } from 'axios';
import { monotonicNow } from '../clock.js';
import { failureVerdict, isAbortError, isRetryable } from '../decide/classify.js';
import { CircuitOpenError, ThrottledError } from '../errors.js';
import { CallerAbort } from '../run/abort.js';
import { gaveUpInside, markStarted } from '../run/call-order.js';
import { admitAttempt, afterFailedAttempt, stopRetrying, timeLeft } from '../run/engine.js';
import type { Subject } from '../run/log.js';
import { log, reportOnce, successLine } from '../run/log.js';
import type { InstanceScope } from '../run/scope.js';
import { rememberState, storiesIn } from '../run/stories.js';
import type { AttemptInfo, NormalizedRetryOptions, RetryState, StopReason } from '../types.js';
import type { FnRun } from './fn-attempt.js';
import { attempt } from './fn-attempt.js';

/** One call of `retry`, `withRetry` or a `retryBatch` item. */
export interface FnCall {
  readonly signal: AbortSignal | undefined;
  /** Names the call in log lines, and its circuit. */
  readonly name: string;
  readonly idempotencyKey: string | undefined;
}

/**
 * The engine of `retry`, `withRetry` and `retryBatch`: one attempt loop over the steps the
 * interceptor takes too. Its `finally` counts the call once, whatever throws.
 */
export async function runWithRetry<T>(
  fn: (info: AttemptInfo) => T | Promise<T>,
  scope: InstanceScope,
  options: NormalizedRetryOptions,
  call: FnCall,
): Promise<T> {
  const state: RetryState = { attempt: 0, retries: options.retries, startedAt: Date.now(), history: [] };
  if (call.idempotencyKey !== undefined) state.idempotencyKey = call.idempotencyKey;
  markStarted(state);
  scope.begin();
  const run: FnRun = { options, state, startedMono: monotonicNow(), abort: new CallerAbort(call.signal, undefined) };
  let result: 'success' | StopReason = 'hook-error';
  try {
    const value = await attemptUntilDone(fn, scope, run, call);
    result = 'success';
    return value;
  } catch (error) {
    state.stopReason ??= 'hook-error';
    rememberState(error, state);
    throw error;
  } finally {
    scope.settle(undefined, result === 'success' ? result : (state.stopReason ?? result));
  }
}

async function attemptUntilDone<T>(
  fn: (info: AttemptInfo) => T | Promise<T>,
  scope: InstanceScope,
  run: FnRun,
  call: FnCall,
): Promise<T> {
  const { options, state, abort } = run;
  const subject: Subject = {
    name: call.name,
    tags: call.idempotencyKey ? [`idempotency-key=${call.idempotencyKey}`] : [],
  };
  const key = options.circuitBreaker ? call.name : undefined;
  const report = (t: Parameters<InstanceScope['report']>[0]) => scope.report(t, options);
  const fail = (error: unknown, reason: StopReason): Promise<never> =>
    stopRetrying(run, error, reason, { subject, config: undefined }, timeLeft(run));
  if (options.budget) options.budget.recordRequest();
  let lastError: unknown;
  for (;;) {
    // No time left: nothing is started.
    if (state.attempt && (timeLeft(run) ?? Infinity) <= 0) return fail(lastError, 'deadline');
    // The throttle first, so that a probe slot the breaker gives is never held by a rejected attempt.
    const throttled = options.throttle ? options.throttle.acquire(call.name) : undefined;
    if (throttled && !throttled.allowed) {
      return fail(state.attempt ? lastError : new ThrottledError(call.name, throttled.probability), 'throttled');
    }
    const admission = admitAttempt(options.circuitBreaker, key, report);
    if (!admission.allowed) {
      return fail(state.attempt ? lastError : new CircuitOpenError(call.name, admission.retryAfterMs), 'circuit-open');
    }
    const started = markStarted();
    const outcome = await attempt(fn, run, scope, call.idempotencyKey, (error) => {
      // Refused: what the breaker would count as a failure, told by its status if it has one.
      const { throttle } = options;
      if (throttle) {
        const status = (error?.error as { response?: { status?: number } } | undefined)?.response?.status;
        const network = error !== undefined && !error.aborted && status === undefined;
        try {
          throttle.record(call.name, { status, network });
        } catch (failure) {
          reportOnce(throttle, 'throttle', failure);
        }
      }
      if (options.circuitBreaker && key !== undefined) {
        const verdict = !error ? 'success' : error.aborted ? 'neutral' : failureVerdict(error.error, options);
        report(options.circuitBreaker.record(key, verdict, admission.probe, admission.ticket));
      }
    });
    if ('value' in outcome) {
      if (state.attempt > 1) log(options.logger, 'info', successLine(subject, state, monotonicNow() - run.startedMono));
      return outcome.value;
    }
    const { error } = outcome;
    lastError = error;
    // Retry at one layer: what an inner layer of ours gave up on is final here too.
    const inner = storiesIn(error).find((story) => gaveUpInside(story, started));
    if (inner) {
      state.inner = inner;
      return fail(error, 'already-retried');
    }
    const next = await afterFailedAttempt(run, {
      error,
      config: undefined,
      canceled: outcome.aborted || abort.aborted,
      deadlineReached: outcome.deadline,
      bodyReplayable: true,
      subject,
      classify: () => isFailureRetryable(error, options),
    });
    if ('stop' in next) return fail(next.canceled ? (next.canceled.reason ?? abortError()) : error, next.stop);
  }
}

/**
 * One classification whatever the entry point: an axios error gets the interceptor's verdict
 * (statuses, network failures, methods and idempotency keys); anything else is retried unless
 * it is an abort.
 */
function isFailureRetryable(error: unknown, options: NormalizedRetryOptions): boolean {
  return isAxiosError(error) ? isRetryable(error, options) : !isAbortError(error);
}

function abortError(): Error {
  return Object.assign(new Error('aborted'), { name: 'AbortError' });
}
