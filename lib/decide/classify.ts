import type { AxiosError } from 'axios';
import { isAxiosError } from 'axios';
import { isCanceled } from '../errors.js';
import type { NormalizedRetryOptions, StatusCodeRule } from '../types.js';
import { idempotencyKeyOf, isSafeToRepeat } from './replay-safety.js';
import { parseRetryAfter } from './retry-after.js';
import { headerReader, serverVerdict } from './server-time.js';

/*
 * The rules. A failure is judged by its root cause: the first `code` found walking the `cause`
 * chain, past axios's wrappers, so that one failure gets one verdict whichever adapter saw it
 * (the http adapter puts the system code on the error; the fetch adapter says ERR_NETWORK and
 * puts it in `cause`, sometimes a level deeper). Each code's reason, in one line:
 *
 *   ECONNRESET, EPIPE, UND_ERR_SOCKET     the peer or a middlebox dropped the connection
 *   ECONNREFUSED                          nothing listening yet (restart, deploy)
 *   ERR_SOCKET_CLOSED_BEFORE_CONNECTION   Node's code, to a write queued on a socket that closed
 *                                         while connecting: a refused or failed connect
 *   ETIMEDOUT, ECONNABORTED, ERR_SOCKET_CONNECTION_TIMEOUT, UND_ERR_CONNECT_TIMEOUT,
 *   UND_ERR_HEADERS_TIMEOUT, UND_ERR_BODY_TIMEOUT
 *                                         a timeout: axios's, ours, Node's or undici's
 *   EAI_AGAIN                             the resolver failed for now; the name may exist
 *   ENETUNREACH, ENETDOWN                 no route or interface: a link, VPN or route that flaps
 *   EHOSTUNREACH, EHOSTDOWN               the host or the path to it is down: rebooting, moving
 *                                         (undici's RetryHandler retries these four by default)
 *   ERR_HTTP2_SESSION_ERROR               GOAWAY with an error: HTTP/2's connection reset
 *   ERR_HTTP2_STREAM_ERROR                RST_STREAM: HTTP/2's reset, except HTTP_1_1_REQUIRED
 *                                         and INADEQUATE_SECURITY, which will not change
 *   ERR_NETWORK, with no code beneath it  a browser (XHR, fetch) hides the cause; assume network
 *   a body cut off                        http adapter 'stream has been aborted' (axios 1.7.0:
 *                                         'maxContentLength size of -1 exceeded'), undici
 *                                         'terminated', Node 'socket hang up'
 *
 * All of them are retried only for a method that is safe to repeat, except a stream refused
 * with NGHTTP2_REFUSED_STREAM (also what a GOAWAY does to streams above its last id): the server
 * did not process it (RFC 9113 §8.7), so any method may be sent again.
 * Any other root code is not retried: ENOTFOUND (the name does not exist), TLS certificate
 * errors, ERR_CANCELED, ERR_BAD_OPTION*, ERR_INVALID_URL, ERR_FR_TOO_MANY_REDIRECTS.
 */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
  'ECONNREFUSED',
  'ERR_SOCKET_CLOSED_BEFORE_CONNECTION',
  'ETIMEDOUT',
  'ECONNABORTED',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ERR_HTTP2_SESSION_ERROR',
]);
const CUT_OFF_MESSAGES: ReadonlySet<string> = new Set([
  'stream has been aborted',
  'maxContentLength size of -1 exceeded',
  'terminated',
  'socket hang up',
]);
/** Node names the RST_STREAM code only in the message: "Stream closed with error code NGHTTP2_…". */
const H2_REFUSED = /NGHTTP2_REFUSED_STREAM$/;
const H2_PERMANENT = /NGHTTP2_(HTTP_1_1_REQUIRED|INADEQUATE_SECURITY)$/;
/** How far down `cause` to look; also what ends a cycle. */
const MAX_CAUSE_DEPTH = 8;

type FailureKind = 'status' | 'network' | 'unprocessed';

export type ClassifyOptions = Pick<
  NormalizedRetryOptions,
  'statusCodes' | 'methods' | 'retryOnNetworkError' | 'idempotencyKey' | 'respectShouldRetry'
>;

/**
 * The built-in classification: would this failure be retried, ignoring retry counts,
 * deadlines and budgets? `shouldRetry` replaces exactly this.
 * @category Helpers
 */
export function isRetryable(error: unknown, options: ClassifyOptions): boolean {
  if (!isAxiosError(error) || isCanceled(error) || !error.config) return false;
  const kind = failureKind(error, options);
  if (kind === 'unprocessed') return options.retryOnNetworkError;
  if (!isSafeToRepeat(error.config, options)) return false;
  if (kind === 'network') return options.retryOnNetworkError;
  return error.response
    ? statusRetryable(error as AxiosError & { response: object }, options, kind === 'status')
    : false;
}

/*
 * A response's status, beyond `statusCodes` (README, "Rate limits and conflicts"):
 *   400           never: the request is wrong (or lacks a key the server requires)
 *   422 + key     never: the key was used before with another payload ('idempotency-key-mismatch')
 *   x-should-retry / Stripe-Should-Retry: the server's verdict, when it gives one
 *   409 + key     retried: the first request with this key is still being processed
 *                 (IETF Idempotency-Key draft); the key stays the same
 *   413           retried only with a Retry-After: the condition is temporary (RFC 9110 §15.5.14)
 */
