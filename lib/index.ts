export type { RetryHandle } from './attach.js';
export { attachRetry } from './attach.js';
export type { BatchOptions, BatchReport } from './batch.js';
export { retryBatch } from './batch.js';
export type { Admission, AttemptVerdict, CircuitBreakerOptions, CircuitState, CircuitTransition } from './breaker.js';
export { CircuitBreaker } from './breaker.js';
export type { RetryBudgetOptions } from './budget.js';
export { RetryBudget } from './budget.js';
export type { ClassifyOptions } from './classify.js';
export { isRetryable } from './classify.js';
export type { DelayInput, DelayOptions } from './delay.js';
export { nextDelay } from './delay.js';
export { CircuitOpenError } from './errors.js';
export type { PlannedAttempt, PolicyExplanation } from './explain.js';
export { explainPolicy } from './explain.js';
export { DEFAULTS } from './options.js';
export { parseRetryAfter } from './retry-after.js';
export type { RetryFnOptions } from './retry-fn.js';
export { retry, withRetry } from './retry-fn.js';
export { getRetryState } from './tracking.js';
export type {
  AttemptInfo,
  AttemptRecord,
  BackoffContext,
  BackoffFunction,
  BackoffName,
  FailureContext,
  GiveUpContext,
  IdempotencyKeyOptions,
  JitterName,
  Logger,
  NormalizedRetryOptions,
  RetryEventContext,
  RetryOptions,
  RetryState,
  RetryStats,
  StatusCodeRule,
  StopReason,
  ValidatedRetryOptions,
} from './types.js';
