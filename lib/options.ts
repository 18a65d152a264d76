import { CircuitBreaker } from './breaker.js';
import { RetryBudget } from './budget.js';
import type { IdempotencyKeyOptions, RetryOptions, StatusCodeRule, ValidatedRetryOptions } from './types.js';

/** Every default in one place. The README's options table mirrors this object. */
export const DEFAULTS: ValidatedRetryOptions = Object.freeze({
  retries: 3,
  backoff: 'exponential',
  baseDelay: 200,
  factor: 2,
  maxDelay: 30_000,
  jitter: 'full',
  statusCodes: Object.freeze([408, 429, 500, 502, 503, 504]),
  methods: Object.freeze(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']),
  retryOnNetworkError: true,
  attemptTimeout: undefined,
  deadline: undefined,
  respectRetryAfter: true,
  maxRetryAfter: 60_000,
  idempotencyKey: false,
  shouldRetry: undefined,
  onRetry: undefined,
  onGiveUp: undefined,
  logger: undefined,
  budget: true,
  circuitBreaker: false,
  onCircuitStateChange: undefined,
});

const KEY_DEFAULTS: Omit<IdempotencyKeyOptions, 'generate'> = Object.freeze({
  header: 'Idempotency-Key',
  methods: Object.freeze(['POST', 'PATCH']),
});

type Check = (value: unknown) => string | undefined;

const fail = (name: string, expected: string, value: unknown): never => {
  const shown = typeof value === 'function' ? 'a function' : safeString(value);
  throw new TypeError(`axios-rebound: option "${name}" must be ${expected}, got ${shown}`);
};

const safeString = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const nonNegative = (v: unknown) => (isNumber(v) && v >= 0 ? undefined : 'a finite number >= 0');
const positiveOrUnset = (v: unknown) =>
  v === undefined || (isNumber(v) && v > 0) ? undefined : 'a finite number > 0 or undefined';
const boolean = (v: unknown) => (typeof v === 'boolean' ? undefined : 'true or false');
const functionOrUnset = (v: unknown) =>
  v === undefined || typeof v === 'function' ? undefined : 'a function or undefined';
const oneOf =
  (...names: string[]): Check =>
  (v) =>
    typeof v === 'string' && names.includes(v) ? undefined : `one of ${names.map((n) => `'${n}'`).join(', ')}`;

const isStatus = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 100 && (v as number) <= 599;
const isStatusRule = (v: unknown): v is StatusCodeRule =>
  isStatus(v) || (Array.isArray(v) && v.length === 2 && isStatus(v[0]) && isStatus(v[1]) && v[0] <= v[1]);

const stringList = (v: unknown) =>
  Array.isArray(v) && v.every((m) => typeof m === 'string' && m !== '') ? undefined : 'an array of method names';

const CHECKS: { readonly [K in keyof RetryOptions]: Check } = {
  retries: (v) => (Number.isInteger(v) && (v as number) >= 0 ? undefined : 'an integer >= 0'),
  backoff: (v) => (typeof v === 'function' ? undefined : oneOf('exponential', 'linear', 'constant')(v)),
  baseDelay: nonNegative,
  factor: (v) => (isNumber(v) && v >= 1 ? undefined : 'a finite number >= 1'),
  maxDelay: nonNegative,
  jitter: oneOf('full', 'equal', 'decorrelated', 'none'),
  statusCodes: (v) =>
    Array.isArray(v) && v.every(isStatusRule) ? undefined : 'an array of status codes (100-599) or [from, to] ranges',
  methods: stringList,
  retryOnNetworkError: boolean,
  attemptTimeout: positiveOrUnset,
  deadline: positiveOrUnset,
  respectRetryAfter: boolean,
  maxRetryAfter: nonNegative,
  idempotencyKey: (v) => (typeof v === 'boolean' || isPlainObject(v) ? undefined : 'a boolean or an object'),
  shouldRetry: functionOrUnset,
  onRetry: functionOrUnset,
  onGiveUp: functionOrUnset,
  logger: (v) =>
    v === undefined || (typeof v === 'object' && v !== null) ? undefined : 'a console-like object or undefined',
  budget: (v) => (typeof v === 'boolean' || v instanceof RetryBudget ? undefined : 'a boolean or a RetryBudget'),
  circuitBreaker: (v) =>
    typeof v === 'boolean' || v instanceof CircuitBreaker ? undefined : 'a boolean or a CircuitBreaker',
  onCircuitStateChange: functionOrUnset,
};

const KNOWN = Object.keys(CHECKS) as (keyof RetryOptions)[];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function normalizeKeyOptions(input: true | Record<string, unknown>): Readonly<IdempotencyKeyOptions> {
  const given = input === true ? {} : input;
  for (const key of Object.keys(given)) {
    if (!['header', 'methods', 'generate'].includes(key))
      fail('idempotencyKey', 'an object with header, methods, generate', given);
  }
  const header = given.header ?? KEY_DEFAULTS.header;
  if (typeof header !== 'string' || header === '') fail('idempotencyKey.header', 'a non-empty string', header);
  const methods = given.methods ?? KEY_DEFAULTS.methods;
  if (stringList(methods)) fail('idempotencyKey.methods', 'an array of method names', methods);
  const generate = given.generate ?? (() => globalThis.crypto.randomUUID());
  if (typeof generate !== 'function') fail('idempotencyKey.generate', 'a function', generate);
  return Object.freeze({
    header: header as string,
    methods: Object.freeze((methods as string[]).map((m) => m.toUpperCase())),
    generate: generate as () => string,
  });
}

/**
 * The one place where options are defaulted, validated and merged: `input` over `base`.
 * Throws a TypeError naming the option for anything unknown or invalid.
 */
export function normalizeOptions(
  input: unknown,
  base: ValidatedRetryOptions = DEFAULTS,
  name = 'options',
): ValidatedRetryOptions {
  if (input === undefined) return base;
  if (!isPlainObject(input)) throw new TypeError(`axios-rebound: ${name} must be an object, got ${safeString(input)}`);
  const given = input as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...base };
  for (const key of Object.keys(given)) {
    // Own keys only: `__proto__` or `constructor` must not find Object.prototype's members.
    const check = Object.hasOwn(CHECKS, key) ? (CHECKS as Record<string, Check>)[key] : undefined;
    if (!check) throw new TypeError(`axios-rebound: unknown option "${key}"${suggest(key)}`);
    const value = given[key];
    const problem = check(value);
    if (problem) fail(key, problem, value);
    merged[key] = value;
  }
  const result = merged as unknown as ValidatedRetryOptions & { idempotencyKey: unknown };
  if (result.maxDelay < result.baseDelay) {
    fail('maxDelay', `>= baseDelay (${result.baseDelay})`, result.maxDelay);
  }
  if ('idempotencyKey' in given) {
    merged.idempotencyKey = given.idempotencyKey === false ? false : normalizeKeyOptions(given.idempotencyKey as true);
  }
  if ('methods' in given) merged.methods = Object.freeze((given.methods as string[]).map((m) => m.toUpperCase()));
  return Object.freeze(merged) as unknown as ValidatedRetryOptions;
}

/** ` (did you mean "retries"?)` for a near miss, else ''. */
function suggest(key: string): string {
  const lower = key.toLowerCase();
  const near = KNOWN.find((known) => distance(known.toLowerCase(), lower) <= 2);
  return near ? ` (did you mean "${near}"?)` : '';
}

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
