import { known, problem } from './check.js';

/** @category Testing */
export interface FaultOptions {
  /** The share of requests that fail, from 0 to 1. @default 0.2 */
  rate: number;
  /** The statuses a failed request may get (100-599), one drawn each time. @default [503] */
  statuses: readonly number[];
  /** The network error codes a failed request may get instead ('ECONNRESET', 'ETIMEDOUT'). @default [] */
  codes: readonly string[];
  /**
   * Added before every request, failed or passed on: ms, or `[min, max]` to draw from. Ends
   * early, as a real request does, when the request's signal aborts. @default 0
   */
  latencyMs: number | readonly [number, number];
  /**
   * The `Retry-After` of the failed responses: seconds, or a field value as is (an HTTP date);
   * `undefined`: none. @default undefined
   */
  retryAfter: number | string | undefined;
  /** The generator's seed, 0 to 2³²−1: the same seed, the same faults for the same requests. @default a random one */
  seed: number;
}

const KNOWN = ['rate', 'statuses', 'codes', 'latencyMs', 'retryAfter', 'seed'];
const isMs = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** The options with their defaults, checked: a TypeError names the first bad one. */
export function checked(options: Partial<FaultOptions>): FaultOptions {
  const owner = 'faultyAdapter';
  if (typeof options !== 'object' || options === null) throw problem(owner, 'options', 'an object', options);
  known(owner, options, KNOWN);
  const { rate = 0.2, statuses = [503], codes = [], latencyMs = 0, retryAfter, seed } = options;
  if (!(typeof rate === 'number' && rate >= 0 && rate <= 1)) throw problem(owner, 'rate', 'a number from 0 to 1', rate);
  if (!Array.isArray(statuses) || !statuses.every((s) => Number.isInteger(s) && s >= 100 && s <= 599)) {
    throw problem(owner, 'statuses', 'an array of HTTP statuses (integers 100-599)', statuses);
  }
  if (!Array.isArray(codes) || !codes.every((c) => typeof c === 'string' && c !== '')) {
    throw problem(owner, 'codes', "an array of error codes ('ECONNRESET')", codes);
  }
  if (rate > 0 && statuses.length + codes.length === 0) {
    throw problem(owner, 'statuses', 'non-empty when "codes" is empty and "rate" > 0', statuses);
  }
  const range = Array.isArray(latencyMs) && latencyMs.length === 2 && isMs(latencyMs[0]) && isMs(latencyMs[1]);
  if (!(isMs(latencyMs) || (range && latencyMs[0] <= latencyMs[1]))) {
    throw problem(owner, 'latencyMs', 'a finite number >= 0 or [min, max] with 0 <= min <= max', latencyMs);
  }
  if (!(retryAfter === undefined || isMs(retryAfter) || (typeof retryAfter === 'string' && retryAfter !== ''))) {
    throw problem(owner, 'retryAfter', 'seconds (a finite number >= 0), a header value or undefined', retryAfter);
  }
  if (!(seed === undefined || (Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff))) {
    throw problem(owner, 'seed', 'an integer from 0 to 4294967295', seed);
  }
  return {
    rate,
    statuses,
    codes,
    latencyMs,
    retryAfter,
    seed: seed ?? Math.floor(Math.random() * 2 ** 32),
  };
}
