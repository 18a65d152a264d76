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

/**
 * Per logical request: its resolved options (read-only), its story (plain data), the request as
 * the user gave it (what every replay is derived from), and the caller's ways to cancel it.
 */
export class RequestContext {
  readonly state: RetryState;
  /** When the call started, on the monotonic clock: what the deadline counts from. */
  readonly startedMono: number;
  /** The caller's signal and cancel token (as the last attempt's config carried them). */
  abort: CallerAbort;
  /** Set while a replay is in flight: the replay's interceptor hands its outcome here. */
  capture: ((outcome: Outcome) => void) | undefined;
  /** Set when the last attempt was cut short by the deadline. */
  deadlineReached = false;
  /** The circuit this request's attempts go through, when a breaker is on. */
  circuitKey: string | undefined;
  /** The adapter that runs this request's attempts (see attempt.ts); set by its maker. */
  adapter: AxiosAdapter | undefined;
  /**
   * Why the last attempt was not sent at all: the circuit refused it, no time was left, its
   * origin's cooldown did not fit, or the caller aborted while it waited for the cooldown.
   */
  notSent: 'circuit-open' | 'deadline' | 'rate-limited' | 'aborted' | undefined;
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
    this.state = { attempt: 0, retries: options.retries, startedAt, history: [] };
    markStarted(this.state);
    const idempotencyKey = idempotencyKeyOf(config, options);
    if (idempotencyKey !== undefined) this.state.idempotencyKey = idempotencyKey;
  }

  /**
   * Runs a key function of the user's (a breaker's or a cooldown's) before an attempt. If it
   * throws, the call ends with its error, counted here (an error that is not an object cannot
   * lead back to the call): `'hook-error'`.
   */
  userKey(keyOf: () => string): string {
    try {
      return keyOf();
    } catch (error) {
      this.state.stopReason = 'hook-error';
      this.scope.settle(this, 'hook-error');
      throw error;
    }
  }

  /** Records an attempt that has ended, with its duration on the monotonic clock. */
  recordAttempt(outcome: Outcome, startedMono: number): void {
    const record = 'response' in outcome ? { status: outcome.response.status } : describeFailure(outcome.error);
    const durationMs = Math.round(monotonicNow() - startedMono);
    this.state.history.push({ attempt: this.state.attempt, ...record, durationMs });
  }

  /** What `JSON.stringify` (and axios's `error.toJSON()`) shows of the context: its state. */
  toJSON(): RetryState {
    return this.state;
  }
}
