import { isAxiosError, isCancel } from 'axios';
import type { AttemptInfo } from './retry-fn.js';
import type { InstanceScope } from './scope.js';
import { AttemptTimer } from './timers.js';
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
  const { attemptTimeout, deadline } = options;
  const remaining = deadline === undefined ? Infinity : state.startedAt + deadline - started;
  const limit = Math.min(attemptTimeout ?? Infinity, remaining);
  const timer = new AttemptTimer(limit === Infinity ? undefined : Math.max(0, limit), signal);
  const limitIsDeadline = remaining <= (attemptTimeout ?? Infinity);
  let outcome: AttemptOutcome<T>;
  try {
    const value = await timer.race(() => fn(Object.freeze({ attempt: state.attempt, signal: timer.signal })));
    outcome = { value };
  } catch (caught) {
    const error = timer.expired
      ? Object.assign(
          new Error(
            `${limitIsDeadline ? `deadline of ${deadline}` : `attempt timeout of ${attemptTimeout}`}ms exceeded`,
          ),
          {
            name: 'TimeoutError',
            code: 'ETIMEDOUT',
          },
        )
      : caught;
    outcome = {
      error,
      aborted: !timer.expired && (signal?.aborted === true || isAbort(caught)),
      deadline: timer.expired && limitIsDeadline,
    };
  } finally {
    timer.dispose();
  }
  const durationMs = Date.now() - started;
  state.history.push(
    'value' in outcome
      ? { attempt: state.attempt, durationMs }
      : { attempt: state.attempt, durationMs, ...codeOf(outcome.error) },
  );
  return outcome;
}

function codeOf(error: unknown): { status?: number; code?: string } {
  if (isAxiosError(error)) {
    const status = error.response?.status;
    return { ...(status === undefined ? {} : { status }), ...(error.code === undefined ? {} : { code: error.code }) };
  }
  if (typeof error === 'object' && error !== null) {
    const { code, name } = error as { code?: unknown; name?: unknown };
    if (typeof code === 'string') return { code };
    if (typeof name === 'string') return { code: name };
  }
  return {};
}

const isAbort = (error: unknown) => isCancel(error) || (error instanceof Error && error.name === 'AbortError');
