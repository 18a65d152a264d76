import type { AxiosError } from 'axios';
import { isAxiosError, isCancel } from 'axios';
import { isSafeToRepeat } from './replay-safety.js';
import type { NormalizedRetryOptions, StatusCodeRule } from './types.js';

// Here for the modules that have always imported them from this one.
export { idempotencyKeyOf, isReplayableBody } from './replay-safety.js';

/**
 * Error codes that mean no response arrived and the request may simply be tried again.
 * ECONNABORTED and ETIMEDOUT are also what axios uses for its own timeouts. Deliberately
 * absent: ERR_CANCELED (the caller gave up), ERR_BAD_OPTION*, ERR_INVALID_URL,
 * ERR_FR_TOO_MANY_REDIRECTS and ENOTFOUND (trying again cannot fix them).
 */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ECONNABORTED',
  'ERR_NETWORK',
]);

export type ClassifyOptions = Pick<
  NormalizedRetryOptions,
  'statusCodes' | 'methods' | 'retryOnNetworkError' | 'idempotencyKey'
>;

/**
 * The built-in classification: would this failure be retried, ignoring retry counts,
 * deadlines and budgets? `shouldRetry` replaces exactly this.
 */
export function isRetryable(error: unknown, options: ClassifyOptions): boolean {
  if (!isAxiosError(error) || isCancel(error) || !error.config) return false;
  if (!isSafeToRepeat(error.config, options)) return false;
  const kind = failureKind(error, options);
  return kind === 'status' || (kind === 'network' && options.retryOnNetworkError);
}

/**
 * A failure that says the service is struggling rather than that the request is wrong: a
 * status in `statusCodes`, or no (complete) response at all: reset, refused, timeout, a body
 * cut off. What the circuit breaker counts, whatever the method.
 */
export function isTransientFailure(error: AxiosError, options: Pick<NormalizedRetryOptions, 'statusCodes'>): boolean {
  return failureKind(error, options) !== undefined;
}

function failureKind(
  error: AxiosError,
  options: Pick<NormalizedRetryOptions, 'statusCodes'>,
): 'status' | 'network' | undefined {
  // axios's Node adapter reports a response body that the peer cut off with this message and
  // the (complete-looking) response; it is a network failure, not the status it carries.
  const truncated = error.code === 'ERR_BAD_RESPONSE' && error.message === 'stream has been aborted';
  if (error.response && !truncated)
    return matchesStatus(error.response.status, options.statusCodes) ? 'status' : undefined;
  return truncated || isNetworkFailure(error.code, error.message) ? 'network' : undefined;
}

function isNetworkFailure(code: string | undefined, message: string): boolean {
  return (code !== undefined && NETWORK_CODES.has(code)) || message === 'socket hang up';
}

function matchesStatus(status: number, rules: readonly StatusCodeRule[]): boolean {
  return rules.some((rule) => (typeof rule === 'number' ? rule === status : status >= rule[0] && status <= rule[1]));
}

/** An abort: axios's cancel, or an `AbortError` from fetch, a signal or an SDK. */
export function isAbortError(error: unknown): boolean {
  return isCancel(error) || (error instanceof Error && error.name === 'AbortError');
}

/** What an attempt record says of a failure: its status and code, or the error's name. */
export function describeFailure(error: unknown): { status?: number; code?: string } {
  if (isAxiosError(error)) {
    const status = error.response?.status;
    return { ...(status === undefined ? {} : { status }), ...(error.code === undefined ? {} : { code: error.code }) };
  }
  if (typeof error === 'object' && error !== null) {
    const { code, name } = error as { code?: unknown; name?: unknown };
    if (typeof code === 'string') return { code };
    if (typeof name === 'string') return { code: name };
  }
  return {};
}
