import type { AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { isAxiosError, isCancel } from 'axios';
import type { AttemptVerdict } from './breaker.js';
import { idempotencyKeyOf, isTransientFailure } from './classify.js';
import type { Outcome } from './context.js';
import { RequestContext } from './context.js';
import { admitAttempt } from './engine.js';
import { CircuitOpenError } from './errors.js';
import { normalizeOptions } from './options.js';
import { giveUp, handleFailure } from './retry-loop.js';
import { InstanceScope } from './scope.js';
import { EPOCH, succeededFirstTime, track, trackingOf } from './tracking.js';
import type { NormalizedRetryOptions, RetryOptions, RetryStats } from './types.js';

export interface RetryHandle {
  /** The instance's options after defaults and validation. */
  readonly options: NormalizedRetryOptions;
  /** Removes both interceptors. Requests under way finish under the policy they started with. */
  detach(): void;
  /** A snapshot of what the instance's requests have done so far. Cheap. */
  stats(): RetryStats;
}

const attached = new WeakSet<AxiosInstance>();

/**
 * Attaches the retry policy to an axios instance (or to the default `axios`).
 * Throws a TypeError naming the option for an invalid one, and an Error if the instance
 * already has axios-rebound attached.
 */
export function attachRetry(instance: AxiosInstance, options?: Partial<RetryOptions>): RetryHandle {
  if (attached.has(instance)) {
    throw new Error(
      'axios-rebound: attachRetry was already called on this axios instance; call detach() on its handle first',
    );
  }
  const scope = new InstanceScope(normalizeOptions(options));
  const requestId = instance.interceptors.request.use((config) => beforeAttempt(config, scope), undefined, {
    synchronous: true,
  });
  const responseId = instance.interceptors.response.use(
    (response) => afterSuccess(response, scope, instance),
    (error: unknown) => afterAttempt(configOf(error), { error }, scope, instance),
  );
  attached.add(instance);
  let detached = false;
  return Object.freeze({
    options: scope.options,
    stats: () => scope.stats(),
    detach() {
      if (detached) return;
      detached = true;
      instance.interceptors.request.eject(requestId);
      instance.interceptors.response.eject(responseId);
      attached.delete(instance);
    },
  });
}

/** The request interceptor: starts tracking a request, or the next attempt of a replay. */
function beforeAttempt(config: InternalAxiosRequestConfig, scope: InstanceScope) {
  const tracking = trackingOf(config);
  // A context without a pending capture is left over from an earlier call whose config was reused.
  if (tracking instanceof RequestContext && tracking.capture) {
    scope.attempts += 1;
    tracking.beginAttempt(config, Date.now());
    return config;
  }
  if (config.retry === false) return config;
  scope.requests += 1;
  if (config.retry === undefined && scope.fastPath) {
    // Nothing to look after until the first attempt fails: a start time, and no allocation.
    if (scope.options.budget) scope.options.budget.recordRequest();
    scope.attempts += 1;
    track(config, Date.now() - EPOCH);
    return config;
  }
  const now = Date.now();
  const options =
    config.retry === undefined ? scope.options : scope.resolve(normalizeOptions(config.retry, scope.options, 'retry'));
  const context = new RequestContext(options, scope, listenableSignal(config.signal), now);
  const key = options.idempotencyKey;
  if (
    key !== false &&
    key.methods.includes((config.method ?? 'get').toUpperCase()) &&
    !config.headers.has(key.header)
  ) {
    const generated: unknown = key.generate();
    if (typeof generated !== 'string' || generated === '') {
      throw new TypeError(
        `axios-rebound: idempotencyKey.generate must return a non-empty string, got ${String(generated)}`,
      );
    }
    config.headers.set(key.header, generated);
  }
  const idempotencyKey = idempotencyKeyOf(config, options);
  if (idempotencyKey !== undefined) context.state.idempotencyKey = idempotencyKey;
  track(config, context);
  const breaker = options.circuitBreaker;
  if (breaker) {
    const circuitKey = breaker.keyOf(config);
    context.circuitKey = circuitKey;
    const admission = admitAttempt(breaker, circuitKey, (t) => scope.report(t, options));
    // Refused: nothing is sent, and the response interceptor gives up with 'circuit-open'.
    if (!admission.allowed) throw new CircuitOpenError(circuitKey, admission.retryAfterMs, config);
    context.probe = admission.probe;
  }
  if (options.budget) options.budget.recordRequest();
  scope.attempts += 1;
  context.beginAttempt(config, now);
  return config;
}

/** The response interceptor's success side; a fast-path first attempt only records its time. */
function afterSuccess(response: AxiosResponse, scope: InstanceScope, instance: AxiosInstance) {
  const { config } = response;
  const tracking = trackingOf(config);
  if (typeof tracking !== 'number') return afterAttempt(config, { response }, scope, instance);
  scope.successes += 1;
  succeededFirstTime(config, response, scope.options.retries, tracking);
  return response;
}

/**
 * The response interceptor, for both outcomes. In a replay it hands the outcome to the retry
 * loop waiting in the original call and returns a promise that never settles, so that response
 * interceptors added after this one do not run inside the replay and again in the original
 * call: they see the final outcome once. That abandoned chain holds no timer or socket and is
 * garbage-collected with the replay.
 */
function afterAttempt(
  config: InternalAxiosRequestConfig | undefined,
  outcome: Outcome,
  scope: InstanceScope,
  instance: AxiosInstance,
): AxiosResponse | Promise<AxiosResponse> {
  const context = config ? contextFor(config, scope) : undefined;
  if (!context) {
    if ('response' in outcome) return outcome.response;
    throw outcome.error;
  }
  if (!context.attemptInFlight)
    return giveUp(context, 'error' in outcome ? outcome.error : undefined, config, 'circuit-open');
  const settled = context.endAttempt(outcome, Date.now());
  const { options } = context;
  if (options.circuitBreaker && context.circuitKey !== undefined) {
    const transition = options.circuitBreaker.record(context.circuitKey, verdictOf(settled, options), context.probe);
    scope.report(transition, options);
  }
  const capture = context.capture;
  if (capture) {
    context.capture = undefined;
    capture(settled);
    return new Promise<never>(() => {});
  }
  if ('error' in settled) return handleFailure(context, settled.error, instance);
  scope.successes += 1;
  return settled.response;
}

/** The request's context; a fast-path first attempt gets one now, when it has failed. */
function contextFor(config: InternalAxiosRequestConfig, scope: InstanceScope): RequestContext | undefined {
  const tracking = trackingOf(config);
  if (tracking instanceof RequestContext) return tracking;
  if (typeof tracking !== 'number') return undefined;
  const context = new RequestContext(scope.options, scope, listenableSignal(config.signal), tracking + EPOCH);
  const idempotencyKey = idempotencyKeyOf(config, scope.options);
  if (idempotencyKey !== undefined) context.state.idempotencyKey = idempotencyKey;
  context.adoptFirstAttempt(tracking + EPOCH);
  track(config, context);
  return context;
}

/** What the breaker makes of an attempt: a cancel or the caller's own mistake says nothing. */
function verdictOf(outcome: Outcome, options: NormalizedRetryOptions): AttemptVerdict {
  if ('response' in outcome) return 'success';
  const { error } = outcome;
  if (!isAxiosError(error) || isCancel(error)) return 'neutral';
  return isTransientFailure(error, options) ? 'failure' : 'neutral';
}

/** axios also accepts signal-like objects without listeners; only a real one can cut a wait short. */
function listenableSignal(signal: InternalAxiosRequestConfig['signal']): AbortSignal | undefined {
  return typeof signal?.addEventListener === 'function' ? (signal as AbortSignal) : undefined;
}

function configOf(error: unknown): InternalAxiosRequestConfig | undefined {
  return typeof error === 'object' && error !== null
    ? (error as { config?: InternalAxiosRequestConfig }).config
    : undefined;
}
