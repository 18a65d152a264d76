import type { ResetFormat, ResetHeader } from '../types.js';
import { parseRetryAfter } from './retry-after.js';

/*
 * What a response says about when to come back, read with one precedence (README, "What the
 * server says about time"): the first of these that is present and well-formed wins.
 *
 *   1. Retry-After            RFC 9110 §10.2.3 (its own rules: parseRetryAfter)
 *   2. retry-after-ms         milliseconds; sent and read by OpenAI's and Azure's SDKs
 *   3. RateLimit              draft-ietf-httpapi-ratelimit-headers-10: a Structured Field List
 *                             (RFC 8941) whose items carry r (remaining, required) and t
 *                             (seconds until more quota); an item with r=0 and a t is a time
 *   4. declared reset headers x-ratelimit-reset and ratelimit-reset by default, in the format
 *                             the user declares (vendors disagree); read only when the quota is
 *                             said to be spent: a 429, or the matching `…-remaining` header is 0,
 *                             since GitHub and others send a reset time on every response
 *
 * A time from 2 to 4 that reads as a negative delay or as more than 50 years away is ignored
 * (normal backoff): a client once waited "1792152901 seconds" by reading an epoch as a delay.
 */

export const RESET_FORMATS: readonly ResetFormat[] = ['delta-seconds', 'unix-seconds', 'unix-ms', 'http-date', 'auto'];

export const DEFAULT_RESET_HEADERS: readonly ResetHeader[] = Object.freeze([
  Object.freeze({ header: 'x-ratelimit-reset', format: 'auto' }),
  Object.freeze({ header: 'ratelimit-reset', format: 'auto' }),
]);

/** Where a server's time was read. */
export type ServerTimeSource = 'retry-after' | 'retry-after-ms' | 'ratelimit' | 'reset';

export interface ServerTime {
  /** How long from now, in ms; 0 means "now". */
  readonly waitMs: number;
  readonly source: ServerTimeSource;
}

/** A header by its lower-case name (an AxiosHeaders or a plain object). */
export type HeaderReader = (name: string) => unknown;

/** Reads headers as axios gives them: by lower-case name, else through `get` (any case). */
export function headerReader(headers: unknown): HeaderReader {
  const h = (typeof headers === 'object' && headers !== null ? headers : {}) as {
    [name: string]: unknown;
    get?: (name: string) => unknown;
  };
  return (name) => h[name] ?? (typeof h.get === 'function' ? (h.get(name) ?? undefined) : undefined);
}

/** 2024-01-01T00:00:00Z in Unix seconds: where `'auto'` starts reading a number as an epoch. */
const AUTO_EPOCH_FROM = 1_704_067_200;
const FIFTY_YEARS_MS = 50 * 365.25 * 24 * 3600 * 1000;
/** Date's one-second resolution plus a response's time in transit. */
const CLOCK_SKEW_MS = 2000;
/**
 * Past a day, a `Date` is more likely wrong (a proxy's, a stale one) than the client's clock:
 * trusting it would turn a 3 s reset into a wait of hours.
 */
const MAX_SKEW_MS = 24 * 3600 * 1000;
/** The one form of `Date` a server must send (RFC 9110 §5.6.7), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`. */
const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
/** An HTTP-date starts with its weekday: only that, not whatever else `Date.parse` would take. */
const HTTP_DATE = /^[A-Za-z]{3},? /;
const NUMBER = /^\d+(\.\d+)?$/;

