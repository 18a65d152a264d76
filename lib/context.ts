import type { AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { AxiosError, isCancel } from 'axios';
import { describeFailure } from './classify.js';
import type { InstanceScope } from './scope.js';
import type { AttemptLimit } from './timers.js';
import { AttemptTimer, attemptLimit, timeoutMessage } from './timers.js';
import type { NormalizedRetryOptions, RetryState } from './types.js';

/** How one attempt ended, as handed from a replay's interceptor back to the retry loop. */
export type Outcome = { readonly response: AxiosResponse } | { readonly error: unknown };

/** Per logical request: its resolved options (read-only) and its state (plain data). */
export class RequestContext {
  readonly state: RetryState;
  /** Set while a replay is in flight: the replay's interceptor hands its outcome here. */
  capture: ((outcome: Outcome) => void) | undefined;
  /** Set when the last attempt was cut short by the deadline. */
  deadlineReached = false;
  /** Between beginAttempt and endAttempt. */
  attemptInFlight = false;
  /** The circuit this request's attempts go through, when a breaker is on. */
  circuitKey: string | undefined;
  /** The current attempt is a half-open circuit's probe. */
  probe = false;
  #attemptStartedAt: number;
  #timer: AttemptTimer | undefined;
  /** The running attempt's time limit, when it has one. */
  #limit: AttemptLimit | undefined;

  constructor(
    readonly options: NormalizedRetryOptions,
    /** What the attached instance shares between its requests. */
    readonly scope: InstanceScope,
    /** The caller's own signal; each attempt may get a child of it. */
    readonly signal: AbortSignal | undefined,
    now: number,
  ) {
    this.state = { attempt: 0, retries: options.retries, startedAt: now, history: [] };
    this.#attemptStartedAt = now;
  }

  /** Called by the request interceptor before each attempt is sent. */
  beginAttempt(config: InternalAxiosRequestConfig, now: number): void {
    this.state.attempt += 1;
    this.attemptInFlight = true;
    this.#attemptStartedAt = now;
    this.deadlineReached = false;
    const limit = attemptLimit(this.options, this.state.startedAt, now);
    // Options are fixed per request, so without a limit no attempt ever replaced the signal.
    if (!limit) return;
    this.#timer = new AttemptTimer(limit.ms, this.signal);
    this.#limit = limit;
    config.signal = this.#timer.signal;
  }

  /** Takes over a first attempt that was sent on the fast path, with nothing tracked. */
  adoptFirstAttempt(startedAt: number): void {
    this.state.attempt = 1;
    this.attemptInFlight = true;
    this.#attemptStartedAt = startedAt;
  }

  /**
   * Called by the response interceptor when an attempt settles: clears the attempt's timer,
   * records the attempt, and turns a cancel caused by that timer into a timeout error.
   */
  endAttempt(outcome: Outcome, now: number): Outcome {
    this.attemptInFlight = false;
    const timer = this.#timer;
    this.#timer = undefined;
    timer?.dispose();
    let result = outcome;
    const limit = this.#limit;
    if (timer?.expired && limit && 'error' in outcome && isCancel(outcome.error)) {
      this.deadlineReached = limit.isDeadline;
      const { config, request } = outcome.error as AxiosError;
      result = { error: new AxiosError(timeoutMessage(limit, this.options), AxiosError.ETIMEDOUT, config, request) };
    }
    const record = 'response' in result ? { status: result.response.status } : describeFailure(result.error);
    this.state.history.push({ attempt: this.state.attempt, ...record, durationMs: now - this.#attemptStartedAt });
    return result;
  }

  /** What `JSON.stringify` (and axios's `error.toJSON()`) shows of the context: its state. */
  toJSON(): RetryState {
    return this.state;
  }
}
