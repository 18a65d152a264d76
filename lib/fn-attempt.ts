import { describeFailure, isAbortError } from './classify.js';
import type { AttemptInfo } from './retry-fn.js';
import type { InstanceScope } from './scope.js';
import { AttemptTimer, attemptLimit, timeoutMessage } from './timers.js';
import type { NormalizedRetryOptions, RetryState } from './types.js';

export type AttemptOutcome<T> = { value: T } | { error: unknown; aborted: boolean; deadline: boolean };

/** One attempt of `fn`, bounded by its timer; records it in `state.history`. */
export async function attempt<T>(
  fn: (info: AttemptInfo) => T | Promise<T>,
  state: RetryState,
  options: NormalizedRetryOptions,
  signal: AbortSignal | undefined,
  scope: InstanceScope,
): Promise<AttemptOutcome<T>> {
  state.attempt += 1;
  scope.attempts += 1;
  const started = Date.now();
  const limit = attemptLimit(options, state.startedAt, started);
  const timer = new AttemptTimer(limit?.ms, signal);
  let outcome: AttemptOutcome<T>;
  try {
    const value = await timer.race(() => fn(Object.freeze({ attempt: state.attempt, signal: timer.signal })));
    outcome = { value };
  } catch (caught) {
    const error =
      timer.expired && limit
        ? Object.assign(new Error(timeoutMessage(limit, options)), { name: 'TimeoutError', code: 'ETIMEDOUT' })
        : caught;
    outcome = {
      error,
      aborted: !timer.expired && (signal?.aborted === true || isAbortError(caught)),
      deadline: timer.expired && limit?.isDeadline === true,
    };
  } finally {
    timer.dispose();
  }
  const durationMs = Date.now() - started;
  state.history.push(
    'value' in outcome
      ? { attempt: state.attempt, durationMs }
      : { attempt: state.attempt, durationMs, ...describeFailure(outcome.error) },
  );
  return outcome;
}
