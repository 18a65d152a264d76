import type { AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { AxiosError, isAxiosError, isCancel } from 'axios';
import type { InstanceScope } from './scope.js';
import { AttemptTimer } from './timers.js';
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
  /** Whether the running attempt's limit is the deadline rather than attemptTimeout. */
  #limitIsDeadline = false;

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
    const { attemptTimeout, deadline } = this.options;
    const remaining = deadline === undefined ? Infinity : this.state.startedAt + deadline - now;
    const limit = Math.min(attemptTimeout ?? Infinity, remaining);
    // Options are fixed per request, so without a limit no attempt ever replaced the signal.
    if (limit === Infinity) return;
    this.#timer = new AttemptTimer(Math.max(0, limit), this.signal);
    this.#limitIsDeadline = remaining <= (attemptTimeout ?? Infinity);
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
    if (timer?.expired && 'error' in outcome && isCancel(outcome.error)) {
      this.deadlineReached = this.#limitIsDeadline;
      const config = (outcome.error as AxiosError).config;
      const what = this.#limitIsDeadline
        ? `deadline of ${String(this.options.deadline)}ms`
        : `attempt timeout of ${String(this.options.attemptTimeout)}ms`;
      result = {
        error: new AxiosError(`${what} exceeded`, AxiosError.ETIMEDOUT, config, (outcome.error as AxiosError).request),
      };
    }
    const record = 'response' in result ? { status: result.response.status } : describeError(result.error);
    this.state.history.push({ attempt: this.state.attempt, ...record, durationMs: now - this.#attemptStartedAt });
    return result;
  }

  /** What `JSON.stringify` (and axios's `error.toJSON()`) shows of the context: its state. */
  toJSON(): RetryState {
    return this.state;
  }
}

function describeError(error: unknown): { status?: number; code?: string } {
  if (!isAxiosError(error)) return error instanceof Error ? { code: error.name } : {};
  const status = error.response?.status;
  return { ...(status === undefined ? {} : { status }), ...(error.code === undefined ? {} : { code: error.code }) };
}
