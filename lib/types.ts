import type { AxiosError, InternalAxiosRequestConfig } from 'axios';

export type CircuitState = 'closed' | 'open' | 'half-open';

/** A circuit's change of state, as `onCircuitStateChange` is told it. */
export interface CircuitTransition {
  readonly key: string;
  readonly from: CircuitState;
  readonly to: CircuitState;
}

/** How an attempt ended, for the breaker: only failures the policy would retry count. */
export type AttemptVerdict = 'success' | 'failure' | 'neutral';

/** A breaker's answer to "may an attempt go now?". */
export type Admission =
  | { readonly allowed: true; readonly probe: boolean; readonly transition?: CircuitTransition }
  | { readonly allowed: false; readonly retryAfterMs: number; readonly transition?: CircuitTransition };

/** One circuit, as `stats()` shows it. */
export interface CircuitSnapshot {
  state: CircuitState;
  consecutiveFailures: number;
  /** Wall-clock ms when an open circuit lets a probe through. */
  openUntil?: number;
}

/** A budget, as `stats()` shows it. */
export interface BudgetSnapshot {
  available: number;
  window: { ms: number; firstAttempts: number; retries: number };
}

/** What a policy uses of a retry budget: `RetryBudget` is one. */
export interface RetryBudgetLike {
  readonly options: { readonly ratio: number; readonly minRetriesPerSecond: number; readonly windowMs: number };
  recordRequest(): void;
  tryRetry(): boolean;
  shouldWarnOfRefusal(): boolean;
  snapshot(): BudgetSnapshot;
}

/** What a policy uses of a circuit breaker: `CircuitBreaker` is one. */
export interface CircuitBreakerLike {
  keyOf(config: InternalAxiosRequestConfig): string;
  acquire(key: string): Admission;
  record(key: string, verdict: AttemptVerdict, probe: boolean): CircuitTransition | undefined;
  snapshot(): Record<string, CircuitSnapshot>;
}

/**
 * Why a request stopped being retried. Recorded as `RetryState.stopReason`.
 * @category Inspect
 */
export type StopReason =
  | 'not-retryable'
  | 'retries-exhausted'
  | 'deadline'
  | 'retry-after-too-long'
  | 'aborted'
  | 'body-not-replayable'
  | 'budget'
  | 'circuit-open'
  /** Under `retry`, `withRetry` or `retryBatch`: an inner layer of axios-rebound (the interceptor, an inner `retry`) had already given up on this error. */
  | 'already-retried'
  /** A hook of the call's (`shouldRetry`, `onRetry`, a backoff function) threw: the call rejects with its error. */
  | 'hook-error';

export type BackoffName = 'exponential' | 'linear' | 'constant';
export type JitterName = 'full' | 'equal' | 'decorrelated' | 'none';

/** What a custom backoff function is told besides the attempt number. */
export interface BackoffContext {
  /** The delay chosen before the previous retry, if there was one. */
  readonly previousDelay: number | undefined;
  readonly baseDelay: number;
  readonly factor: number;
  readonly maxDelay: number;
}
export type BackoffFunction = (attempt: number, ctx: BackoffContext) => number;

/** A status code, or an inclusive `[from, to]` range of them. */
export type StatusCodeRule = number | readonly [number, number];

export interface IdempotencyKeyOptions {
  /** @default 'Idempotency-Key' */
  header: string;
  /** Methods that get a key. @default ['POST', 'PATCH'] */
  methods: readonly string[];
  /** @default globalThis.crypto.randomUUID */
  generate: () => string;
}

/** A console-like sink. Any method may be missing. */
export interface Logger {
  info?: (message: string) => void;
  warn?: (message: string) => void;
  error?: (message: string) => void;
}

/**
 * One attempt of a request, as recorded in `RetryState.history`. Plain data.
 * @category Inspect
 */
export interface AttemptRecord {
  attempt: number;
  status?: number;
  code?: string;
  durationMs: number;
  /** The wait chosen before the next attempt, when one was scheduled. */
  delayMs?: number;
}

/**
 * The story of one logical request. Plain data: `JSON.stringify` works on it.
 * @category Inspect
 */
export interface RetryState {
  /** The current (or last) attempt; 1 is the first request. */
  attempt: number;
  /** Retries allowed for this request. */
  retries: number;
  /** Wall-clock time (`Date.now()`) when the first attempt started, for people to read. */
  startedAt: number;
  idempotencyKey?: string;
  stopReason?: StopReason;
  history: AttemptRecord[];
  /** With `stopReason: 'already-retried'`: the story of the inner layer that gave up first. */
  inner?: RetryState;
}

/**
 * What the function run by `retry`, `withRetry` or `retryBatch` is told about its attempt. Frozen.
 * @category Beyond one axios call
 */
export interface AttemptInfo {
  /** 1 is the first attempt. */
  readonly attempt: number;
  /** Aborts when the caller aborts, or when `attemptTimeout` or the `deadline` runs out. */
  readonly signal: AbortSignal;
  /**
   * With `idempotencyKey` on: the same key on every attempt of the call (under `retryBatch`,
   * derived from the batch's `name` and the item's key, so a re-run sends the same keys).
   * Send it with the request, e.g. as the `Idempotency-Key` header.
   */
  readonly idempotencyKey?: string;
}

