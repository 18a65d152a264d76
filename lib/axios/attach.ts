import type { AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { normalizeOptions } from '../decide/options.js';
import { newIdempotencyKey } from '../decide/replay-safety.js';
import { InstanceScope } from '../run/scope.js';
import type { NormalizedRetryOptions, RetryOptions, RetryStats } from '../types.js';
import { attemptAdapter, refusingAdapter, restoreUserAdapter } from './attempt.js';
import type { Outcome } from './context.js';
import { RequestContext, requestOfError } from './context.js';
import { startCooldown } from './cooling.js';
import { captureRequest, requestAfterFirstAttempt } from './request.js';
import { handleFailure } from './retry-loop.js';
import { succeededFirstTime, takeReplay, track, trackFirstAttempt, trackingOf, untrack } from './tracking.js';

/** @category Attach */
export interface RetryHandle {
  /** The instance's options after defaults and validation. */
  readonly options: NormalizedRetryOptions;
  /**
   * Removes both interceptors: new requests are not retried. Requests under way finish under
   * the policy they started with (at most `retries + 1` attempts, each with its time limit).
   */
  detach(): void;
  /** A snapshot of what the instance's requests have done so far. Cheap. */
  stats(): RetryStats;
}

const attached = new WeakSet<AxiosInstance>();

/**
 * Attaches the retry policy to an axios instance (or to the default `axios`).
 * Throws a TypeError naming the option for an invalid one, and an Error if the instance
 * already has axios-rebound attached.
 * @category Attach
 */
export function attachRetry(instance: AxiosInstance, options?: Partial<RetryOptions>): RetryHandle {
  if (attached.has(instance)) {
    throw new Error(
      'axios-rebound: attachRetry was already called on this axios instance; call detach() on its handle first',
    );
  }
  const scope = new InstanceScope(normalizeOptions(options));
  // Request interceptors registered before ours run after ours (axios runs them in reverse).
  const handlers = (instance.interceptors.request as { handlers?: unknown[] }).handlers;
  const laterInterceptors = () => {
    if (!handlers) return true;
    for (let i = 0; i < requestId; i++) if (handlers[i]) return true;
    return false;
  };
  // Response interceptors registered before ours see an outcome first, and may replace it: then
  // only our adapter (the tracked path) sees every response, and the server times they carry.
  const responses = (instance.interceptors.response as { handlers?: unknown[] }).handlers;
  const earlierResponseInterceptors = () => {
    if (!responses) return true;
    for (let i = 0; i < responseId; i++) if (responses[i]) return true;
    return false;
  };
  let responseId = 0;
  const requestId = instance.interceptors.request.use(
    (config) => beforeAttempt(config, scope, instance, laterInterceptors, earlierResponseInterceptors),
    rethrow,
    { synchronous: true },
  );
  responseId = instance.interceptors.response.use(
    (response) => afterSuccess(response, scope, instance),
    (error: unknown) => afterFailure(error, scope, instance),
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
      attached.delete(instance);
      // The response interceptor stays until the calls under way have ended: their replays'
      // outcomes must still come back through it, or later interceptors would see them twice.
      scope.whenIdle(() => instance.interceptors.response.eject(responseId));
    },
  });
}

/** A rejection handler must be a function: axios before 1.19 calls it unconditionally. */
function rethrow(error: unknown): never {
  throw error;
}

/**
 * The request interceptor: tracks a new call, or lets one of our replays through. It never
 * throws: a problem with the call (a bad per-request option) fails it through its adapter.
 */
function beforeAttempt(
  config: InternalAxiosRequestConfig,
  scope: InstanceScope,
  instance: AxiosInstance,
  laterInterceptors: () => boolean,
  earlierResponseInterceptors: () => boolean,
): InternalAxiosRequestConfig {
  const replay = takeReplay(config, scope, instance);
  // Another attachment's replay (a call under way when it was detached) is not ours to touch.
  if (replay === 'other') return config;
  if (replay) {
    track(config, scope, replay.ours.context);
    return config;
  }
  // A fresh call, even if the config comes back from an earlier one (an auth refresh re-sends
  // it, or a user's interceptor copied a replay's, adapter included).
  restoreUserAdapter(config);
  // A call cancelled before it starts never reaches an adapter (axios throws first, and its
  // error leads back to no call): there is nothing to look after, and nothing to count.
  if (
    config.retry === false ||
    config.signal?.aborted ||
    (config.cancelToken as { reason?: unknown } | undefined)?.reason
  ) {
    untrack(config, scope);
    return config;
  }
  scope.begin();
  // A config re-sent from a call that retried carries the last retry's attempt header (a call
  // with options of its own is seen to by its first attempt, under those options).
  const { attemptHeader } = scope.options;
  if (attemptHeader && config.retry === undefined) removeHeader(config.headers, attemptHeader);
  // A replay is derived from the call as first seen: without a body, a signal, a token or a
  // request interceptor that runs after ours, the failed config is just that.
  const simple =
    scope.neverReplays || (config.data === undefined && !config.signal && !config.cancelToken && !laterInterceptors());
  // An origin may be cooling down: the request must then go through our adapter, which waits;
  // and with a cooldown, our adapter must see every response (see earlierResponseInterceptors).
  if (
    config.retry === undefined &&
    scope.fastPath &&
    simple &&
    !scope.cooling &&
    !(scope.options.cooldown && earlierResponseInterceptors())
  ) {
    // Nothing to look after until the first attempt fails: a start time, and no allocation.
    // (A body is kept as the caller gave it for replays; with a signal, our adapter gives axios
    // a child of it, so a signal shared by many calls carries one listener, not one per call.)
    if (scope.options.budget) scope.options.budget.recordRequest();
    trackFirstAttempt(config, scope);
    return config;
  }
  try {
    return startTracking(config, scope);
  } catch (error) {
    untrack(config, scope);
    config.adapter = refusingAdapter(error, config.adapter, scope);
    return config;
  }
}

