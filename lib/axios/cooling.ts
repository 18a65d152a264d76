import type { AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { monotonicNow } from '../clock.js';
import { headerReader, rateLimitWait, serverTime } from '../decide/server-time.js';
import { canceledError, RateLimitedError } from '../errors.js';
import { reportOnce } from '../run/log.js';
import { sleep } from '../run/timers.js';
import type { NormalizedRetryOptions } from '../types.js';
import type { RequestContext } from './context.js';

/*
 * The cooldown per origin, as the axios glue uses it: a response that says when to come back
 * starts one; every attempt to a cooling origin waits for it first, or fails fast.
 */

/**
 * Starts (or lengthens) the cooldown of the response's origin when the response says when to
 * come back: a 429 or 503 with a server time, or any other response whose `RateLimit` field
 * says the quota is spent. `true` when it did (the breaker then does not count the response:
 * a rate limit says nothing of the service's health).
 */
export function startCooldown(
  options: Pick<NormalizedRetryOptions, 'cooldown' | 'respectRetryAfter' | 'resetHeaders'>,
  config: InternalAxiosRequestConfig,
  response: AxiosResponse | undefined,
): boolean {
  const { cooldown } = options;
  if (!cooldown || !options.respectRetryAfter || !response) return false;
  try {
    const { status, headers } = response;
    let waitMs: number | undefined;
    if (status === 429 || status === 503) {
      waitMs = serverTime(headerReader(headers), status, options.resetHeaders, Date.now())?.waitMs;
    } else {
      // Any other response (a success, mostly: every request passes here) is read for one
      // field only, by the lower-case name every axios adapter gives it.
      const field = (headers as Record<string, unknown> | undefined)?.ratelimit;
      waitMs = field === undefined ? undefined : rateLimitWait(field);
    }
    if (!waitMs) return false;
    cooldown.coolDown(cooldown.keyOf(config), waitMs);
    return true;
  } catch (error) {
    // A key function (or an adapter's headers) that throws: the attempt's outcome stands, and
    // the failure is reported once; before an attempt, the same key function ends the call.
    reportOnce(cooldown, 'cooldown', error);
    return false;
  }
}

/**
 * Before an attempt: waits while the request's origin cools down, if the wait fits the call's
 * deadline and `maxRetryAfter`; otherwise nothing is sent and the call ends with
 * `ERR_RATE_LIMITED` (`'rate-limited'`). The wait ends at once if the caller aborts.
 */
export async function awaitCooldown(
  context: RequestContext,
  config: InternalAxiosRequestConfig,
  owned: <E extends object>(error: E) => E,
): Promise<void> {
  const { options } = context;
  const { cooldown, deadline } = options;
  if (cooldown === false || !cooldown.active) return;
  let key: string;
  try {
    key = cooldown.keyOf(config);
  } catch (error) {
    // The user's key function threw: the call ends with its error, as the breaker's would.
    context.state.stopReason = 'hook-error';
    context.scope.settle(context, 'hook-error');
    throw error;
  }
  const waitMs = cooldown.waitFor(key);
  if (waitMs <= 0) return;
  const left = deadline === undefined ? Infinity : deadline - (monotonicNow() - context.startedMono);
  if (waitMs > options.maxRetryAfter || waitMs >= left) {
    cooldown.count('failed-fast');
    context.notSent = 'rate-limited';
    throw owned(new RateLimitedError(waitMs, config));
  }
  cooldown.count('waited');
  await sleep(waitMs, context.abort, () => {
    // The retry loop ends the call with a CanceledError of its own, as for any abort.
    context.notSent = 'aborted';
    return owned(canceledError(undefined, config));
  });
}
