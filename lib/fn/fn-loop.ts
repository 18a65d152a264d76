import { isAxiosError } from 'axios';
import { monotonicNow } from '../clock.js';
import { failureVerdict, isAbortError, isRetryable, mayResend } from '../decide/classify.js';
import { decide } from '../decide/decision.js';
import { CircuitOpenError } from '../errors.js';
import { CallerAbort } from '../run/abort.js';
import { gaveUpInside, markStarted } from '../run/call-order.js';
import { admitAttempt, failureContext, reserveRetry, stopRetrying } from '../run/engine.js';
import type { Subject } from '../run/log.js';
import { log, retryLine, successLine } from '../run/log.js';
import type { InstanceScope } from '../run/scope.js';
import { rememberState, storiesIn } from '../run/stories.js';
import { sleep, within } from '../run/timers.js';
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
  const timeLeft = () =>
    options.deadline === undefined ? undefined : options.deadline - (monotonicNow() - run.startedMono);
  const fail = (error: unknown, reason: StopReason): Promise<never> =>
    stopRetrying(run, error, reason, { subject, config: undefined }, timeLeft());
  if (options.budget) options.budget.recordRequest();
  let lastError: unknown;
  for (;;) {
    // No time left: nothing is started.
    if (state.attempt && (timeLeft() ?? Infinity) <= 0) return fail(lastError, 'deadline');
    const admission = admitAttempt(options.circuitBreaker, key, report);
    if (!admission.allowed) {
      return fail(state.attempt ? lastError : new CircuitOpenError(call.name, admission.retryAfterMs), 'circuit-open');
    }
    const started = markStarted();
    const outcome = await attempt(fn, run, scope, call.idempotencyKey, (error) => {
      if (options.circuitBreaker && key !== undefined) {
        const verdict = !error ? 'success' : error.aborted ? 'neutral' : failureVerdict(error.error, options);
        report(options.circuitBreaker.record(key, verdict, admission.probe));
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
    const inner = storiesIn(error).find((story) => gaveUpInside(story, started));
    if (inner) {
      state.inner = inner;
      return fail(error, 'already-retried');
    }
    const canceled = outcome.aborted || abort.aborted;
    const exhausted = state.attempt > options.retries;
    let retryable: boolean;
    if (canceled) retryable = false;
    else if (!options.shouldRetry) retryable = isFailureRetryable(error, options);
    else if (isAxiosError(error) && !mayResend(error, options)) retryable = false;
    else if (exhausted) retryable = true;
    else {
      const { shouldRetry } = options;
      const ctx = failureContext(state, error, undefined);
      const verdict = await within(timeLeft(), abort, () => shouldRetry(ctx));
      if ('stopped' in verdict)
        return fail(verdict.stopped === 'aborted' ? abortReason(abort) : error, verdict.stopped);
      retryable = verdict.value === true;
    }
    const decision = decide(
      {
        attempt: state.attempt,
        canceled,
        deadlineReached: outcome.deadline,
        retryable,
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
    const { onRetry } = options;
    if (onRetry) {
      const ctx = Object.freeze({ ...failureContext(state, error, undefined), delayMs: decision.delayMs });
      const hooked = await within(timeLeft(), abort, () => onRetry(ctx));
      if ('stopped' in hooked) return fail(hooked.stopped === 'aborted' ? abortReason(abort) : error, hooked.stopped);
    }
    // The hook took its time: the wait must still end before the deadline.
    if ((timeLeft() ?? Infinity) <= decision.delayMs) return fail(error, 'deadline');
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

function abortError(): Error {
  return Object.assign(new Error('aborted'), { name: 'AbortError' });
}

/** What a call its caller aborted rejects with: the signal's reason. */
function abortReason(abort: CallerAbort): unknown {
  return abort.reason ?? abortError();
}
