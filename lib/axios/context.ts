import type { AxiosAdapter, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { monotonicNow } from '../clock.js';
import { describeFailure } from '../decide/classify.js';
import { idempotencyKeyOf } from '../decide/replay-safety.js';
import { CallerAbort } from '../run/abort.js';
import { markStarted } from '../run/call-order.js';
import type { InstanceScope } from '../run/scope.js';
import type { NormalizedRetryOptions, RetryState } from '../types.js';
import type { UserRequest } from './request.js';

/** How one attempt ended, as handed from a replay's interceptor back to the retry loop. */
export type Outcome = { readonly response: AxiosResponse } | { readonly error: unknown };

/** Errors our calls failed with, by the request they belong to. */
const failures = new WeakMap<object, RequestContext>();

/**
 * The request an error came from: an attempt's own error, or one a user's interceptor made
 * from it (found through its `cause` chain). Such a wrapped error is not ours to retry, but the
 * call is still ours to end.
 */
export function requestOfError(error: unknown): RequestContext | undefined {
  let current = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const context = failures.get(current);
    if (context) return context;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Whether a thrown value can lead back to its call: an object that axios can look at on its way
 * (it reads `__CANCEL__` and `response`). A revoked Proxy, or a getter that throws there, is
 * replaced by axios's own TypeError, and a string cannot be remembered.
 */
function leadsBack(error: unknown): error is object {
  if (typeof error !== 'object' || error === null) return false;
  try {
    const seen = error as { __CANCEL__?: unknown; response?: unknown };
    void seen.__CANCEL__;
    void seen.response;
    return true;
  } catch {
    return false;
  }
}

/**
 * Per logical request: its resolved options (read-only), its story (plain data), the request as
 * the user gave it (what every replay is derived from), and the caller's ways to cancel it.
 */
export class RequestContext {
  readonly state: RetryState;
  /**
   * When the call started, on the monotonic clock: what the deadline counts from. A wait that
   * test mode skips moves it back, and is kept in `skippedMs` for the next cooldown check.
   */
  startedMono: number;
  skippedMs?: number;
  /** The caller's signal and cancel token (as the last attempt's config carried them). */
  abort: CallerAbort;
  /** Set while a replay is in flight: the replay's interceptor hands its outcome here. */
  capture: ((outcome: Outcome) => void) | undefined;
  /** Set when the last attempt was cut short by the deadline. */
  deadlineReached = false;
  /** The throttle key of the attempt under way, once the throttle let it through. */
  throttleKey: string | undefined;
  /** The circuit this request's attempts go through, when a breaker is on. */
  circuitKey: string | undefined;
  /** The adapter that runs this request's attempts (see attempt.ts); set by its maker. */
  adapter: AxiosAdapter | undefined;
  /**
   * Why the last attempt was not sent at all: the circuit refused it, no time was left, its
   * origin's cooldown did not fit, or the caller aborted while it waited for the cooldown.
   */
  notSent: 'circuit-open' | 'throttled' | 'deadline' | 'rate-limited' | 'aborted' | 'hook-error' | undefined;
  /**
   * The last attempt was a 429 that started a cooldown: its retry is the server's, held by the
   * cooldown to the server's time and rate, and takes nothing from the retry budget.
   */
  heldByCooldown = false;
  /**
   * Hedging (hedge.ts): a response of the call carried a server time, so no more hedges; the
   * copies the attempt under way sent beyond its first, and whether one of them answered.
   */
  hedge = { serverTimed: false, sent: 0, won: false };
  /** The config of the last attempt (or of the first, before it is sent). */
  lastConfig: InternalAxiosRequestConfig;
  /** The call has ended, one way or the other: see `InstanceScope.settle`. */
  settled = false;

  constructor(
    readonly options: NormalizedRetryOptions,
    /** What the attached instance shares between its requests. */
    readonly scope: InstanceScope,
    config: InternalAxiosRequestConfig,
    /** The request as the user gave it, before axios transformed it. */
    readonly request: UserRequest,
    startedMono: number = monotonicNow(),
    startedAt: number = Date.now(),
  ) {
    this.startedMono = startedMono;
    this.abort = new CallerAbort(config.signal, config.cancelToken);
    this.lastConfig = config;
    this.state = { attempt: 0, retries: options.retries, startedAt, history: [] };
    markStarted(this.state);
    const idempotencyKey = idempotencyKeyOf(config, options);
    if (idempotencyKey !== undefined) this.state.idempotencyKey = idempotencyKey;
  }

  /**
   * Runs user code before an attempt: a breaker's or a cooldown's key function, a cooldown of
   * the user's (or with the user's clock). If it throws, nothing is sent and the call ends with
   * its error: `'hook-error'` (an error that cannot lead back to the call is counted here).
   */
  userCode<T>(run: () => T): T {
    try {
      return run();
    } catch (error) {
      this.notSent = 'hook-error';
      if (leadsBack(error)) this.own(error);
      else {
        this.state.stopReason = 'hook-error';
        this.scope.settle(this, 'hook-error');
      }
      throw error;
    }
  }

  /** Remembers `error` as this call's own, so a user's interceptor that wraps it still leads back. */
  own<E extends object>(error: E): E {
    failures.set(error, this);
    return error;
  }

  /** Records an attempt that has ended, with its duration on the monotonic clock. */
  recordAttempt(outcome: Outcome, startedMono: number): void {
    const record = 'response' in outcome ? { status: outcome.response.status } : describeFailure(outcome.error);
    const durationMs = Math.round(monotonicNow() - startedMono);
    const { sent, won } = this.hedge;
    const hedges = sent ? (won ? { hedges: sent, hedgeWon: true as const } : { hedges: sent }) : {};
    this.state.history.push({ attempt: this.state.attempt, ...record, durationMs, ...hedges });
    this.hedge.sent = 0;
    this.hedge.won = false;
  }

  /** What `JSON.stringify` (and axios's `error.toJSON()`) shows of the context: its state. */
  toJSON(): RetryState {
    return this.state;
  }
}
