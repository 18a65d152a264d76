import type { AxiosError, InternalAxiosRequestConfig } from 'axios';

/** `isolated`: opened by hand (`breaker.isolate`), until `breaker.reset`. */
export type CircuitState = 'closed' | 'open' | 'half-open' | 'isolated';

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
  | {
      readonly allowed: true;
      readonly probe: boolean;
      /**
       * A probe's half-open cycle. Give it back to `record`: a probe of a cycle that is over
       * (`reset`, `isolate`, or another probe's failure came between) then moves nothing.
       */
      readonly ticket?: number;
      readonly transition?: CircuitTransition;
    }
  | {
      readonly allowed: false;
      /** Time until a probe may go: `Infinity` while the circuit is isolated. */
      readonly retryAfterMs: number;
      readonly transition?: CircuitTransition;
    };

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

/** How a declared reset header gives its time. */
export type ResetFormat = 'delta-seconds' | 'unix-seconds' | 'unix-ms' | 'http-date' | 'auto';

/** A reset header and how to read it (option `resetHeaders`). */
export interface ResetHeader {
  /** The header's name (any case). */
  readonly header: string;
  /**
   * `'auto'`: a number at or above the Unix time of 2024-01-01 is an epoch in seconds, a
   * smaller one is seconds from now, anything else an HTTP-date (as ky reads them).
   */
  readonly format: ResetFormat;
}

/** A cooldown, as `stats()` shows it. */
export interface CooldownSnapshot {
  /** The ms left of each origin (each key) cooling down or paced now: when a request to it would go at once. */
  origins: Record<string, number>;
  /** Requests that waited for a cooldown before they were sent. */
  waited: number;
  /** Requests that failed fast with `ERR_RATE_LIMITED`: the wait did not fit their deadline or `maxRetryAfter`. */
  failedFast: number;
}

/** How long a request must wait for a cooldown. */
export interface CooldownWait {
  /** What the server asked for: the rest of the cooldown, or the request's slot when paced. */
  readonly leftMs: number;
  /** That plus the spread: how long the request waits. */
  readonly waitMs: number;
  /** When the request is due, on the cooldown's clock: it asks again with it after the wait. */
  readonly due: number;
}

/** What a request tells a cooldown when it asks how long to wait. */
export interface CooldownAsk {
  /** It waited already, and was due then (on the cooldown's clock): it goes unless the cooldown was lengthened past it. */
  readonly due?: number | undefined;
  /** The longest it can wait: a paced slot further away is not taken (the request fails fast). */
  readonly limitMs?: number | undefined;
  /** For the spread after a cooldown without a rate. @default Math.random */
  readonly random?: (() => number) | undefined;
}

/** What a policy uses of a cooldown: `Cooldown` is one. */
export interface CooldownLike {
  /** Whether any key may be cooling down (checked before a key is computed). */
  readonly active: boolean;
  keyOf(config: InternalAxiosRequestConfig): string;
  coolDown(key: string, waitMs: number, perSecond?: number): void;
  waitFor(key: string, ask?: CooldownAsk): CooldownWait | undefined;
  count(outcome: 'waited' | 'failed-fast'): void;
  snapshot(): CooldownSnapshot;
}

/** How an attempt an adaptive throttle let through ended: what it calls accepted or not. */
export interface ThrottleOutcome {
  /** The response's status, if there was a response. */
  readonly status: number | undefined;
  /** No (complete) response: a timeout, a reset, a refused connection. */
  readonly network: boolean;
}

/** An adaptive throttle's answer to a request: go, or rejected locally. */
export interface ThrottleAdmission {
  readonly allowed: boolean;
  /** The rejection probability when it was asked, 0 to 1. */
  readonly probability: number;
}

/** A key of an adaptive throttle, as `stats()` shows it. */
export interface ThrottleSnapshot {
  /** Requests over the window that ended or were rejected locally. */
  requests: number;
  /** Requests the backend accepted over the window. */
  accepts: number;
  /** The share of new requests rejected locally now. */
  rejectionProbability: number;
}

/** What a policy uses of an adaptive throttle: `AdaptiveThrottle` is one. */
export interface AdaptiveThrottleLike {
  keyOf(config: InternalAxiosRequestConfig): string;
  acquire(key: string): ThrottleAdmission;
  record(key: string, outcome: ThrottleOutcome): void;
  snapshot(): Record<string, ThrottleSnapshot>;
}

