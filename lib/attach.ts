import type { AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { contextOf, RequestContext, setContext } from './context.js';
import type { Outcome } from './context.js';
import { idempotencyKeyOf } from './classify.js';
import { normalizeOptions } from './options.js';
import { handleFailure } from './retry-loop.js';
import type { NormalizedRetryOptions, RetryOptions } from './types.js';

export interface RetryHandle {
  /** The instance's options after defaults and validation. */
  readonly options: NormalizedRetryOptions;
  /** Removes both interceptors. Requests under way finish under the policy they started with. */
  detach(): void;
}

const attached = new WeakSet<AxiosInstance>();

/**
 * Attaches the retry policy to an axios instance (or to the default `axios`).
 * Throws a TypeError naming the option for an invalid one, and an Error if the instance
 * already has axios-rebound attached.
 */
export function attachRetry(instance: AxiosInstance, options?: Partial<RetryOptions>): RetryHandle {
  if (attached.has(instance)) {
    throw new Error('axios-rebound: attachRetry was already called on this axios instance; call detach() on its handle first');
  }
  const normalized = normalizeOptions(options);
  const requestId = instance.interceptors.request.use((config) => beforeAttempt(config, normalized), undefined, {
    synchronous: true,
  });
  const responseId = instance.interceptors.response.use(
    (response) => afterAttempt(response.config, { response }, instance),
    (error: unknown) => afterAttempt(configOf(error), { error }, instance),
  );
  attached.add(instance);
  let detached = false;
  return Object.freeze({
    options: normalized,
    detach() {
      if (detached) return;
      detached = true;
      instance.interceptors.request.eject(requestId);
      instance.interceptors.response.eject(responseId);
      attached.delete(instance);
    },
  });
}

/** The request interceptor: starts a request's context, or the next attempt of a replay. */
function beforeAttempt(config: InternalAxiosRequestConfig, instanceOptions: NormalizedRetryOptions) {
  const now = Date.now();
  const existing = contextOf(config);
  // A context without a pending capture is left over from an earlier call whose config was reused.
  if (existing?.capture) {
    existing.beginAttempt(config, now);
    return config;
  }
  if (config.retry === false) return config;
  const options = normalizeOptions(config.retry, instanceOptions, 'retry');
  const context = new RequestContext(options, listenableSignal(config.signal), now);
  const key = options.idempotencyKey;
  if (key && key.methods.includes((config.method ?? 'get').toUpperCase()) && !config.headers.has(key.header)) {
    const generated: unknown = key.generate();
    if (typeof generated !== 'string' || generated === '') {
      throw new TypeError(`axios-rebound: idempotencyKey.generate must return a non-empty string, got ${String(generated)}`);
    }
    config.headers.set(key.header, generated);
  }
  const idempotencyKey = idempotencyKeyOf(config, options);
  if (idempotencyKey !== undefined) context.state.idempotencyKey = idempotencyKey;
  setContext(config, context);
  context.beginAttempt(config, now);
  return config;
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
  instance: AxiosInstance,
): AxiosResponse | Promise<AxiosResponse> {
  const context = contextOf(config);
  if (!context) {
    if ('response' in outcome) return outcome.response;
    throw outcome.error;
  }
  const settled = context.endAttempt(outcome, Date.now());
  const capture = context.capture;
  if (capture) {
    context.capture = undefined;
    capture(settled);
    return new Promise<never>(() => {});
  }
  if ('response' in settled) return settled.response;
  return handleFailure(context, settled.error, instance);
}

/** axios also accepts signal-like objects without listeners; only a real one can cut a wait short. */
function listenableSignal(signal: InternalAxiosRequestConfig['signal']): AbortSignal | undefined {
  return typeof signal?.addEventListener === 'function' ? (signal as AbortSignal) : undefined;
}

function configOf(error: unknown): InternalAxiosRequestConfig | undefined {
  return typeof error === 'object' && error !== null ? (error as { config?: InternalAxiosRequestConfig }).config : undefined;
}
