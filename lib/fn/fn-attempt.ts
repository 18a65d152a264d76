import { monotonicNow } from '../clock.js';
import { describeFailure, isAbortError } from '../decide/classify.js';
import type { CallerAbort } from '../run/abort.js';
import type { InstanceScope } from '../run/scope.js';
import { AttemptTimer, attemptLimit, race, timeoutMessage } from '../run/timers.js';
import type { AttemptInfo, NormalizedRetryOptions, RetryState } from '../types.js';

/** One call of `retry(fn)`: its options, its story, when it started, and the caller's signal. */
export interface FnRun {
  readonly options: NormalizedRetryOptions;
  readonly state: RetryState;
  /** Moved back by a wait that test mode skips (see test-mode.ts). */
  startedMono: number;
  readonly abort: CallerAbort;
}

export type AttemptOutcome<T> = { value: T } | { error: unknown; aborted: boolean; deadline: boolean };

/**
 * One attempt of `fn`, bounded by its timer, and its one owner: whatever happens, its `finally`
 * clears the timer, counts and records the attempt, and tells the breaker how it ended
 * (`ended`: `undefined` for a success), so a half-open circuit's probe slot is always returned.
 */
export async function attempt<T>(
  fn: (info: AttemptInfo) => T | Promise<T>,
  run: FnRun,
  scope: InstanceScope,
  idempotencyKey: string | undefined,
  ended: (failure: { error: unknown; aborted: boolean } | undefined) => void,
): Promise<AttemptOutcome<T>> {
  const { options, state, abort } = run;
  state.attempt += 1;
  if (state.attempt > 1) scope.retries += 1;
  const started = monotonicNow();
  const limit = attemptLimit(options, run.startedMono, started);
  const timer = new AttemptTimer(limit?.ms, abort);
  let outcome: AttemptOutcome<T> = { error: undefined, aborted: false, deadline: false };
  try {
    const info: AttemptInfo = { attempt: state.attempt, signal: timer.signal };
    const value = await race(timer.signal, () =>
      fn(Object.freeze(idempotencyKey === undefined ? info : { ...info, idempotencyKey })),
    );
    outcome = { value };
  } catch (caught) {
    const error =
      timer.expired && limit
        ? Object.assign(new Error(timeoutMessage(limit, options)), { name: 'TimeoutError', code: 'ETIMEDOUT' })
        : caught;
    outcome = {
      error,
      aborted: !timer.expired && (abort.aborted || isAbortError(caught)),
      deadline: timer.expired && limit?.isDeadline === true,
    };
  } finally {
    timer.dispose();
    scope.attempts += 1;
    const durationMs = Math.round(monotonicNow() - started);
    state.history.push(
      'value' in outcome
        ? { attempt: state.attempt, durationMs }
        : { attempt: state.attempt, durationMs, ...describeFailure(outcome.error) },
    );
    ended('value' in outcome ? undefined : outcome);
  }
  return outcome;
}