/** Given to `shouldRetry`: the attempt that just failed. Frozen. */
export interface FailureContext {
  readonly attempt: number;
  readonly error: AxiosError | Error;
  /** The request's config; `undefined` under `retry(fn)`. */
  readonly config: InternalAxiosRequestConfig | undefined;
  readonly state: Readonly<RetryState>;
}

/** Given to `onRetry`: the attempt that failed and the wait before the next one. Frozen. */
export interface RetryEventContext extends FailureContext {
  readonly delayMs: number;
}

/** Given to `onGiveUp`: the last attempt and why no other follows. Frozen. */
export interface GiveUpContext extends FailureContext {
  readonly stopReason: StopReason;
}

/** The options as written by a user: every field may be left out. */
export interface RetryOptions {
  /** Retries after the first attempt. @default 3 */
  retries: number;
  /** @default 'exponential' */
  backoff: BackoffName | BackoffFunction;
  /** @default 200 */
  baseDelay: number;
  /** Growth per retry of exponential backoff. @default 2 */
  factor: number;
  /** Cap on any backoff delay, applied before jitter. @default 30_000 */
  maxDelay: number;
  /** @default 'full' */
  jitter: JitterName;
  /** @default [408, 429, 500, 502, 503, 504] */
  statusCodes: readonly StatusCodeRule[];
  /** Methods retried without an idempotency key. @default ['GET','HEAD','OPTIONS','PUT','DELETE','TRACE'] */
  methods: readonly string[];
  /** Retry when no response arrived (reset, refused, timeout...). @default true */
  retryOnNetworkError: boolean;
  /** Timeout of each attempt, in ms. @default undefined (none) */
  attemptTimeout: number | undefined;
  /** Time budget of the whole call from the first attempt, in ms. @default undefined (none) */
  deadline: number | undefined;
  /** @default true */
  respectRetryAfter: boolean;
  /** A longer Retry-After gives up at once. @default 60_000 */
  maxRetryAfter: number;
  /** @default false */
  idempotencyKey: boolean | Partial<IdempotencyKeyOptions>;
  /** Replaces the built-in classification. @default undefined */
  shouldRetry: ((ctx: FailureContext) => boolean | Promise<boolean>) | undefined;
  /** Awaited before each retry's wait. @default undefined */
  onRetry: ((ctx: RetryEventContext) => void | Promise<void>) | undefined;
  /** Awaited before the final error is thrown. @default undefined */
  onGiveUp: ((ctx: GiveUpContext) => void | Promise<void>) | undefined;
  /**
   * Where retries, give-ups and circuit changes are logged (see README, Logging). A logger that
   * throws changes no outcome: its first failure is reported through `process.emitWarning`.
   * @default undefined (silent)
   */
  logger: Logger | undefined;
  /**
   * Caps retries at a share of first attempts. `true`: one budget per attached instance;
   * a `RetryBudget`: that one, shared with whoever else has it; `false`: no cap.
   * @default true
   */
  budget: RetryBudgetLike | boolean;
  /**
   * Fails fast while a service is down. `true`: one breaker with the defaults per attached
   * instance; a `CircuitBreaker`: that one, shared with whoever else has it.
   * @default false
   */
  circuitBreaker: CircuitBreakerLike | boolean;
  /**
   * Called on every circuit state change this instance's requests cause. An observer: what it
   * throws is reported once (`process.emitWarning`) and changes nothing. @default undefined
   */
  onCircuitStateChange: ((change: CircuitTransition) => void) | undefined;
}

/** The options after defaults and validation: complete and frozen (`DEFAULTS` has this type). */
export interface ValidatedRetryOptions extends Readonly<Omit<RetryOptions, 'idempotencyKey'>> {
  readonly idempotencyKey: false | Readonly<IdempotencyKeyOptions>;
}

/**
 * The options a request runs under (`handle.options`): validated, and with `budget: true`
 * and `circuitBreaker: true` resolved to the attached instance's own budget and breaker.
 */
export interface NormalizedRetryOptions extends Omit<ValidatedRetryOptions, 'budget' | 'circuitBreaker'> {
  readonly budget: RetryBudgetLike | false;
  readonly circuitBreaker: CircuitBreakerLike | false;
}

/**
 * A snapshot of what one attached instance has done: `handle.stats()`. Plain data.
 * @category Inspect
 */
export interface RetryStats {
  /** Logical requests that have ended, `successes + failures` (not counting `retry: false`). */
  requests: number;
  /** Attempts that have ended: first attempts plus retries. */
  attempts: number;
  retries: number;
  /** Requests that ended with a response. */
  successes: number;
  /** Requests that ended with an error. */
  failures: number;
  /** Failures by the reason retrying stopped. */
  giveUps: Partial<Record<StopReason, number>>;
  /** The instance's retry budget, when it has one. */
  budget?: BudgetSnapshot;
  /** The instance's circuits by key, when it has a breaker. */
  circuits: Record<string, CircuitSnapshot>;
}

declare module 'axios' {
  interface AxiosRequestConfig {
    /** axios-rebound's policy for this request, merged over the instance's; `false` never retries it. */
    retry?: Partial<RetryOptions> | false;
  }
}
