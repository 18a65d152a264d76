import type { HedgeOptions } from '../types.js';
import { fail, rejectUnknown } from './validate.js';

/** `hedge`'s defaults: one extra copy at most, and hedges at most 5 % of first attempts. */
export const HEDGE_DEFAULTS: Omit<HedgeOptions, 'delay'> = Object.freeze({ maxHedges: 1, maxExtraLoad: 0.05 });

/**
 * The `hedge` option, defaulted and validated: a TypeError names the field
 * (`option "hedge.delay" must be …`). `delay` has no default: how slow is slow is the caller's
 * to say, in ms, or `'p95'` to follow the origin's recent latencies.
 */
export function normalizeHedge(input: unknown): Readonly<HedgeOptions> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    fail('option', 'hedge', 'false or { delay, maxHedges?, maxExtraLoad? }', input);
  }
  const given = input as Record<string, unknown>;
  rejectUnknown('option', given, ['delay', 'maxHedges', 'maxExtraLoad'], 'hedge.');
  const { delay, maxHedges = HEDGE_DEFAULTS.maxHedges, maxExtraLoad = HEDGE_DEFAULTS.maxExtraLoad } = given;
  if (delay !== 'p95' && !(typeof delay === 'number' && Number.isFinite(delay) && delay >= 0)) {
    fail('option', 'hedge.delay', "a finite number >= 0 (ms) or 'p95'", delay);
  }
  if (!(Number.isInteger(maxHedges) && (maxHedges as number) >= 1)) {
    fail('option', 'hedge.maxHedges', 'an integer >= 1', maxHedges);
  }
  if (!(typeof maxExtraLoad === 'number' && maxExtraLoad > 0 && maxExtraLoad <= 1)) {
    fail('option', 'hedge.maxExtraLoad', 'a number > 0 and <= 1', maxExtraLoad);
  }
  return Object.freeze({ delay, maxHedges: maxHedges as number, maxExtraLoad });
}
