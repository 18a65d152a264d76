import type { RetryState } from '../types.js';

/**
 * The stories of calls that ended with an error, by the error: what `getRetryState(error)`
 * reads first (a `retry(fn)`'s error carries no config), and how an outer layer learns that an
 * inner layer of ours gave up on the error it holds.
 */
const byError = new WeakMap<object, RetryState>();

export function rememberState(error: unknown, state: RetryState): void {
  if (typeof error === 'object' && error !== null) byError.set(error, state);
}

export function storyOf(error: unknown): RetryState | undefined {
  return typeof error === 'object' && error !== null ? byError.get(error) : undefined;
}
