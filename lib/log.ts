import type { InternalAxiosRequestConfig } from 'axios';
import type { RetryBudget } from './budget.js';
import type { AttemptRecord, RetryState } from './types.js';

/** One line per retry (warn), per give-up (error) and per success after retries (info). */
export function retryLine(config: InternalAxiosRequestConfig, state: RetryState, delayMs: number): string {
  return `${head(config, state)} failed ${outcome(state)}; retrying in ${delayMs}ms${tail(config, state)}`;
}

export function giveUpLine(config: InternalAxiosRequestConfig, state: RetryState, reason: string): string {
  return `${head(config, state)} failed ${outcome(state)}; giving up (${reason})${tail(config, state)}`;
}

export function successLine(config: InternalAxiosRequestConfig, state: RetryState, now: number): string {
  const retries = state.attempt - 1;
  return (
    `${head(config, state)} succeeded ${outcome(state)} after ${retries} ${retries === 1 ? 'retry' : 'retries'},` +
    ` ${now - state.startedAt}ms in total${tail(config, state)}`
  );
}

export function budgetLine(budget: RetryBudget): string {
  const { ratio, minRetriesPerSecond, windowMs } = budget.options;
  return (
    `axios-rebound: retry budget exhausted (retries are capped at ${ratio * 100}% of requests ` +
    `plus ${minRetriesPerSecond}/s over ${windowMs}ms); failing without retrying. This is logged once per window.`
  );
}

function head(config: InternalAxiosRequestConfig, state: RetryState): string {
  const method = (config.method ?? 'get').toUpperCase();
  return `axios-rebound: ${method} ${fullUrl(config)} attempt ${state.attempt}/${state.retries + 1}`;
}

function outcome(state: RetryState): string {
  const last: AttemptRecord | undefined = state.history[state.history.length - 1];
  if (!last) return '(not sent)';
  const what = last.status === undefined ? (last.code ?? 'error') : String(last.status);
  return `(${what} in ${last.durationMs}ms)`;
}

function tail(config: InternalAxiosRequestConfig, state: RetryState): string {
  const parts: string[] = [];
  if (state.idempotencyKey !== undefined) parts.push(`idempotency-key=${state.idempotencyKey}`);
  const requestId = config.headers?.get?.('X-Request-ID');
  if (typeof requestId === 'string') parts.push(`x-request-id=${requestId}`);
  return parts.length ? ` [${parts.join(' ')}]` : '';
}

function fullUrl(config: InternalAxiosRequestConfig): string {
  const url = config.url ?? '';
  if (!config.baseURL || /^[a-z][a-z\d+.-]*:\/\//i.test(url)) return url;
  return `${config.baseURL.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`;
}