function startTracking(config: InternalAxiosRequestConfig, scope: InstanceScope): InternalAxiosRequestConfig {
  const options =
    config.retry === undefined ? scope.options : scope.resolve(normalizeOptions(config.retry, scope.options, 'retry'));
  const key = options.idempotencyKey;
  if (
    key !== false &&
    key.methods.includes((config.method ?? 'get').toUpperCase()) &&
    !config.headers.has(key.header)
  ) {
    const value = newIdempotencyKey(key);
    config.headers.set(key.header, key.format === 'sf-string' ? sfString(value) : value);
  }
  const context = new RequestContext(options, scope, config, captureRequest(config));
  context.adapter = attemptAdapter(context, config.adapter);
  config.adapter = context.adapter;
  track(config, scope, context);
  return config;
}

/**
 * A key as a Structured Field String (RFC 8941 §3.3.3): quoted, with `\` and `"` escaped. Only
 * printable ASCII can be one.
 */
function sfString(key: string): string {
  if (!/^[\x20-\x7e]*$/.test(key)) {
    throw new TypeError(
      `axios-rebound: idempotencyKey.generate must return printable ASCII for format 'sf-string', got ${JSON.stringify(key)}`,
    );
  }
  return `"${key.replace(/[\\"]/g, '\\$&')}"`;
}

/** The response interceptor's success side; a fast-path first attempt only records its time. */
function afterSuccess(response: AxiosResponse, scope: InstanceScope, instance: AxiosInstance) {
  // A response interceptor before ours may hand on anything, not only a response.
  const config = (response as AxiosResponse | undefined)?.config;
  const tracking = trackingOf(config, scope);
  if (tracking instanceof RequestContext) return afterOutcome(tracking, { response }, instance);
  if (typeof tracking !== 'number' || !config) return response;
  startCooldown(scope.options, config, response);
  scope.attempts += 1;
  scope.settle(undefined, 'success');
  succeededFirstTime(config, response, scope.options.retries, tracking, scope);
  return response;
}

function afterFailure(error: unknown, scope: InstanceScope, instance: AxiosInstance) {
  const context = contextOf(error, scope);
  if (!context) throw error;
  return afterOutcome(context, { error }, instance);
}

/**
 * In a replay, hands the outcome to the retry loop waiting in the original call and returns a
 * promise that never settles, so that response interceptors added after this one do not run
 * inside the replay and again in the original call: they see the final outcome once. That
 * abandoned chain holds no timer or socket and is garbage-collected with the replay.
 */
function afterOutcome(
  context: RequestContext,
  outcome: Outcome,
  instance: AxiosInstance,
): AxiosResponse | Promise<AxiosResponse> {
  const capture = context.capture;
  if (capture) {
    context.capture = undefined;
    capture(outcome);
    return new Promise<never>(() => {});
  }
  // An outcome of a call that has already ended (a user's code handed an old one on): not ours.
  if (context.settled) {
    if ('response' in outcome) return outcome.response;
    throw outcome.error;
  }
  if ('response' in outcome) {
    context.scope.settle(context, 'success');
    return outcome.response;
  }
  return handleFailure(context, outcome.error, instance);
}

/** The failed request's context; a fast-path first attempt gets one now, when it has failed. */
function contextOf(error: unknown, scope: InstanceScope, depth = 0): RequestContext | undefined {
  const config =
    typeof error === 'object' && error !== null ? (error as { config?: InternalAxiosRequestConfig }).config : undefined;
  if (!config) {
    // A user's interceptor may have wrapped the attempt's error (`cause`): the call is still ours.
    const cause = depth < 8 ? (error as { cause?: unknown } | undefined)?.cause : undefined;
    const context = requestOfError(error) ?? (cause === undefined ? undefined : contextOf(cause, scope, depth + 1));
    return context?.scope === scope ? context : undefined;
  }
  const tracking = trackingOf(config, scope);
  if (tracking instanceof RequestContext) return tracking;
  if (typeof tracking !== 'number') return undefined;
  const started = tracking;
  const request = requestAfterFirstAttempt(config);
  const context = new RequestContext(scope.options, scope, config, request, started, scope.wallClock.wallAt(started));
  context.state.attempt = 1;
  scope.attempts += 1;
  context.recordAttempt({ error }, started);
  const { response } = error as { response?: AxiosResponse };
  context.heldByCooldown = startCooldown(scope.options, config, response) && response?.status === 429;
  context.adapter = attemptAdapter(context, config.adapter);
  track(config, scope, context);
  return context;
}

/**
 * Removes a header in any case. A request interceptor of the user's that runs before ours may
 * have made the headers a plain object (`{ ...config.headers }`); axios makes them AxiosHeaders
 * again only after every interceptor.
 */
function removeHeader(headers: InternalAxiosRequestConfig['headers'] | Record<string, unknown>, name: string): void {
  if (typeof headers.delete === 'function') {
    headers.delete(name);
    return;
  }
  const lower = name.toLowerCase();
  for (const key of Object.keys(headers)) if (key.toLowerCase() === lower) delete headers[key];
}