/** The server's time to come back, if a failed (or any) response gives one. */
export function serverTime(
  read: HeaderReader,
  status: number | undefined,
  resetHeaders: readonly ResetHeader[],
  clientNow: number,
): ServerTime | undefined {
  const wallNow = serverNow(read, clientNow);
  const retryAfter = parseRetryAfter(first(read('retry-after')), wallNow);
  if (retryAfter !== undefined) return { waitMs: retryAfter, source: 'retry-after' };
  const ms = first(read('retry-after-ms'));
  const inMs = typeof ms === 'string' && NUMBER.test(ms.trim()) ? plausible(Number(ms)) : undefined;
  if (inMs !== undefined) return { waitMs: inMs, source: 'retry-after-ms' };
  const quota = rateLimitWait(read('ratelimit'));
  if (quota !== undefined) return { waitMs: quota, source: 'ratelimit' };
  for (const { header, format } of resetHeaders) {
    const name = header.toLowerCase();
    const remaining = name.replace(/reset(-after)?$/, 'remaining');
    const spent = status === 429 || (remaining !== name && String(first(read(remaining))).trim() === '0');
    const wait = spent ? resetWait(first(read(name)), format, wallNow) : undefined;
    if (wait !== undefined) return { waitMs: wait, source: 'reset' };
  }
  return undefined;
}

/**
 * What time it is for the server, for a time given as a date or an epoch: the client's clock,
 * unless the response's `Date` (an IMF-fixdate, not from a cache) is more than CLOCK_SKEW_MS
 * and at most MAX_SKEW_MS away from it. Then the client's clock
 * is off (a laptop, a VM after a suspend), and a reset read against it would be ignored as past
 * or waited on far too long. Within that tolerance the client's clock is kept: `Date` has whole
 * seconds only, and would make every wait up to a second longer.
 */
function serverNow(read: HeaderReader, clientNow: number): number {
  // A response from a cache (`Age`) carries the Date of when it was made, not of now.
  if (read('age') !== undefined) return clientNow;
  const date = first(read('date'));
  const at = typeof date === 'string' && IMF_FIXDATE.test(date.trim()) ? Date.parse(date) : Number.NaN;
  const skew = Math.abs(at - clientNow);
  return skew > CLOCK_SKEW_MS && skew <= MAX_SKEW_MS ? at : clientNow;
}

/** The server's own verdict: `x-should-retry` (OpenAI, Anthropic), else `stripe-should-retry`. */
export function serverVerdict(read: HeaderReader): boolean | undefined {
  for (const name of ['x-should-retry', 'stripe-should-retry']) {
    const value = String(first(read(name)))
      .trim()
      .toLowerCase();
    if (value === 'true') return true;
    if (value === 'false') return false;
  }
  return undefined;
}

/** A reset header's time as a wait in ms, or `undefined` when malformed or implausible. */
export function resetWait(value: unknown, format: ResetFormat, wallNow: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (!NUMBER.test(text)) {
    if (format !== 'http-date' && format !== 'auto') return undefined;
    return HTTP_DATE.test(text) ? plausible(Date.parse(text) - wallNow) : undefined;
  }
  const n = Number(text);
  switch (format) {
    case 'delta-seconds':
      return plausible(n * 1000);
    case 'unix-seconds':
      return plausible(n * 1000 - wallNow);
    case 'unix-ms':
      return plausible(n - wallNow);
    case 'auto':
      return plausible(n >= AUTO_EPOCH_FROM ? n * 1000 - wallNow : n * 1000);
    default:
      return undefined;
  }
}

/** A wait the server may have meant: not negative, not NaN, not 50 years away. */
function plausible(ms: number): number | undefined {
  return ms >= 0 && ms <= FIFTY_YEARS_MS ? Math.ceil(ms) : undefined;
}

