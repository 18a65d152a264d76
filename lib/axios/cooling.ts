import type { AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { monotonicNow } from '../clock.js';
import { headerReader, policyRate, rateLimitWait, serverTime } from '../decide/server-time.js';
import { canceledError, RateLimitedError } from '../errors.js';
import { reportOnce } from '../run/log.js';
import { sleep } from '../run/timers.js';
import { skipsWait } from '../test-mode.js';
import type { CooldownWait, NormalizedRetryOptions } from '../types.js';
import type { RequestContext } from './context.js';

/*
 * The cooldown per origin, as the axios glue uses it: a response that says when to come back
 * starts one; every attempt to a cooling origin waits for it first, or fails fast.
 */

/**
 * Starts (or lengthens) the cooldown of the response's origin when the response says when to
 * come back: a 429 or 503 with a server time, or any other response whose `RateLimit` field
 * says the quota is spent. `true` when it did.
 */
export function startCooldown(
  options: Pick<NormalizedRetryOptions, 'cooldown' | 'respectRetryAfter' | 'resetHeaders' | 'maxRetryAfter'>,
  config: InternalAxiosRequestConfig,
  response: AxiosResponse | undefined,
): boolean {
  const { cooldown } = options;
  if (!cooldown || !options.respectRetryAfter || !response) return false;
  try {
    const { status } = response;
    const read = headerReader(response.headers);
    let waitMs: number | undefined;
    if (status === 429 || status === 503) {
      waitMs = serverTime(read, status, options.resetHeaders, Date.now())?.waitMs;
    } else {
      // Any other response (a success, mostly: every request passes here) is read for one
      // field only, by the lower-case name every axios adapter gives it.
      const field = (response.headers as Record<string, unknown> | undefined)?.ratelimit;
      waitMs = field === undefined ? undefined : rateLimitWait(field);
    }
    if (!waitMs) return false;
    // Never longer than `maxRetryAfter` (nor Infinity): a server time past it ends the call that
    // got it, and one response must not close an origin for good; after it, a request asks again.
    // With the rate the server announces, the requests that come back after it are paced.
    // A rate slower than one request per `maxRetryAfter` (a daily quota's) would hold the
    // requests after the first past what any may wait, for as long as the window: not paced by.
    const rate = policyRate(read('ratelimit-policy'), read('ratelimit'));
    const key = cooldown.keyOf(config);
    cooldown.coolDown(
      key,
      Math.min(waitMs, options.maxRetryAfter),
      rate !== undefined && 1000 / rate <= options.maxRetryAfter ? rate : undefined,
    );
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
export async function awaitCooldown(context: RequestContext, config: InternalAxiosRequestConfig): Promise<void> {
  const { options } = context;
  const { cooldown, deadline } = options;
  // respectRetryAfter: false reads no server time, so it heeds none either.
  // A cooldown is user code too (one passed in, or a clock of the user's): if it throws, the
  // call ends with 'hook-error', as for a key function.
  if (cooldown === false || !options.respectRetryAfter || !context.userCode(() => cooldown.active)) return;
  const key = context.userCode(() => cooldown.keyOf(config));
  // Asked again after the wait, with when it was due: another response may have lengthened the
  // cooldown meanwhile. In all, one request waits no longer than `maxRetryAfter`, however often.
  let due: number | undefined;
  let waitedMs = 0;
  for (;;) {
    // In test mode, the wait just skipped (the retry's, or this loop's) would have run the
    // cooldown down too: its clock did not move.
    const passed = context.skippedMs ?? 0;
    const deadlineLeft = deadline === undefined ? Infinity : deadline - (monotonicNow() - context.startedMono);
    const allowedMs = options.maxRetryAfter - waitedMs;
    const limitMs = Math.min(allowedMs, deadlineLeft - 1) + passed;
    const wait = context.userCode(() => checkedWait(cooldown.waitFor(key, { due, limitMs }), due));
    if (!wait || wait.leftMs <= passed) return;
    const leftMs = wait.leftMs - passed;
    const waitMs = wait.waitMs - passed;
    // What fits is judged on the server's time, as for a retry; the spread only comes after it.
    if (leftMs > allowedMs || waitMs >= deadlineLeft) {
      context.userCode(() => cooldown.count('failed-fast'));
      context.notSent = 'rate-limited';
      throw context.own(new RateLimitedError(leftMs, config));
    }
    if (due === undefined) context.userCode(() => cooldown.count('waited'));
    due = wait.due;
    waitedMs += waitMs;
    if (skipsWait(context, waitMs, config)) continue;
    await sleep(waitMs, context.abort, () => {
      // The retry loop ends the call with a CanceledError of its own, as for any abort.
      context.notSent = 'aborted';
      return context.own(canceledError(undefined, config));
    });
  }
}

/**
 * A cooldown's answer, checked (a Cooldown-like of the user's may give anything): finite,
 * not negative, and on a second ask due later than before, so that the wait always moves on.
 */
function checkedWait(wait: CooldownWait | undefined, due: number | undefined): CooldownWait | undefined {
  if (wait === undefined) return undefined;
  const { leftMs, waitMs } = wait;
  if (!(leftMs >= 0 && waitMs >= 0 && leftMs < Infinity && waitMs < Infinity && Number.isFinite(wait.due))) {
    throw new TypeError(
      `axios-rebound: cooldown.waitFor must give finite leftMs, waitMs and due >= 0, got ${JSON.stringify(wait)}`,
    );
  }
  // A second answer not due later than the first: nothing was lengthened, the request goes.
  return due !== undefined && !(wait.due > due) ? undefined : wait;
}
