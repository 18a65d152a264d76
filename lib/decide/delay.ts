import type { NormalizedRetryOptions } from '../types.js';
import { shown } from './validate.js';

export interface DelayInput {
  /** The retry about to be made: 1 is the first retry. */
  attempt: number;
  /** The delay chosen before the previous retry, if any (decorrelated jitter grows from it). */
  previousDelay?: number | undefined;
}

export type DelayOptions = Pick<NormalizedRetryOptions, 'backoff' | 'baseDelay' | 'factor' | 'maxDelay' | 'jitter'>;

/**
 * The wait before retry number `attempt`, in whole ms, always finite and within 0..maxDelay.
 * Pure: randomness comes from `random` (a function returning [0, 1)).
 * Jitter formulas follow Brooker, "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015).
 * @category Helpers
 */
export function nextDelay(
  { attempt, previousDelay }: DelayInput,
  options: DelayOptions,
  random: () => number = Math.random,
): number {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new TypeError(`axios-rebound: nextDelay attempt must be an integer >= 1, got ${String(attempt)}`);
  }
  const { baseDelay, maxDelay } = options;
  const capped = Math.min(maxDelay, backoff(attempt, previousDelay, options));
  let delay: number;
  switch (options.jitter) {
    case 'none':
      delay = capped;
      break;
    case 'full':
      delay = random() * capped;
      break;
    case 'equal':
      delay = capped / 2 + (random() * capped) / 2;
      break;
    case 'decorrelated': {
      // min(cap, uniform(base, 3 * previous)); the first retry grows from baseDelay.
      const high = Math.max(baseDelay, 3 * (previousDelay ?? baseDelay));
      delay = baseDelay + random() * (high - baseDelay);
      break;
    }
  }
  return Math.min(maxDelay, Math.max(0, Math.round(delay)));
}

function backoff(attempt: number, previousDelay: number | undefined, options: DelayOptions): number {
  const { backoff: kind, baseDelay, factor } = options;
  if (typeof kind === 'function') {
    const value = kind(attempt, { previousDelay, baseDelay, factor, maxDelay: options.maxDelay });
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
      throw new TypeError(`axios-rebound: the backoff function must return a number >= 0, got ${shown(value)}`);
    }
    return value;
  }
  switch (kind) {
    case 'exponential':
      // factor ** big is Infinity, which the cap turns into maxDelay; but 0 · Infinity is NaN.
      return baseDelay === 0 ? 0 : baseDelay * factor ** (attempt - 1);
    case 'linear':
      return baseDelay * attempt;
    case 'constant':
      return baseDelay;
  }
}