/** What a policy uses of a circuit breaker: `CircuitBreaker` is one. */
export interface CircuitBreakerLike {
  keyOf(config: InternalAxiosRequestConfig): string;
  acquire(key: string): Admission;
  record(key: string, verdict: AttemptVerdict, probe: boolean, ticket?: number): CircuitTransition | undefined;
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
  /** An adaptive throttle rejected the attempt locally (`ThrottledError`, `ERR_THROTTLED`): nothing was sent. */
  | 'throttled'
  /** Under `retry`, `withRetry` or `retryBatch`: an inner layer of axios-rebound (the interceptor, an inner `retry`) had already given up on this error. */
  | 'already-retried'
  /** A hook of the call's (`shouldRetry`, `onRetry`, a backoff function) threw: the call rejects with its error. */
  | 'hook-error'
  /** The origin is cooling down (a server said when to come back) and the wait did not fit the deadline or `maxRetryAfter`: nothing was sent. */
  | 'rate-limited'
  /** The server said not to retry (`x-should-retry: false` or `Stripe-Should-Retry: false`). */
  | 'server-declined'
  /** A 422 to a request with an idempotency key: the key was used before with another payload. */
  | 'idempotency-key-mismatch';

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
  /**
   * How the header's value is written: `'token'` sends the key as it is (what Stripe and most
   * servers expect); `'sf-string'` sends it as a Structured Field String, `"…"`, as the IETF
   * Idempotency-Key draft defines it. @default 'token'
   */
  format: 'token' | 'sf-string';
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
  /** Extra copies of this attempt sent by `hedge` (absent when none was). */
  hedges?: number;
  /** A hedge, not the first copy, gave this attempt's outcome. */
  hedgeWon?: true;
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

/** How an attempt is hedged (option `hedge`): see README, "Hedged requests". */
export interface HedgeOptions {
  /**
   * How long the attempt waits for an answer before another copy is sent: ms, or `'p95'`, the
   * running 95th percentile of the instance's recent attempt latencies to the request's origin
   * (no hedging until 20 have been seen).
   */
  delay: number | 'p95';
  /** Extra copies of one attempt at most, each `delay` after the previous. @default 1 */
  maxHedges: number;
  /**
   * Hedges may add at most this share of the first attempts of hedged requests in the retry
   * budget's window (10 s without a budget). @default 0.05
   */
  maxExtraLoad: number;
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
  /**
   * Read the server's time to come back: `Retry-After`, then `retry-after-ms`, then the
   * `RateLimit` field, then `resetHeaders` (README, "What the server says about time"). A
   * time is a floor under the next wait, and starts a cooldown of the origin. @default true
   */
  respectRetryAfter: boolean;
  /** A longer server time gives up at once (`'retry-after-too-long'`). @default 60_000 */
  maxRetryAfter: number;
  /**
   * Reset headers and how to read each, after the three standard ones; read only on a 429 or
   * when the matching `…-remaining` header is 0.
   * @default [{ header: 'x-ratelimit-reset', format: 'auto' }, { header: 'ratelimit-reset', format: 'auto' }]
   */
  resetHeaders: readonly ResetHeader[];
  /**
   * Follow the server's verdict in `x-should-retry` / `Stripe-Should-Retry`: `false` stops
   * (`'server-declined'`), `true` retries whatever the status (never an unsafe method without
   * an idempotency key, never a 400 or a keyed 422). @default true
   */
  respectShouldRetry: boolean;
  /**
   * One "cooling down until T" per origin, started by a server's time: other requests to it
   * wait for T, or fail fast with `ERR_RATE_LIMITED`. `true`: one `Cooldown` per attached
   * instance; a `Cooldown`: that one, shared; `false`: none. Under `attachRetry` only.
   * @default true
   */
  cooldown: CooldownLike | boolean;
  /** @default false */
  idempotencyKey: boolean | Partial<IdempotencyKeyOptions>;
  /**
   * A header that every retry carries with its attempt number (`2` for the first retry); the
   * first attempt carries none. In a browser, the server must allow it (CORS). Under
   * `attachRetry` only. @default false
   */
  attemptHeader: string | false;
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
   * Fails fast while a service is down: a `CircuitBreaker`, shared with whoever else has it.
   * `true` (one breaker with the defaults) only under `retry(fn)` and `withRetry`: `attachRetry`
   * refuses it with a TypeError since 0.2.0, so that its bundle does not carry the breaker.
   * @default false
   */
  circuitBreaker: CircuitBreakerLike | boolean;
  /**
   * Rejects a share of requests locally while a backend refuses much of what it gets: an
   * `AdaptiveThrottle`, shared with whoever else has it. `true` (one with the defaults) only
   * under `retry(fn)` and `withRetry`, as for `circuitBreaker`. @default false
   */
  throttle: AdaptiveThrottleLike | boolean;
  /**
   * Called on every circuit state change this instance's requests cause. An observer: what it
   * throws is reported once (`process.emitWarning`) and changes nothing. @default undefined
   */
  onCircuitStateChange: ((change: CircuitTransition) => void) | undefined;
  /**
   * Sends another copy of a slow attempt and takes whichever answers first (only for requests
   * safe to send twice, within `maxExtraLoad` and the retry budget). Under `attachRetry` only.
   * @default false
   */
  hedge: false | (Partial<HedgeOptions> & Pick<HedgeOptions, 'delay'>);
}

/** The options after defaults and validation: complete and frozen (`DEFAULTS` has this type). */
export interface ValidatedRetryOptions extends Readonly<Omit<RetryOptions, 'idempotencyKey' | 'hedge'>> {
  readonly idempotencyKey: false | Readonly<IdempotencyKeyOptions>;
  readonly hedge: false | Readonly<HedgeOptions>;
}

/**
 * The options a request runs under (`handle.options`): validated, and with `budget: true`
 * and `cooldown: true` resolved to the attached instance's own budget and cooldown.
 */
export interface NormalizedRetryOptions
  extends Omit<ValidatedRetryOptions, 'budget' | 'circuitBreaker' | 'cooldown' | 'throttle'> {
  readonly budget: RetryBudgetLike | false;
  readonly cooldown: CooldownLike | false;
  readonly circuitBreaker: CircuitBreakerLike | false;
  readonly throttle: AdaptiveThrottleLike | false;
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
  /** Extra copies sent by `hedge` (not counted in `attempts`). */
  hedges: number;
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
  /** The instance's cooldown, when it has one. */
  cooldown?: CooldownSnapshot;
  /** The instance's adaptive throttle by key, when it has one. */
  throttle?: Record<string, ThrottleSnapshot>;
}

declare module 'axios' {
  interface AxiosRequestConfig {
    /** axios-rebound's policy for this request, merged over the instance's; `false` never retries it. */
    retry?: Partial<RetryOptions> | false;
  }
}
