import type { InternalAxiosRequestConfig } from 'axios';
import { text } from '../decide/validate.js';
import type { AttemptRecord, Logger, RetryBudgetLike, RetryState, StopReason } from '../types.js';

/** What a log line is about: `GET https://…` for a request, a name for `retry(fn)`. */
export interface Subject {
  readonly name: string;
  readonly tags: readonly string[];
}

type Level = 'info' | 'warn' | 'error';

/**
 * Writes a line to the user's logger, if it has that level. A logger is an observer: if it
 * throws, the call's outcome stands, and the failure is reported once (see `observe`).
 */
export function log(logger: Logger | undefined, level: Level, line: string): void {
  let write: unknown;
  try {
    write = logger?.[level];
  } catch (error) {
    // Even reading the method may throw (a getter): an observer's failure all the same.
    if (logger) reportOnce(logger, `logger.${level}`, error);
    return;
  }
  if (typeof write !== 'function') return;
  observe((text: string) => write.call(logger, text), `logger.${level}`, line, write);
}

/**
 * Calls an observer (a logger's method, `onCircuitStateChange`, `onProgress`): what it throws,
 * or the promise (any thenable) it returns rejects with, is contained and reported once per
 * observer (`reported`, the hook itself by default).
 */
export function observe<A>(
  hook: ((arg: A) => unknown) | undefined,
  name: string,
  arg: A,
  reported: object | undefined = hook,
): void {
  if (!hook || !reported) return;
  try {
    const result = hook(arg) as { then?: unknown } | undefined;
    if (typeof result?.then === 'function') {
      (result as PromiseLike<unknown>).then(undefined, (error: unknown) => reportOnce(reported, name, error));
    }
  } catch (error) {
    reportOnce(reported, name, error);
  }
}

const reported = new WeakSet<object>();

/** The first failure of each observer goes to `process.emitWarning` (or `console.warn` in a browser). */
export function reportOnce(observer: object, name: string, error: unknown): void {
  if (reported.has(observer)) return;
  reported.add(observer);
  // `text`, not `String`: a thrown object without a prototype must not turn a report into a throw.
  const message = `axios-rebound: ${name} threw (${text(error)}); ignored, the call goes on. Reported once.`;
  const host = (globalThis as { process?: { emitWarning?: (message: string, options: object) => void } }).process;
  if (typeof host?.emitWarning === 'function') host.emitWarning(message, { code: 'AXIOS_REBOUND_OBSERVER_FAILED' });
  else console.warn(message);
}

/**
 * The level of a give-up line, if any. A failure that was never retried and that no protection
 * refused to retry (a 404, a POST without a key, a cancel) is the caller's to handle and log:
 * no line, as with pino or winston a library does not log what it hands back to its caller.
 * A retryable failure that a protection (budget, breaker, deadline, Retry-After) kept from
 * being retried is a warning; giving up after retries is an error, unless the caller aborted.
 */
export function giveUpLevel(state: RetryState, reason: StopReason): Level | undefined {
  const retried = state.attempt > 1;
  if (reason === 'aborted') return retried ? 'info' : undefined;
  if (retried) return 'error';
  return reason === 'not-retryable' || reason === 'body-not-replayable' || reason === 'hook-error' ? undefined : 'warn';
}

/** One line per retry (warn), per give-up (see `giveUpLevel`) and per success after retries (info). */
export function retryLine(subject: Subject, state: RetryState, delayMs: number): string {
  return `${head(subject, state)} failed ${outcome(state)}; retrying in ${delayMs}ms${tail(subject)}`;
}

export function giveUpLine(subject: Subject, state: RetryState, reason: string): string {
  return `${head(subject, state)} failed ${outcome(state)}; giving up (${reason})${tail(subject)}`;
}

export function successLine(subject: Subject, state: RetryState, elapsedMs: number): string {
  const retries = state.attempt - 1;
  return (
    `${head(subject, state)} succeeded ${outcome(state)} after ${retries} ${retries === 1 ? 'retry' : 'retries'},` +
    ` ${Math.round(elapsedMs)}ms in total${tail(subject)}`
  );
}

/** A hedge sent (info): the attempt had no answer after `delayMs`, so another copy of it went. */
export function hedgeLine(subject: Subject, state: RetryState, delayMs: number, copy: number): string {
  return `${head(subject, state)} had no answer in ${Math.round(delayMs)}ms; hedging with copy ${copy}${tail(subject)}`;
}

export function budgetLine(budget: RetryBudgetLike): string {
  const { ratio, minRetriesPerSecond } = budget.options;
  return (
    `axios-rebound: retry budget exhausted (retries are capped at ${ratio * 100}% of first attempts ` +
    `plus ${minRetriesPerSecond}/s); failing without retrying. This is logged once per window.`
  );
}

/**
 * A request as log lines name it: method, URL, its idempotency key and X-Request-ID. The URL
 * never shows credentials (`user:pass@`) nor query values (`?api_key=***`): only their names.
 */
export function requestSubject(config: InternalAxiosRequestConfig, state: RetryState): Subject {
  const tags: string[] = [];
  if (state.idempotencyKey !== undefined) tags.push(`idempotency-key=${state.idempotencyKey}`);
  const requestId = config.headers?.get?.('X-Request-ID');
  if (typeof requestId === 'string') tags.push(`x-request-id=${requestId}`);
  return { name: `${(config.method ?? 'get').toUpperCase()} ${redact(fullUrl(config))}`, tags };
}

function head(subject: Subject, state: RetryState): string {
  return `axios-rebound: ${subject.name} attempt ${state.attempt}/${state.retries + 1}`;
}

function outcome(state: RetryState): string {
  const last: AttemptRecord | undefined = state.history[state.history.length - 1];
  if (!last) return '(not sent)';
  const what = last.status ?? last.code;
  return what === undefined ? `(in ${last.durationMs}ms)` : `(${what} in ${last.durationMs}ms)`;
}

function tail(subject: Subject): string {
  return subject.tags.length ? ` [${subject.tags.join(' ')}]` : '';
}

function fullUrl(config: InternalAxiosRequestConfig): string {
  const url = config.url ?? '';
  if (!config.baseURL || ABSOLUTE.test(url)) return url;
  return `${config.baseURL.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`;
}

/** What axios treats as absolute: a scheme, or a protocol-relative `//host`. */
const ABSOLUTE = /^([a-z][a-z\d+.-]*:)?\/\//i;

/** The URL without its credentials, query values and fragment. */
export function redact(url: string): string {
  const withoutCredentials = url.replace(/^(([a-z][a-z\d+.-]*:)?\/\/)[^/?#]*@/i, '$1');
  const [beforeFragment = ''] = withoutCredentials.split('#', 1);
  const query = beforeFragment.indexOf('?');
  if (query < 0) return beforeFragment;
  const names = beforeFragment
    .slice(query + 1)
    .split('&')
    .filter((pair) => pair !== '')
    // A pair without `=` may be a bare token: nothing of it is shown.
    .map((pair) => (pair.includes('=') ? `${pair.split('=', 1)[0]}=***` : '***'));
  return beforeFragment.slice(0, query) + (names.length ? `?${names.join('&')}` : '');
}
