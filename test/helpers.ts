import type { AxiosInstance } from 'axios';
import axios from 'axios';
import sinon from 'sinon';
import type { RetryHandle, RetryOptions } from '../lib/index.js';
import { attachRetry } from '../lib/index.js';

export const ORIGIN = 'http://api.test';

/**
 * An instance on `baseURL` with nothing of ours attached yet. `inFlight()` counts attempts sent
 * and not yet answered (interceptors added before ours see every attempt), so fake-time tests
 * know when only timers are left.
 */
export function counted(baseURL = ORIGIN): { api: AxiosInstance; inFlight: () => number } {
  const api = axios.create({ baseURL });
  let inFlight = 0;
  api.interceptors.request.use((config) => {
    inFlight += 1;
    return config;
  });
  api.interceptors.response.use(
    (response) => {
      inFlight -= 1;
      return response;
    },
    (error: unknown) => {
      inFlight -= 1;
      throw error;
    },
  );
  return { api, inFlight: () => inFlight };
}

/** A `counted()` instance on the nock origin with axios-rebound attached; no waits unless asked for. */
export function client(options: Partial<RetryOptions> = {}): {
  api: AxiosInstance;
  handle: RetryHandle;
  inFlight: () => number;
} {
  const { api, inFlight } = counted();
  const handle = attachRetry(api, { baseDelay: 0, jitter: 'none', ...options });
  return { api, handle, inFlight };
}

/**
 * Fake only what the retry timing needs: timers, the wall clock and the monotonic clock that
 * durations are measured on. Faking process.nextTick or setImmediate too would stall nock's
 * replies (see STYLE.md).
 */
export function fakeClock(): sinon.SinonFakeTimers {
  return sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
}

/** Real elapsed ms, on a clock no fake replaces (`process.hrtime`). */
const realNow = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * Lets real I/O callbacks run until `condition` holds; fails after `limitMs` of real time. A
 * bound in turns of the event loop instead fails on a loaded machine, where nock's replies take
 * longer to arrive.
 */
export async function until(condition: () => boolean, limitMs = 3000): Promise<void> {
  const start = realNow();
  while (!condition()) {
    if (realNow() - start > limitMs) throw new Error('condition not reached');
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** The settled value or error of a promise, for assertions on either. */
export function outcome<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/** A console-like logger that records its lines. */
export function recordingLogger() {
  const lines: { level: string; line: string }[] = [];
  const at = (level: string) => (line: string) => void lines.push({ level, line });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

/** A Node-style network error for nock's replyWithError (a plain object stalls axios 1.21). */
export function netError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * Settles `promise` under a fake clock: waits until no attempt is in flight (`quiet`), then
 * moves time to the next timer only, so every timer fires exactly when it is due. Bounded.
 */
export async function drive<T>(
  clock: sinon.SinonFakeTimers,
  promise: Promise<T>,
  quiet: () => boolean,
  steps = 1000,
): Promise<{ value?: T; error?: unknown }> {
  let settled: { value?: T; error?: unknown } | undefined;
  void outcome(promise).then((result) => (settled = result));
  for (let i = 0; i < steps && !settled; i++) {
    await until(() => settled !== undefined || quiet());
    await idle();
    // Quiet again after the idle turns: a request just sent may not have been counted before.
    if (!settled && quiet()) await clock.nextAsync();
  }
  if (!settled) throw new Error('promise did not settle');
  return settled;
}

/** A few turns of the real event loop, so pending I/O callbacks can run. */
export async function idle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
