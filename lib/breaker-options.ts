import type { InternalAxiosRequestConfig } from 'axios';
import type { CircuitBreakerOptions } from './breaker.js';

/** The origin of the request URL (scheme, host and port), resolving `url` against `baseURL`. */
export function originOf(config: Pick<InternalAxiosRequestConfig, 'url' | 'baseURL'>): string {
  try {
    return new URL(config.url ?? '', config.baseURL ?? globalThis.location?.href).origin;
  } catch {
    return config.baseURL ?? config.url ?? '';
  }
}

/** Defaults and validation of CircuitBreaker options: a TypeError naming a bad one. */
export function normalizeBreakerOptions(options: Partial<CircuitBreakerOptions>): Readonly<CircuitBreakerOptions> {
  const known = [
    'failureThreshold',
    'failureRate',
    'minimumRequests',
    'windowMs',
    'openMs',
    'maxOpenMs',
    'halfOpenProbes',
    'key',
    'now',
  ];
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) throw new TypeError(`axios-rebound: unknown CircuitBreaker option "${name}"`);
  }
  const o = {
    failureThreshold: 5,
    failureRate: undefined,
    minimumRequests: 10,
    windowMs: 10_000,
    openMs: 30_000,
    maxOpenMs: 5 * 60_000,
    halfOpenProbes: 1,
    key: originOf,
    now: () => Date.now(),
    ...options,
  };
  const bad = (name: string, expected: string, value: unknown) =>
    new TypeError(`axios-rebound: CircuitBreaker option "${name}" must be ${expected}, got ${String(value)}`);
  for (const name of ['failureThreshold', 'minimumRequests', 'halfOpenProbes'] as const) {
    if (!Number.isInteger(o[name]) || o[name] < 1) throw bad(name, 'an integer >= 1', o[name]);
  }
  for (const name of ['windowMs', 'openMs', 'maxOpenMs'] as const) {
    if (typeof o[name] !== 'number' || !Number.isFinite(o[name]) || o[name] <= 0)
      throw bad(name, 'a finite number > 0', o[name]);
  }
  if (o.maxOpenMs < o.openMs) throw bad('maxOpenMs', `>= openMs (${o.openMs})`, o.maxOpenMs);
  if (o.failureRate !== undefined && !(typeof o.failureRate === 'number' && o.failureRate > 0 && o.failureRate <= 1)) {
    throw bad('failureRate', 'a number in (0, 1] or undefined', o.failureRate);
  }
  if (typeof o.key !== 'function') throw bad('key', 'a function', o.key);
  if (typeof o.now !== 'function') throw bad('now', 'a function', o.now);
  return Object.freeze(o);
}
