/**
 * The checks every options object shares (the retry policy's, RetryBudget's and
 * CircuitBreaker's): a TypeError that names the option and what it must be, and for an unknown
 * name the known one it is nearest to.
 */

/** What the value must be, or `undefined` when it is fine. */
export type Check = (value: unknown) => string | undefined;

/** Throws `<owner> "<name>" must be <expected>, got <value>`. */
export function fail(owner: string, name: string, expected: string, value: unknown): never {
  throw new TypeError(`axios-rebound: ${owner} "${name}" must be ${expected}, got ${shown(value)}`);
}

/** A value as an error message shows it. */
export function shown(value: unknown): string {
  try {
    if (typeof value === 'function') return 'a function';
    if (typeof value === 'bigint') return `${value}n`;
    // NaN and Infinity, which JSON would show as null.
    if (typeof value === 'number') return String(value);
    // A String, Number, Boolean or BigInt object, from any realm: it reads like a valid value.
    const wrapper = /^\[object (String|Number|Boolean|BigInt)\]$/.exec(Object.prototype.toString.call(value));
    if (wrapper && typeof value === 'object') return `a ${wrapper[1]} object (${String(value)})`;
    if (isThenable(value)) {
      // Every refused value is shown here: a refused Promise's rejection is handled, so that
      // it does not end the process as an unhandled one.
      (value as PromiseLike<unknown>).then(undefined, () => {});
      return 'a Promise';
    }
    const json = JSON.stringify(value) ?? String(value);
    return json.length > 100 ? `${json.slice(0, 97)}...` : json;
  } catch {
    // A value whose getters or conversions throw (a circular object, a revoked Proxy) is still shown.
    return text(value);
  }
}

/** `String(value)`, or its type when that throws (an object without a prototype, a revoked Proxy). */
export function text(value: unknown): string {
  try {
    return String(value);
  } catch {
    return typeof value;
  }
}

/** Throws for the first own key of `given` that `known` lacks: `unknown <owner> "<prefix><key>" (did you mean "…"?)`. */
export function rejectUnknown(owner: string, given: object, known: readonly string[], prefix = ''): void {
  for (const key of Object.keys(given)) {
    // `known.includes`, not `in`: `__proto__` or `constructor` must not find Object.prototype's members.
    if (known.includes(key)) continue;
    const near = nearestName(key, known);
    const hint = near ? ` (did you mean "${prefix}${near}"?)` : '';
    throw new TypeError(`axios-rebound: unknown ${owner} "${prefix}${key}"${hint}`);
  }
}

/** Runs each check on the values `given` has, throwing for the first that fails. */
export function checkAll(owner: string, given: Record<string, unknown>, checks: Record<string, Check>): void {
  for (const name of Object.keys(checks)) {
    if (!Object.hasOwn(given, name)) continue;
    const problem = checks[name]?.(given[name]);
    if (problem) fail(owner, name, problem, given[name]);
  }
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const atLeast =
  (min: number, integer = false): Check =>
  (v) =>
    finite(v) && v >= min && (!integer || Number.isInteger(v))
      ? undefined
      : `${integer ? 'an integer' : 'a finite number'} >= ${min}`;
export const positive: Check = (v) => (finite(v) && v > 0 ? undefined : 'a finite number > 0');
export const fn: Check = (v) => (typeof v === 'function' ? undefined : 'a function');
export const optional =
  (check: Check): Check =>
  (v) => {
    const problem = v === undefined ? undefined : check(v);
    return problem && `${problem} or undefined`;
  };

/** The first of `known` within two edits of `name` (any case): what "did you mean" offers. */
export function nearestName(name: string, known: Iterable<string>): string | undefined {
  for (const candidate of known) if (distance(candidate.toLowerCase(), name.toLowerCase()) <= 2) return candidate;
  return undefined;
}

/** Levenshtein distance, for "did you mean". */
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

/** Whether `value` is a Promise or another thenable. */
function isThenable(value: unknown): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * The key a user's `key` function gives for `config`, which must be a string: a Promise (an
 * async function) or an object would be a key of its own for every request, so that no circuit,
 * cooldown or throttle ever sees two requests. Throws a TypeError naming the option otherwise.
 */
export function keyFor<C>(owner: string, key: (config: C) => string, config: C): string {
  const value: unknown = key(config);
  if (typeof value !== 'string') fail(owner, 'key', 'a function that returns a string', value);
  return value;
}