/** One value of a header that came more than once, as axios gives it (an array, or joined). */
function first(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The rate a `RateLimit-Policy` field announces, in requests per second, for pacing after a
 * cooldown (draft-ietf-httpapi-ratelimit-headers-10 §3): of its items counted in requests (no
 * `qu`, or `qu="requests"`) with an integer quota `q` and window `w`, the one the `RateLimit`
 * field says is spent (`r=0`, matched by name); else the one with the shortest window, the
 * short-term limit a 429 most likely hit. Never the lowest rate of all: a daily quota of 1 000
 * would pace a client at one request per 86 s after a burst limit's 429. `undefined` when no
 * item qualifies, or the field does not parse.
 */
export function policyRate(policy: unknown, rateLimit?: unknown): number | undefined {
  const spent = new Set((list(rateLimit) ?? []).filter(({ params }) => params.r === 0).map(({ name }) => name));
  let best: { rate: number; w: number; spent: boolean } | undefined;
  for (const { name, params } of list(policy) ?? []) {
    const { q, w, qu } = params;
    if (typeof q !== 'number' || typeof w !== 'number' || q <= 0 || w <= 0) continue;
    if (qu !== undefined && qu !== 'requests') continue;
    const item = { rate: q / w, w, spent: spent.has(name) };
    if (!best || (item.spent && !best.spent) || (item.spent === best.spent && item.w < best.w)) best = item;
  }
  return best?.rate;
}

/**
 * The wait a `RateLimit` field gives: the longest `t` of an item whose `r` is 0. The field is
 * parsed as a Structured Field List (RFC 8941 §4.2.1); a field that does not parse, or an item
 * without an integer `r`, is ignored, as the draft requires of malformed values.
 */
export function rateLimitWait(value: unknown): number | undefined {
  let wait: number | undefined;
  for (const { params } of list(value) ?? []) {
    const { r, t } = params;
    if (r !== 0 || typeof t !== 'number' || t < 0) continue;
    const ms = plausible(t * 1000);
    if (ms !== undefined) wait = Math.max(wait ?? 0, ms);
  }
  return wait;
}

type Bare = number | string | boolean;

const BARE: readonly [RegExp, (match: string) => Bare][] = [
  [/"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"/y, (m) => m.slice(1, -1).replace(/\\(.)/g, '$1')],
  // An integer is a number; a decimal stays text, so that it is never taken for an integer r or t.
  [/-?\d{1,15}(\.\d{1,3})?(?![\d.])/y, (m) => (m.includes('.') ? m : Number(m))],
  [/[A-Za-z*][\w!#$%&'*+\-.^`|~:/]*/y, (m) => m],
  [/\?[01]/y, (m) => m === '?1'],
  [/:[A-Za-z0-9+/=]*:/y, (m) => m],
];
const KEY = /[a-z*][a-z0-9_\-.*]*/y;
const OWS = /[ \t]*/y;

/** A field's items (a header sent more than once is one list), or `undefined` if it does not parse. */
const list = (value: unknown) => parseList(Array.isArray(value) ? value.join(',') : value);

interface Item {
  /** The bare item: a policy's name. */
  readonly name: Bare;
  readonly params: Record<string, Bare>;
}

/** Each item of a Structured Field List with its parameters, or `undefined` if it does not parse. */
function parseList(value: unknown): Item[] | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  let at = 0;
  const match = (pattern: RegExp): string | undefined => {
    pattern.lastIndex = at;
    const found = pattern.exec(text)?.[0];
    if (found !== undefined) at += found.length;
    return found;
  };
  const bare = (): Bare | undefined => {
    for (const [pattern, read] of BARE) {
      const found = match(pattern);
      if (found !== undefined) return read(found);
    }
    return undefined;
  };
  const items: Item[] = [];
  while (at < text.length) {
    // Inner lists carry no quota; anything else unparsable fails the whole field.
    const name = bare();
    if (name === undefined) return undefined;
    const params: Record<string, Bare> = {};
    while (text[at] === ';') {
      at++;
      match(OWS);
      const key = match(KEY);
      if (key === undefined) return undefined;
      let paramValue: Bare | undefined = true;
      if (text[at] === '=') {
        at++;
        paramValue = bare();
        if (paramValue === undefined) return undefined;
      }
      params[key] = paramValue;
    }
    items.push({ name, params });
    match(OWS);
    if (at === text.length) break;
    if (text[at] !== ',') return undefined;
    at++;
    match(OWS);
    if (at === text.length) return undefined;
  }
  return items;
}
