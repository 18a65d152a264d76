import { isAxiosError } from 'axios';
import { CallerAbort } from './abort.js';
import type { AttemptVerdict } from './breaker.js';
import { isAbortError, isRetryable, isTransientFailure } from './classify.js';
import { monotonicNow } from './clock.js';
import { decide } from './decision.js';
import { admitAttempt, failureContext, reserveRetry, stopRetrying } from './engine.js';
import { CircuitOpenError } from './errors.js';
import type { FnRun } from './fn-attempt.js';
import { attempt } from './fn-attempt.js';
import type { Subject } from './log.js';
import { log, retryLine, successLine } from './log.js';
import type { InstanceScope } from './scope.js';
import { sleep } from './timers.js';
import { innerGiveUp, rememberState } from './tracking.js';
import type { AttemptInfo, NormalizedRetryOptions, RetryState, StopReason } from './types.js';

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
  const run: FnRun = { options, state, startedMono: monotonicNow(), abort: new CallerAbort(call.signal, undefined) };
  let result: 'success' | StopReason = 'hook-error';
  try {
    const value = await attemptUntilDone(fn, scope, run, call);
    result = 'success';
    return value;
  } catch (error) {
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
    stopRetrying(run, error, reason, { subject, config: undefined });
  if (options.budget) options.budget.recordRequest();
  let lastError: unknown;
  for (;;) {
    const admission = admitAttempt(options.circuitBreaker, key, report);
    if (!admission.allowed) {
      return fail(state.attempt ? lastError : new CircuitOpenError(call.name, admission.retryAfterMs), 'circuit-open');
    }
    const started = monotonicNow();
    const outcome = await attempt(fn, run, scope, call.idempotencyKey, (error) => {
      if (options.circuitBreaker && key !== undefined) {
        report(options.circuitBreaker.record(key, verdictOf(error, options), admission.probe));
      }
    });
    const record = state.history[state.history.length - 1];
    if ('value' in outcome) {
      if (state.attempt > 1) log(options.logger, 'info', successLine(subject, state, monotonicNow() - run.startedMono));
      return outcome.value;
    }
    const { error } = outcome;
    lastError = error;
    // Retry at one layer: what an inner layer of ours gave up on is final here too.
    const inner = innerGiveUp(error, started);
    if (inner) {
      state.inner = inner;
      return fail(error, 'already-retried');
    }
    const canceled = outcome.aborted || abort.aborted;
    const exhausted = state.attempt > options.retries;
    const retryable =
      !canceled &&
      (options.shouldRetry
        ? exhausted || (await options.shouldRetry(failureContext(state, error, undefined)))
        : isFailureRetryable(error, options));
    const decision = decide(
      {
        attempt: state.attempt,
        canceled,
        deadlineReached: outcome.deadline,
        retryable: retryable === true,
        bodyReplayable: true,
        retryAfter: isAxiosError(error) ? error.response?.headers['retry-after'] : undefined,
        previousDelay: state.history[state.history.length - 2]?.delayMs,
        elapsedMs: monotonicNow() - run.startedMono,
        wallNow: Date.now(),
      },
      options,
    );
    if (!decision.retry) return fail(error, decision.reason);
    if (!reserveRetry(options)) return fail(error, 'budget');
    if (record) record.delayMs = decision.delayMs;
    log(options.logger, 'warn', retryLine(subject, state, decision.delayMs));
    await options.onRetry?.(Object.freeze({ ...failureContext(state, error, undefined), delayMs: decision.delayMs }));
    try {
      await sleep(decision.delayMs, abort, (reason) => reason ?? abortError());
    } catch (aborted) {
      return fail(aborted, 'aborted');
    }
    scope.retries += 1;
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

/** What the breaker makes of an attempt's failure (`undefined`: it succeeded). */
function verdictOf(
  error: { error: unknown; aborted: boolean } | undefined,
  options: NormalizedRetryOptions,
): AttemptVerdict {
  if (!error) return 'success';
  if (error.aborted) return 'neutral';
  return !isAxiosError(error.error) || isTransientFailure(error.error, options) ? 'failure' : 'neutral';
}

function abortError(): Error {
  return Object.assign(new Error('aborted'), { name: 'AbortError' });
}
