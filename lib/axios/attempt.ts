import type { AxiosAdapter, AxiosRequestConfig, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import axios, { AxiosError, AxiosHeaders, isAxiosError } from 'axios';
import { monotonicNow } from '../clock.js';
import { failureVerdict } from '../decide/classify.js';
import { CircuitOpenError, canceledError, isCanceled, ThrottledError } from '../errors.js';
import { CallerAbort } from '../run/abort.js';
import { admitAttempt } from '../run/engine.js';
import { reportOnce } from '../run/log.js';
import type { InstanceScope } from '../run/scope.js';
import type { AttemptLimit } from '../run/timers.js';
import { AttemptTimer, attemptLimit, race, timeoutMessage } from '../run/timers.js';
import type { Outcome, RequestContext } from './context.js';
import { awaitCooldown, startCooldown } from './cooling.js';
import { hedged, hedgePlan } from './hedge.js';
import { pinBoundary } from './request.js';
import { takeReplay, track } from './tracking.js';

type AdapterConfig = AxiosRequestConfig['adapter'];

/** Our adapters, each mapped to the adapter it wraps. */
const bases = new WeakMap<AxiosAdapter, AdapterConfig>();

/**
 * The adapter that runs every attempt of `context`'s request: the one owner of an attempt's
 * life. An attempt begins when axios hands it to the adapter (after every request interceptor
 * and transform has run) and ends when the adapter settles, so whatever acquires (the circuit's
 * probe slot, the attempt timer and its listener on the caller's signal) is released in one
 * `finally`, whether or not any interceptor runs afterwards, and whatever a user's code throws.
 */
export function attemptAdapter(context: RequestContext, base: AdapterConfig): AxiosAdapter {
  const adapter: AxiosAdapter = (config) => runAttempt(context, config, base);
  bases.set(adapter, base);
  return adapter;
}

/**
 * An adapter that fails the call with `error` without sending anything: how our request
 * interceptor reports a problem (a bad per-request option), since it never throws (axios
 * before 1.19 calls an absent rejection handler of a synchronous interceptor and breaks).
 */
export function refusingAdapter(error: unknown, base: AdapterConfig, scope: InstanceScope): AxiosAdapter {
  const adapter: AxiosAdapter = () => {
    scope.settle(undefined, 'not-retryable');
    return Promise.reject(error);
  };
  bases.set(adapter, base);
  return adapter;
}

/** Puts the user's adapter back in `config` in place of one of ours, if it carries one. */
export function restoreUserAdapter(config: InternalAxiosRequestConfig): void {
  const { adapter } = config;
  if (typeof adapter !== 'function' || !bases.has(adapter)) return;
  const base = bases.get(adapter);
  if (base === undefined) delete config.adapter;
  else config.adapter = base;
}

async function runAttempt(
  context: RequestContext,
  config: InternalAxiosRequestConfig,
  base: AdapterConfig,
): Promise<AxiosResponse> {
  // A replay sent after detach() meets none of our interceptors (or another attachment's,
  // which leave it alone): take its ticket here.
  takeReplay(config, context.scope, undefined);
  track(config, context.scope, context);
  try {
    return await sendAttempt(context, config, base);
  } finally {
    // Nothing of ours outlives the attempt in the user's config but the hidden tracking.
    restoreUserAdapter(config);
  }
}

async function sendAttempt(
  context: RequestContext,
  config: InternalAxiosRequestConfig,
  base: AdapterConfig,
): Promise<AxiosResponse> {
  const { options, state } = context;
  // A request interceptor that runs after ours may have given the attempt a signal of its own.
  if (config.signal !== context.abort.givenSignal || config.cancelToken !== context.abort.givenToken) {
    context.abort = new CallerAbort(config.signal, config.cancelToken);
  }
  context.lastConfig = config;
  await awaitCooldown(context, config);
  const startedMono = monotonicNow();
  const limit = attemptLimit(options, context.startedMono, startedMono);
  // No time left (a slow request interceptor held the replay): nothing is sent.
  if (limit?.isDeadline && limit.ms <= 0) {
    context.notSent = 'deadline';
    throw context.own(new AxiosError(timeoutMessage(limit, options), AxiosError.ETIMEDOUT, config));
  }
  // The throttle first: a probe slot the breaker gave would otherwise be held by an attempt
  // the throttle then rejects.
  throttle(context, config);
  const { probe, ticket } = admit(context, config);
  state.attempt += 1;
  // Counted when sent: a retry that a user's interceptor stopped on its way is no attempt.
  // From here on nothing may throw before the `try` below, whose `finally` gives back the probe
  // slot the breaker may just have given: a budget or a hedge plan that throws is reported.
  const { budget } = options;
  if (state.attempt > 1) context.scope.retries += 1;
  else if (budget) guarded(budget, 'budget', () => budget.recordRequest());
  context.deadlineReached = false;
  const plan = guarded(context.scope, 'hedge', () => hedgePlan(context, config));
  let timer: AttemptTimer | undefined;
  let sent: InternalAxiosRequestConfig | undefined;
  let outcome: Outcome = { error: undefined };
  try {
    // With a signal of the caller's, the adapter listens on a child of it, never on the signal
    // itself: one signal shared by many calls then carries one listener of ours (see abort.ts).
    // A hedged attempt's copies each listen on a child of the timer's signal (hedge.ts).
    if (limit || context.abort.signal || plan) timer = new AttemptTimer(limit?.ms, context.abort);
    const adapter = resolveAdapter(base, config);
    pinBoundary(
      config.data,
      config.headers,
      (adapter as { adapterName?: unknown }).adapterName,
      context.request.boundary,
    );
    // The attempt's signal and attempt header go to the adapter in a copy: the user's config
    // keeps the caller's signal, and never carries our header into a config re-sent later.
    const attempt: InternalAxiosRequestConfig =
      timer || options.attemptHeader ? { ...config, ...(timer ? { signal: timer.signal } : {}) } : config;
    const { attemptHeader } = options;
    if (attemptHeader) {
      attempt.headers = new AxiosHeaders(config.headers);
      // The first attempt carries none (matching OpenTelemetry's resend_count).
      if (state.attempt > 1) attempt.headers.set(attemptHeader, String(state.attempt));
      else attempt.headers.delete(attemptHeader);
    }
    sent = attempt;
    const parent = timer?.signal;
    // An adapter that ignores the signal is not waited for past the attempt's end.
    const response = timer
      ? await race(
          timer.signal,
          () => (plan && parent ? hedged(context, plan, adapter, attempt, parent) : adapter(attempt)),
          () => canceledError(undefined, config),
        )
      : await adapter(attempt);
    if (response.config === sent) response.config = config;
    readableHeaders(response, config);
    outcome = { response };
    return response;
  } catch (caught) {
    if (isAxiosError(caught)) readableHeaders(caught.response, config);
    const error = ownError(caught, sent ?? config, config, context, timer, limit);
    outcome = { error };
    throw error;
  } finally {
    // A streamed body is read after the attempt: the caller's abort must still reach it.
    if (!timer || !('response' in outcome) || !followStream(outcome.response, timer.endTimeLimit.bind(timer))) {
      timer?.dispose();
    }
    context.scope.attempts += 1;
    context.recordAttempt(outcome, startedMono);
    const response = 'response' in outcome ? outcome.response : (outcome.error as AxiosError | undefined)?.response;
    // A 429 that starts a cooldown says nothing of the service's health: the breaker does not
    // count it (a 503 it does, with or without a time to come back).
    const rateLimited = startCooldown(options, config, response) && response?.status === 429;
    context.heldByCooldown = rateLimited;
    const { throttle } = options;
    if (throttle && context.throttleKey !== undefined) {
      // Accepted unless the backend refused or did not answer; a caller's cancel is no refusal.
      const network = !response && !('response' in outcome) && !isCanceled(outcome.error);
      // Its `isRejection` of the user's that throws: the attempt's outcome stands.
      const key = context.throttleKey;
      guarded(throttle, 'throttle', () => throttle.record(key, { status: response?.status, network }));
    }
    const breaker = options.circuitBreaker;
    const { circuitKey } = context;
    if (breaker && circuitKey !== undefined) {
      const verdict =
        'response' in outcome ? 'success' : rateLimited ? 'neutral' : failureVerdict(outcome.error, options);
      // A breaker of the user's (or with the user's clock) that throws: the outcome stands.
      context.scope.report(
        guarded(breaker, 'circuitBreaker', () => breaker.record(circuitKey, verdict, probe, ticket)),
        options,
      );
    }
  }
}

/**
 * The error the attempt fails with, made this attempt's own: a cancel caused by our timer
 * becomes a timeout; an error axios made for the attempt points at the user's config; a cancel
 * token's reason (one object shared by every call the token cancels) becomes a CanceledError of
 * this call's, as is not written into. Errors of the attempt's own are remembered, so a user's
 * interceptor that wraps one (`cause`) still leads back to the call. An adapter's own error of
 * any other kind passes as is, but is the call's too.
 */
function ownError(
  caught: unknown,
  sent: InternalAxiosRequestConfig,
  config: InternalAxiosRequestConfig,
  context: RequestContext,
  timer: AttemptTimer | undefined,
  limit: AttemptLimit | undefined,
): unknown {
  let error: unknown;
  if (timer?.expired && limit && isCanceled(caught)) {
    context.deadlineReached = limit.isDeadline;
    const { request } = caught as AxiosError;
    error = new AxiosError(timeoutMessage(limit, context.options), AxiosError.ETIMEDOUT, config, request);
  } else if (isAxiosError(caught) && caught.config === sent) {
    caught.config = config;
    error = caught;
  } else if (isCanceled(caught)) {
    error = canceledError((caught as Error).message, config, (caught as AxiosError).request);
  } else if (typeof caught !== 'object' || caught === null) {
    // An adapter that threw a string: it cannot lead back to the call, which ends here.
    context.state.stopReason = 'not-retryable';
    context.scope.settle(context, 'not-retryable');
    return caught;
  } else {
    // Any other error of the adapter's (a plain Error, an object): not retried, but the call's.
    error = caught;
  }
  return context.own(error as object);
}

/** Runs `run`; if it throws, reports that once (for `owner`) and gives `undefined`. */
function guarded<T>(owner: object, name: string, run: () => T): T | undefined {
  try {
    return run();
  } catch (error) {
    reportOnce(owner, name, error);
    return undefined;
  }
}

/**
 * Asks the adaptive throttle, if any, to let the attempt through: it counts the attempt, and
 * rejects it locally with its probability (nothing is sent; the call ends with 'throttled').
 * The throttle hears how an attempt it let through ended, in the attempt's `finally`.
 */
function throttle(context: RequestContext, config: InternalAxiosRequestConfig): void {
  const { throttle } = context.options;
  if (!throttle) return;
  const key = context.userCode(() => throttle.keyOf(config));
  context.throttleKey = undefined;
  const admission = context.userCode(() => throttle.acquire(key));
  if (admission.allowed) {
    context.throttleKey = key;
    return;
  }
  context.notSent = 'throttled';
  throw context.own(new ThrottledError(key, admission.probability, config));
}

/**
 * Asks the circuit, if any, to let the attempt through; `true` when it is a half-open probe.
 * Refused, nothing is acquired and nothing is sent: the call ends with 'circuit-open'.
 */
function admit(
  context: RequestContext,
  config: InternalAxiosRequestConfig,
): { probe: boolean; ticket?: number | undefined } {
  const { options, scope } = context;
  const breaker = options.circuitBreaker;
  if (!breaker) return { probe: false };
  context.circuitKey ??= context.userCode(() => breaker.keyOf(config));
  const key = context.circuitKey;
  const admission = context.userCode(() => admitAttempt(breaker, key, (t) => scope.report(t, options)));
  if (admission.allowed) return admission;
  context.notSent = 'circuit-open';
  throw context.own(new CircuitOpenError(context.circuitKey, admission.retryAfterMs, config));
}

/**
 * An instance of another copy of axios than ours (an application's, beside the one we resolved)
 * runs our attempts with adapters of our copy, whose responses carry our AxiosHeaders: that
 * copy's `dispatchRequest` keeps none of a foreign AxiosHeaders (axios 1.7.0 does not), and the
 * caller, the retry decision and the cooldown would see no header at all. Given it as a plain
 * object, any copy reads it.
 */
function readableHeaders(response: AxiosResponse | undefined, config: InternalAxiosRequestConfig): void {
  if (response?.headers instanceof AxiosHeaders && !(config.headers instanceof AxiosHeaders)) {
    response.headers = response.headers.toJSON();
  }
}

/** The adapter axios would have used: the user's (or the instance's) choice, resolved as axios does. */
function resolveAdapter(base: AdapterConfig, config: InternalAxiosRequestConfig): AxiosAdapter {
  const getAdapter = axios.getAdapter as (adapters: unknown, config?: unknown) => AxiosAdapter;
  return getAdapter(base ?? axios.defaults.adapter, config);
}

/**
 * Keeps the caller's abort reaching a streamed response body until the body is done: a Node
 * stream until it closes, a web ReadableStream (the fetch adapter's) until it is read to its
 * end, fails or is cancelled (it is handed on through a stream of ours that knows when).
 * `false` for any other body.
 */
function followStream(response: AxiosResponse, endTimeLimit: () => () => void): boolean {
  const body = response.data as
    | { once?: unknown; destroy?: unknown; destroyed?: unknown; getReader?: unknown }
    | null
    | undefined;
  if (typeof body?.once === 'function' && typeof body.destroy === 'function' && body.destroyed !== true) {
    const release = endTimeLimit();
    (body as { once(event: 'close', listener: () => void): unknown }).once('close', release);
    return true;
  }
  if (typeof body?.getReader !== 'function' || typeof ReadableStream !== 'function') return false;
  const release = endTimeLimit();
  const reader = (body as ReadableStream<unknown>).getReader();
  response.data = new ReadableStream<unknown>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (!done) return controller.enqueue(value);
        release();
        controller.close();
      } catch (error) {
        release();
        controller.error(error);
      }
    },
    cancel(reason) {
      release();
      return reader.cancel(reason);
    },
  });
  return true;
}
