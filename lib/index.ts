/**
 * Retries for axios that survive real failures: attach {@link attachRetry} to the axios
 * instance you already have, and transient failures are retried with exponential backoff and
 * jitter, `Retry-After` honoured, a timeout per attempt and a deadline per call, POSTs only
 * with an idempotency key, under a retry budget and, if you want one, a circuit breaker.
 * {@link retry}, {@link withRetry} and {@link retryBatch} bring the same policy to any async
 * function; {@link getRetryState} tells what happened to a call. Start with `attachRetry`,
 * its options in {@link RetryOptions}, and the README.
 *
 * @packageDocumentation
 */
export type { RetryHandle } from './axios/attach.js';
export { attachRetry } from './axios/attach.js';
export { getRetryState } from './axios/tracking.js';
export type { ClassifyOptions } from './decide/classify.js';
export { isRetryable } from './decide/classify.js';
export type { DelayInput, DelayOptions } from './decide/delay.js';
export { nextDelay } from './decide/delay.js';
export type { PlannedAttempt, PolicyExplanation } from './decide/explain.js';
export { explainPolicy } from './decide/explain.js';
export { DEFAULTS } from './decide/options.js';
export { parseRetryAfter } from './decide/retry-after.js';
export { CircuitOpenError, RateLimitedError, ThrottledError } from './errors.js';
export type { BatchOptions, BatchReport } from './fn/batch.js';
export { retryBatch } from './fn/batch.js';
export type { RetryFnOptions } from './fn/retry-fn.js';
export { retry, withRetry } from './fn/retry-fn.js';
export type {
  Admission,
  AttemptVerdict,
  CircuitBreakerOptions,
  CircuitState,
  CircuitTransition,
  SavedBreakerState,
  SavedCircuit,
} from './protect/breaker.js';
export { CircuitBreaker } from './protect/breaker.js';
export type { RetryBudgetOptions } from './protect/budget.js';
export { RetryBudget } from './protect/budget.js';
export type { CooldownOptions } from './protect/cooldown.js';
export { Cooldown } from './protect/cooldown.js';
export type { AdaptiveThrottleOptions } from './protect/throttle.js';
export { AdaptiveThrottle } from './protect/throttle.js';
export type {
  AdaptiveThrottleLike,
  AttemptInfo,
  AttemptRecord,
  BackoffContext,
  BackoffFunction,
  BackoffName,
  BudgetSnapshot,
  CircuitBreakerLike,
  CircuitSnapshot,
  CooldownAsk,
  CooldownLike,
  CooldownSnapshot,
  CooldownWait,
  FailureContext,
  GiveUpContext,
  HedgeOptions,
  IdempotencyKeyOptions,
  JitterName,
  Logger,
  NormalizedRetryOptions,
  ResetFormat,
  ResetHeader,
  RetryBudgetLike,
  RetryEventContext,
  RetryOptions,
  RetryState,
  RetryStats,
  StatusCodeRule,
  StopReason,
  ThrottleAdmission,
  ThrottleOutcome,
  ThrottleSnapshot,
  ValidatedRetryOptions,
} from './types.js';
