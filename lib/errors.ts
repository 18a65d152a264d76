import type { InternalAxiosRequestConfig } from 'axios';
import { AxiosError, CanceledError, isCancel } from 'axios';

/**
 * A request refused without touching the network because the circuit for its key is open.
 * An AxiosError, so code that handles axios errors handles it too.
 * @category Protections
 */
export class CircuitOpenError extends AxiosError {
  static readonly code = 'ERR_CIRCUIT_OPEN';
  /** The circuit's key: by default the origin of the request URL. */
  readonly key: string;
  /** Time until the circuit lets a probe through, in ms: `Infinity` while it is isolated (until `reset`). */
  readonly retryAfterMs: number;

  constructor(key: string, retryAfterMs: number, config?: InternalAxiosRequestConfig) {
    const until = Number.isFinite(retryAfterMs) ? `open; next probe in ${retryAfterMs}ms` : 'isolated until reset';
    super(`axios-rebound: circuit for ${key} is ${until}`, CircuitOpenError.code, config);
    this.name = 'CircuitOpenError';
    this.key = key;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * A request not sent because its origin is cooling down (a server said when to come back) and
 * waiting for that did not fit its deadline or `maxRetryAfter`. An AxiosError with the config.
 * @category Protections
 */
export class RateLimitedError extends AxiosError {
  static readonly code = 'ERR_RATE_LIMITED';
  /** Time until the origin may be asked again, in ms. */
  readonly retryAfterMs: number;

  constructor(retryAfterMs: number, config?: InternalAxiosRequestConfig) {
    super(
      `axios-rebound: rate limited; the server said to come back in ${retryAfterMs}ms`,
      RateLimitedError.code,
      config,
    );
    this.name = 'RateLimitedError';
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * A request rejected locally, before it was sent, by an adaptive throttle: the backend has been
 * refusing much of what it got, and this request drew the short straw. An AxiosError with the
 * config.
 * @category Protections
 */
export class ThrottledError extends AxiosError {
  static readonly code = 'ERR_THROTTLED';
  /** The throttle's key: by default the origin of the request URL. */
  readonly key: string;
  /** The share of requests the throttle was rejecting when it rejected this one, 0 to 1. */
  readonly probability: number;

  constructor(key: string, probability: number, config?: InternalAxiosRequestConfig) {
    super(
      `axios-rebound: throttled: ${key} has been refusing requests; ${Math.round(probability * 100)} % are rejected before they are sent`,
      ThrottledError.code,
      config,
    );
    this.name = 'ThrottledError';
    this.key = key;
    this.probability = probability;
  }
}

/**
 * axios's CanceledError for one call. Its constructor takes `(message, config, request)` on
 * every axios 1.x, though the types of axios before 1.18.1 declare AxiosError's instead.
 */
export function canceledError(message: string | undefined, config?: InternalAxiosRequestConfig, request?: unknown) {
  const Canceled = CanceledError as unknown as new (
    message?: string,
    config?: InternalAxiosRequestConfig,
    request?: unknown,
  ) => AxiosError;
  return new Canceled(message, config, request);
}

/**
 * axios's `isCancel`, typed for any value: the types of axios before 1.12 (1.17 for CommonJS)
 * narrow an AxiosError that is not a cancel to `never`.
 */
export const isCanceled: (value: unknown) => boolean = isCancel;
