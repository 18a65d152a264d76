import type { RetryState } from '../types.js';

/**
 * Calls numbered in the order they start: an inner layer's call (the interceptor's, an inner
 * `retry`'s) starts during the outer layer's attempt, so after it. A count, not a clock: two
 * readings of a clock can be equal (fake timers, a browser's coarse clock).
 */
let calls = 0;
const startedAs = new WeakMap<RetryState, number>();

/** Numbers the call whose story is `state` (or an attempt) as the latest to start. */
export function markStarted(state?: RetryState): number {
  calls += 1;
  if (state) startedAs.set(state, calls);
  return calls;
}

/**
 * `state` is the story of a call that stopped and that started after the attempt numbered
 * `attempt`: an inner layer that gave up. (Another call that started during the attempt and
 * gave up on the very same error object, a rejected promise shared between calls, reads as
 * inner too.)
 */
export function gaveUpInside(state: RetryState, attempt: number): boolean {
  return state.stopReason !== undefined && (startedAs.get(state) ?? 0) > attempt;
}