function statusRetryable(error: AxiosError & { response: object }, options: ClassifyOptions, listed: boolean) {
  const { status, headers } = error.response as { status: number; headers: unknown };
  const keyed = error.config !== undefined && idempotencyKeyOf(error.config, options) !== undefined;
  if (status === 400 || (status === 422 && keyed)) return false;
  const read = headerReader(headers);
  const verdict = options.respectShouldRetry ? serverVerdict(read) : undefined;
  if (verdict !== undefined) return verdict;
  if (status === 409) return keyed || listed;
  if (status === 413) return parseRetryAfter(read('retry-after')) !== undefined;
  return listed;
}

/**
 * What a failed response rules out whatever `shouldRetry` says: a 422 to a request with an
 * idempotency key (retrying can never succeed), or the server's `x-should-retry: false`.
 */
export function responseStop(
  error: unknown,
  options: Pick<NormalizedRetryOptions, 'methods' | 'idempotencyKey' | 'respectShouldRetry'>,
): 'idempotency-key-mismatch' | 'server-declined' | undefined {
  if (!isAxiosError(error) || !error.response || !error.config) return undefined;
  if (error.response.status === 422 && idempotencyKeyOf(error.config, options) !== undefined) {
    return 'idempotency-key-mismatch';
  }
  if (options.respectShouldRetry && serverVerdict(headerReader(error.response.headers)) === false) {
    return 'server-declined';
  }
  return undefined;
}

/**
 * May this failed request be sent again at all, whatever `shouldRetry` says: its method is
 * safe to repeat, it carries an idempotency key, or the server never processed it (a refused
 * HTTP/2 stream). A POST without a key is never sent twice.
 */
export function mayResend(error: unknown, options: ClassifyOptions): boolean {
  if (!isAxiosError(error) || !error.config) return false;
  return isSafeToRepeat(error.config, options) || failureKind(error, options) === 'unprocessed';
}

/**
 * What a failure says of the dependency, for a circuit breaker: `'failure'` when it is
 * struggling (a transient axios failure, or any other error but an abort), `'neutral'` when the
 * caller gave up or was wrong (a cancel, a 4xx other than 408/429).
 */
export function failureVerdict(
  error: unknown,
  options: Pick<NormalizedRetryOptions, 'statusCodes'>,
): 'failure' | 'neutral' {
  if (isAbortError(error)) return 'neutral';
  return !isAxiosError(error) || isTransientFailure(error, options) ? 'failure' : 'neutral';
}

/**
 * A failure that says the service is struggling rather than that the request is wrong: a
 * status in `statusCodes`, or no (complete) response at all: reset, refused, timeout, a body
 * cut off. What the circuit breaker counts, whatever the method.
 */
export function isTransientFailure(error: AxiosError, options: Pick<NormalizedRetryOptions, 'statusCodes'>): boolean {
  return failureKind(error, options) !== undefined;
}

function failureKind(error: AxiosError, options: Pick<NormalizedRetryOptions, 'statusCodes'>): FailureKind | undefined {
  // First the root cause: a body cut off arrives with the (complete-looking) response it cut.
  const root = rootFailure(error);
  if (root !== undefined || !error.response) return root;
  return matchesStatus(error.response.status, options.statusCodes) ? 'status' : undefined;
}

/** The verdict of the first code down the `cause` chain that is not a wrapper's ERR_NETWORK. */
function rootFailure(error: unknown): 'network' | 'unprocessed' | undefined {
  let fallback: 'network' | undefined;
  let link = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && typeof link === 'object' && link !== null; depth++) {
    const code = read(link, 'code');
    const text = read(link, 'message');
    const message = typeof text === 'string' ? text : '';
    if (typeof code === 'string' && code !== 'ERR_NETWORK') return verdictOf(code, message);
    if (code === 'ERR_NETWORK' || CUT_OFF_MESSAGES.has(message)) fallback = 'network';
    link = read(link, 'cause');
  }
  return fallback;
}

function verdictOf(code: string, message: string): 'network' | 'unprocessed' | undefined {
  if (code === 'ERR_HTTP2_STREAM_ERROR') {
    if (H2_REFUSED.test(message)) return 'unprocessed';
    return H2_PERMANENT.test(message) ? undefined : 'network';
  }
  return NETWORK_CODES.has(code) || CUT_OFF_MESSAGES.has(message) ? 'network' : undefined;
}

/** A property, or undefined when its getter throws (Safari's branded DOMException getters do). */
function read(object: object, key: string): unknown {
  try {
    return (object as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function matchesStatus(status: number, rules: readonly StatusCodeRule[]): boolean {
  return rules.some((rule) => (typeof rule === 'number' ? rule === status : status >= rule[0] && status <= rule[1]));
}

/** An abort: axios's cancel, or an `AbortError` from fetch, a signal or an SDK. */
export function isAbortError(error: unknown): boolean {
  return isCanceled(error) || (error instanceof Error && error.name === 'AbortError');
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
