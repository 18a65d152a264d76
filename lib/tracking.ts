import type { AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { idempotencyKeyOf } from './classify.js';
import { RequestContext } from './context.js';
import type { RetryState } from './types.js';

/**
 * The key under which a request's tracking travels in its config. A string, because older
 * axios 1.x drops symbol keys when it merges configs. Its value is one of:
 *
 * - a number: the start time of a first attempt on the fast path (no timeout, breaker, key or
 *   per-request options to look after), relative to `EPOCH` so that V8 keeps it a small
 *   integer: an in-flight request that never fails costs no allocation at all;
 * - a `FirstAttemptSuccess`: that attempt succeeded;
 * - a `RequestContext`: everything else. A class instance, which axios's config merge keeps by
 *   identity (plain objects would be deep-copied on every replay).
 */
const TRACKING_KEY = 'axios-rebound';
export const EPOCH = Date.now();

type Tracking = number | FirstAttemptSuccess | RequestContext;
type TrackedConfig = InternalAxiosRequestConfig & { [TRACKING_KEY]?: Tracking };

/** The story of a first attempt that succeeded on the fast path, built when asked for. */
class FirstAttemptSuccess {
  constructor(
    readonly retries: number,
    readonly startedAt: number,
    readonly durationMs: number,
    readonly status: number,
  ) {}

  state(config: InternalAxiosRequestConfig): RetryState {
    const key = idempotencyKeyOf(config, { idempotencyKey: false });
    return {
      attempt: 1,
      retries: this.retries,
      startedAt: this.startedAt,
      ...(key === undefined ? {} : { idempotencyKey: key }),
      history: [{ attempt: 1, status: this.status, durationMs: this.durationMs }],
    };
  }

  /** What `JSON.stringify` (and axios's `error.toJSON()`) shows: the story, not the class. */
  toJSON(): object {
    return { attempt: 1, retries: this.retries, startedAt: this.startedAt };
  }
}

export function trackingOf(config: InternalAxiosRequestConfig | undefined): Tracking | undefined {
  return (config as TrackedConfig | undefined)?.[TRACKING_KEY];
}

export function track(config: InternalAxiosRequestConfig, tracking: Tracking): void {
  (config as TrackedConfig)[TRACKING_KEY] = tracking;
}

/** Marks a fast-path first attempt's success, from the start time `track` was given. */
export function succeededFirstTime(
  config: InternalAxiosRequestConfig,
  response: AxiosResponse,
  retries: number,
  startedAt: number,
): void {
  const now = Date.now();
  track(config, new FirstAttemptSuccess(retries, startedAt + EPOCH, now - EPOCH - startedAt, response.status));
}

/** Stories of failures that are not axios requests (`retry(fn)`), by the error thrown. */
const fnStates = new WeakMap<object, RetryState>();

/** Lets `getRetryState(error)` tell the story of a `retry(fn)` that failed with `error`. */
export function rememberState(error: unknown, state: RetryState): void {
  if (typeof error === 'object' && error !== null) fnStates.set(error, state);
}

/**
 * The retry story of a request: pass its config, its response, or the error the call
 * rejected with. Plain data (safe to log or `JSON.stringify`); `undefined` when the request
 * did not go through axios-rebound, or while its first attempt is still on its way.
 */
export function getRetryState(configOrError: unknown): RetryState | undefined {
  if (typeof configOrError !== 'object' || configOrError === null) return undefined;
  const remembered = fnStates.get(configOrError);
  if (remembered) return remembered;
  const holder = configOrError as { config?: unknown };
  const config = (holder.config ?? configOrError) as InternalAxiosRequestConfig;
  const tracking = trackingOf(config);
  if (tracking instanceof RequestContext) return tracking.state;
  if (tracking instanceof FirstAttemptSuccess) return tracking.state(config);
  return undefined;
}
