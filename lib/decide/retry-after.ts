/**
 * Parses a Retry-After header value (RFC 9110 §10.2.3) into a wait in ms.
 *
 * - delta-seconds (`"120"`): that many seconds. Fractions (`"1.5"`) are accepted, as several
 *   vendors send them, and rounded up to whole ms. One too large to represent is `Infinity`,
 *   longer than any `maxRetryAfter`: the caller gives up rather than falling back to backoff.
 * - HTTP-date (`"Wed, 21 Oct 2015 07:28:00 GMT"`): the time until then; a past date is 0.
 * - Anything else (empty, negative, garbage, an array of values): `undefined`, so the caller
 *   falls back to its normal backoff. Never throws, never NaN, never negative.
 * @category Helpers
 */
export function parseRetryAfter(value: unknown, now: number = Date.now()): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) {
    // Overflow reads as the largest value, as RFC 9111 §1.2.2 has caches read delta-seconds:
    // hundreds of digits mean "not soon", and any finite maxRetryAfter then gives up.
    return Math.ceil(Number(text) * 1000);
  }
  // An HTTP-date always names a weekday and a month; this rejects numbers Date.parse would take.
  if (!/^[A-Za-z]{3},? /.test(text)) return undefined;
  const at = Date.parse(text);
  const wait = at - now;
  return Number.isFinite(wait) ? Math.max(0, wait) : undefined;
}
