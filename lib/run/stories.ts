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

/**
 * The stories found in `error` and in what it wraps: its `cause` chain and an AggregateError's
 * `errors` (a user's wrapper, `Promise.any` over calls), a bounded walk.
 */
export function storiesIn(error: unknown): RetryState[] {
  const found: RetryState[] = [];
  const queue: unknown[] = [error];
  for (let seen = 0; queue.length > 0 && seen < 32; seen++) {
    const next = queue.shift();
    if (typeof next !== 'object' || next === null) continue;
    const story = byError.get(next);
    if (story) found.push(story);
    const { cause, errors } = next as { cause?: unknown; errors?: unknown };
    if (cause !== undefined) queue.push(cause);
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return found;
}
