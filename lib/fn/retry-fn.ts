import { normalizeOptions, OPTION_NAMES } from '../decide/options.js';
import { newIdempotencyKey } from '../decide/replay-safety.js';
import type { Check } from '../decide/validate.js';
import { checkAll, fail, optional, rejectUnknown } from '../decide/validate.js';
import { budgetFor, sharedBreaker, sharedThrottle } from '../protect/shared.js';
import { InstanceScope } from '../run/scope.js';
import type { AttemptInfo, RetryOptions, RetryStats, ValidatedRetryOptions } from '../types.js';
import { runWithRetry } from './fn-loop.js';

/** Options of a call, beside its policy. */
export const CALL_CHECKS: Record<string, Check> = {
  name: (v) => (typeof v === 'string' && v !== '' ? undefined : 'a non-empty string'),
  signal: optional((v) => (typeof (v as AbortSignal).addEventListener === 'function' ? undefined : 'an AbortSignal')),
};

/** @category Beyond one axios call */
export interface RetryFnOptions extends Partial<RetryOptions> {
  /** Cancels the call, its attempt and any wait. */
  signal?: AbortSignal | undefined;
  /**
   * Names the call in log lines. Calls of one name share what `budget: true` and
   * `circuitBreaker: true` stand for: one budget per name in the process, and one circuit.
   * @default 'retry' (`withRetry`: the function's name, or `withRetry#n` for an anonymous one)
   */
  name?: string | undefined;
}

/**
 * Runs `fn` under the same policy as the interceptor (backoff, jitter, retries, deadline,
 * attemptTimeout through the signal, budget, breaker, hooks, logger) and returns its value, or
 * rejects with its last error, whose story `getRetryState(error)` tells. An axios error gets
 * the interceptor's verdict; any other error but an abort is retried; `shouldRetry` decides
 * otherwise. An error an inner layer of axios-rebound gave up on is final (`'already-retried'`).
 * @category Beyond one axios call
 */
export function retry<T>(fn: (info: AttemptInfo) => T | Promise<T>, options: RetryFnOptions = {}): Promise<T> {
  const { signal, name = 'retry', ...policy } = options;
  const scope = new InstanceScope(fnPolicy(policy, name, signal));
  const key = scope.options.idempotencyKey;
  let idempotencyKey: string | undefined;
  try {
    idempotencyKey = key ? newIdempotencyKey(key) : undefined;
  } catch (error) {
    // The user's generator failed: the call rejects, as every failure of a call does.
    return Promise.reject(error);
  }
  return runWithRetry(fn, scope, scope.options, { signal, name, idempotencyKey });
}

let anonymous = 0;

/**
 * The function's name, or one of its own for an anonymous function: wrappers of different
 * functions must not share a budget or a circuit because neither was named.
 */
function defaultName(fn: { readonly name: string }): string {
  if (fn.name) return fn.name;
  anonymous += 1;
  return `withRetry#${anonymous}`;
}

/**
 * `fn` wrapped in `retry`: a function with the same signature, each call a `retry` of its own.
 * `.stats()` counts its calls. No `idempotencyKey`: the wrapped function keeps its signature,
 * so it could not be handed one (use `retry` for that).
 * @category Beyond one axios call
 */
export function withRetry<A extends unknown[], T>(
  fn: (...args: A) => T | Promise<T>,
  options: Omit<RetryFnOptions, 'idempotencyKey'> = {},
): ((...args: A) => Promise<T>) & { stats(): RetryStats } {
  if ('idempotencyKey' in options) {
    fail(
      'option',
      'idempotencyKey',
      'left out under withRetry (the wrapped function cannot receive a key; use retry)',
      options.idempotencyKey,
    );
  }
  const { signal, name = defaultName(fn), ...policy } = options;
  const scope = new InstanceScope(fnPolicy(policy, name, signal));
  const call = (...args: A) =>
    runWithRetry(() => fn(...args), scope, scope.options, { signal, name, idempotencyKey: undefined });
  return Object.assign(call, { stats: () => scope.stats() });
}

/**
 * The policy of a function's calls: validated, with `budget: true` and `circuitBreaker: true`
 * standing for the protections shared by calls of the same name (see shared.ts), and no
 * cooldown (a cooldown is per origin: the interceptor's).
 */
function fnPolicy(policy: Partial<RetryOptions>, name: string, signal: unknown): ValidatedRetryOptions {
  rejectUnknown('option', policy, [...OPTION_NAMES, ...Object.keys(CALL_CHECKS)]);
  checkAll('option', { name, signal }, CALL_CHECKS);
  const options = normalizeOptions(policy);
  return Object.freeze({
    ...options,
    cooldown: false,
    budget: options.budget === true ? budgetFor(name) : options.budget,
    circuitBreaker: options.circuitBreaker === true ? sharedBreaker() : options.circuitBreaker,
    throttle: options.throttle === true ? sharedThrottle() : options.throttle,
  });
}
