import type {
  IdempotencyKeyOptions,
  ResetHeader,
  RetryOptions,
  StatusCodeRule,
  ValidatedRetryOptions,
} from '../types.js';
import { normalizeHedge } from './hedge-options.js';
import { DEFAULT_RESET_HEADERS, RESET_FORMATS } from './server-time.js';
import type { Check } from './validate.js';
import { atLeast, checkAll, fail, fn, optional, positive, rejectUnknown, shown } from './validate.js';

/**
 * Every default in one place. The README's options table mirrors this object.
 * @category Helpers
 */
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
  resetHeaders: DEFAULT_RESET_HEADERS,
  respectShouldRetry: true,
  cooldown: true,
  idempotencyKey: false,
  attemptHeader: false,
  shouldRetry: undefined,
  onRetry: undefined,
  onGiveUp: undefined,
  logger: undefined,
  budget: true,
  circuitBreaker: false,
  throttle: false,
  onCircuitStateChange: undefined,
  hedge: false,
});

const KEY_DEFAULTS: Omit<IdempotencyKeyOptions, 'generate'> = Object.freeze({
  header: 'Idempotency-Key',
  methods: Object.freeze(['POST', 'PATCH']),
  format: 'token',
});

const isStatus = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 100 && (v as number) <= 599;
const isStatusRule = (v: unknown): v is StatusCodeRule =>
  isStatus(v) || (Array.isArray(v) && v.length === 2 && isStatus(v[0]) && isStatus(v[1]) && v[0] <= v[1]);

/** An HTTP field name (RFC 9110 §5.1: a token). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const nonNegative = atLeast(0);
const boolean: Check = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
const hook = optional(fn);
const oneOf =
  (...names: readonly string[]): Check =>
  (v) =>
    typeof v === 'string' && names.includes(v) ? undefined : `one of ${names.map((n) => `'${n}'`).join(', ')}`;
const resetFormat = oneOf(...RESET_FORMATS);
const stringList: Check = (v) =>
  Array.isArray(v) && v.every((m) => typeof m === 'string' && m !== '') ? undefined : 'an array of method names';

const CHECKS: { readonly [K in keyof RetryOptions]: Check } = {
  retries: atLeast(0, true),
  backoff: (v) => (typeof v === 'function' ? undefined : oneOf('exponential', 'linear', 'constant')(v)),
  baseDelay: nonNegative,
  factor: atLeast(1),
  maxDelay: nonNegative,
  jitter: oneOf('full', 'equal', 'decorrelated', 'none'),
  statusCodes: (v) =>
    Array.isArray(v) && v.every(isStatusRule) ? undefined : 'an array of status codes (100-599) or [from, to] ranges',
  methods: stringList,
  retryOnNetworkError: boolean,
  attemptTimeout: optional(positive),
  deadline: optional(positive),
  respectRetryAfter: boolean,
  maxRetryAfter: nonNegative,
  resetHeaders: (v) =>
    Array.isArray(v) &&
    v.every((h) => isPlainObject(h) && typeof h.header === 'string' && h.header !== '' && !resetFormat(h.format))
      ? undefined
      : `an array of { header, format } with format ${resetFormat(undefined)}`,
  respectShouldRetry: boolean,
  cooldown: (v) =>
    typeof v === 'boolean' || (has(v, 'keyOf', 'coolDown', 'waitFor', 'count', 'snapshot') && 'active' in (v as object))
      ? undefined
      : 'a boolean or a Cooldown',
  idempotencyKey: (v) => (typeof v === 'boolean' || isPlainObject(v) ? undefined : 'a boolean or an object'),
  attemptHeader: (v) =>
    v === false || (typeof v === 'string' && HEADER_NAME.test(v)) ? undefined : 'a header name or false',
  shouldRetry: hook,
  onRetry: hook,
  onGiveUp: hook,
  logger: (v) =>
    v === undefined || (typeof v === 'object' && v !== null) ? undefined : 'a console-like object or undefined',
  budget: (v) =>
    typeof v === 'boolean' || has(v, 'tryRetry', 'recordRequest') ? undefined : 'a boolean or a RetryBudget',
  circuitBreaker: (v) =>
    typeof v === 'boolean' || has(v, 'acquire', 'record', 'keyOf') ? undefined : 'a boolean or a CircuitBreaker',
  throttle: (v) =>
    typeof v === 'boolean' || has(v, 'acquire', 'record', 'keyOf', 'snapshot')
      ? undefined
      : 'a boolean or an AdaptiveThrottle',
  onCircuitStateChange: hook,
  // The fields are checked by normalizeHedge, which names each (`hedge.delay`).
  hedge: (v) => (v === false || isPlainObject(v) ? undefined : 'false or { delay, maxHedges?, maxExtraLoad? }'),
};

/** Every option name of the retry policy. */
export const OPTION_NAMES: readonly string[] = Object.keys(CHECKS);

/** A RetryBudget or CircuitBreaker (or one of another copy of this package): it has their methods. */
function has(v: unknown, ...methods: string[]): boolean {
  return (
    typeof v === 'object' && v !== null && methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function')
  );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function normalizeKeyOptions(input: true | Record<string, unknown>): Readonly<IdempotencyKeyOptions> {
  const given = input === true ? {} : input;
  rejectUnknown('option', given, ['header', 'methods', 'generate', 'format'], 'idempotencyKey.');
  const header = given.header ?? KEY_DEFAULTS.header;
  if (typeof header !== 'string' || header === '')
    fail('option', 'idempotencyKey.header', 'a non-empty string', header);
  const methods = given.methods ?? KEY_DEFAULTS.methods;
  if (stringList(methods)) fail('option', 'idempotencyKey.methods', 'an array of method names', methods);
  const generate = given.generate ?? (() => globalThis.crypto.randomUUID());
  if (typeof generate !== 'function') fail('option', 'idempotencyKey.generate', 'a function', generate);
  const format = given.format ?? KEY_DEFAULTS.format;
  const formatProblem = oneOf('token', 'sf-string')(format);
  if (formatProblem) fail('option', 'idempotencyKey.format', formatProblem, format);
  return Object.freeze({
    header: header as string,
    methods: Object.freeze((methods as string[]).map((m) => m.toUpperCase())),
    generate: generate as () => string,
    format: format as IdempotencyKeyOptions['format'],
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
  if (!isPlainObject(input)) throw new TypeError(`axios-rebound: ${name} must be an object, got ${shown(input)}`);
  const given = input as Record<string, unknown>;
  rejectUnknown('option', given, OPTION_NAMES);
  checkAll('option', given, CHECKS);
  const merged: Record<string, unknown> = { ...base, ...given };
  const result = merged as unknown as ValidatedRetryOptions & { idempotencyKey: unknown };
  if (result.maxDelay < result.baseDelay) {
    fail('option', 'maxDelay', `>= baseDelay (${result.baseDelay})`, result.maxDelay);
  }
  if ('idempotencyKey' in given) {
    merged.idempotencyKey = given.idempotencyKey === false ? false : normalizeKeyOptions(given.idempotencyKey as true);
  }
  if ('hedge' in given) merged.hedge = given.hedge === false ? false : normalizeHedge(given.hedge);
  if ('methods' in given) merged.methods = Object.freeze((given.methods as string[]).map((m) => m.toUpperCase()));
  if ('resetHeaders' in given) {
    merged.resetHeaders = Object.freeze(
      (given.resetHeaders as ResetHeader[]).map(({ header, format }) =>
        Object.freeze({ header: header.toLowerCase(), format }),
      ),
    );
  }
  return Object.freeze(merged) as unknown as ValidatedRetryOptions;
}
