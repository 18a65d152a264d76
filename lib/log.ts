import type { InternalAxiosRequestConfig } from 'axios';
import type { RetryBudget } from './budget.js';
import type { AttemptRecord, RetryState } from './types.js';

/** What a log line is about: `GET https://…` for a request, a name for `retry(fn)`. */
export interface Subject {
  readonly name: string;
  readonly tags: readonly string[];
}

/** One line per retry (warn), per give-up (error) and per success after retries (info). */
export function retryLine(subject: Subject, state: RetryState, delayMs: number): string {
  return `${head(subject, state)} failed ${outcome(state)}; retrying in ${delayMs}ms${tail(subject)}`;
}

export function giveUpLine(subject: Subject, state: RetryState, reason: string): string {
  return `${head(subject, state)} failed ${outcome(state)}; giving up (${reason})${tail(subject)}`;
}

export function successLine(subject: Subject, state: RetryState, now: number): string {
  const retries = state.attempt - 1;
  return (
    `${head(subject, state)} succeeded ${outcome(state)} after ${retries} ${retries === 1 ? 'retry' : 'retries'},` +
    ` ${now - state.startedAt}ms in total${tail(subject)}`
  );
}

export function budgetLine(budget: RetryBudget): string {
  const { ratio, minRetriesPerSecond } = budget.options;
  return (
    `axios-rebound: retry budget exhausted (retries are capped at ${ratio * 100}% of first attempts ` +
    `plus ${minRetriesPerSecond}/s); failing without retrying. This is logged once per window.`
  );
}

/** A request as log lines name it: method, full URL, its idempotency key and X-Request-ID. */
export function requestSubject(config: InternalAxiosRequestConfig, state: RetryState): Subject {
  const tags: string[] = [];
  if (state.idempotencyKey !== undefined) tags.push(`idempotency-key=${state.idempotencyKey}`);
  const requestId = config.headers?.get?.('X-Request-ID');
  if (typeof requestId === 'string') tags.push(`x-request-id=${requestId}`);
  return { name: `${(config.method ?? 'get').toUpperCase()} ${fullUrl(config)}`, tags };
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
  if (!config.baseURL || /^[a-z][a-z\d+.-]*:\/\//i.test(url)) return url;
  return `${config.baseURL.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`;
}
