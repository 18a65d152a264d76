import { isAxiosError } from 'axios';
import { CallerAbort } from './abort.js';
import { monotonicNow } from './clock.js';
import { decide } from './decision.js';
import { admitAttempt, failureContext, reserveRetry, stopRetrying } from './engine.js';
import { CircuitOpenError } from './errors.js';
import type { FnRun } from './fn-attempt.js';
import { attempt } from './fn-attempt.js';
import type { Subject } from './log.js';
import { log, retryLine, successLine } from './log.js';
import { normalizeOptions } from './options.js';
import { InstanceScope } from './scope.js';
import { sleep } from './timers.js';
import { rememberState } from './tracking.js';
import type { NormalizedRetryOptions, RetryOptions, RetryState, RetryStats, StopReason } from './types.js';

/** What `fn` is told about its attempt. */
export interface AttemptInfo {
  /** 1 is the first attempt. */
  readonly attempt: number;
  /** Aborts when the caller aborts, or when `attemptTimeout` or the `deadline` runs out. */
  readonly signal: AbortSignal;
}

export interface RetryFnOptions extends Partial<RetryOptions> {
  /** Cancels the call, its attempt and any wait. */
  signal?: AbortSignal | undefined;
  /** Names the call in log lines; also its circuit's key. @default 'retry' */
  name?: string | undefined;
}

/**
 * Runs `fn` under the same policy as the interceptor (backoff, jitter, retries, deadline,
 * attemptTimeout through the signal, budget, breaker, hooks, logger) and returns its value, or
 * rejects with its last error, whose story `getRetryState(error)` tells. By default every
 * failure but an abort is retried; pass `shouldRetry` to choose.
 */
export function retry<T>(fn: (info: AttemptInfo) => T | Promise<T>, options: RetryFnOptions = {}): Promise<T> {
  const { signal, name, ...policy } = options;
  const scope = new InstanceScope(normalizeOptions(policy));
  return runWithRetry(fn, scope, scope.options, { signal, name: name ?? 'retry' });
}

/**
 * `fn` wrapped in `retry`: a function with the same signature. Its calls share one budget and
 * one breaker (when `budget` or `circuitBreaker` is `true`), and `.stats()` counts them.
 */
export function withRetry<A extends unknown[], T>(
  fn: (...args: A) => T | Promise<T>,
  options: RetryFnOptions = {},
): ((...args: A) => Promise<T>) & { stats(): RetryStats } {
  const { signal, name, ...policy } = options;
  const scope = new InstanceScope(normalizeOptions(policy));
  const label = name ?? (fn.name || 'withRetry');
  return Object.assign((...args: A) => runWithRetry(() => fn(...args), scope, scope.options, { signal, name: label }), {
    stats: () => scope.stats(),
  });
}

/** The engine of `retry`, `withRetry` and `retryBatch`: one attempt loop over the shared steps. */
export async function runWithRetry<T>(
  fn: (info: AttemptInfo) => T | Promise<T>,
  scope: InstanceScope,
  options: NormalizedRetryOptions,
  call: { signal: AbortSignal | undefined; name: string },
): Promise<T> {
  const state: RetryState = { attempt: 0, retries: options.retries, startedAt: Date.now(), history: [] };
  const run = { options, state, startedMono: monotonicNow(), abort: new CallerAbort(call.signal, undefined) };
  let result: 'success' | StopReason = 'hook-error';
  try {
    const value = await attemptUntilDone(fn, scope, run, call.name);
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
  name: string,
): Promise<T> {
  const { options, state, abort } = run;
  const subject: Subject = { name, tags: [] };
  const key = options.circuitBreaker ? name : undefined;
  const report = (t: Parameters<InstanceScope['report']>[0]) => scope.report(t, options);
  const fail = (error: unknown, reason: StopReason): Promise<never> =>
    stopRetrying(run, error, reason, { subject, config: undefined });
  if (options.budget) options.budget.recordRequest();
  let lastError: unknown;
  for (;;) {
    const admission = admitAttempt(options.circuitBreaker, key, report);
    if (!admission.allowed) {
      return fail(state.attempt ? lastError : new CircuitOpenError(name, admission.retryAfterMs), 'circuit-open');
    }
    const outcome = await attempt(fn, run, scope, (verdict) => {
      if (options.circuitBreaker && key !== undefined) {
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
    const canceled = outcome.aborted || abort.aborted;
    const exhausted = state.attempt > options.retries;
    const retryable =
      !canceled &&
      (options.shouldRetry ? exhausted || (await options.shouldRetry(failureContext(state, error, undefined))) : true);
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

function abortError(): Error {
  return Object.assign(new Error('aborted'), { name: 'AbortError' });
}
