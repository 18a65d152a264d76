import type { InternalAxiosRequestConfig } from 'axios';
import { monotonicNow } from '../clock.js';
import type { Check } from '../decide/validate.js';
import { atLeast, checkAll, fail, fn, positive, rejectUnknown } from '../decide/validate.js';
import { originOf } from './origin.js';
import type { SavedBreakerState } from './saved-state.js';
import { checkSavedState } from './saved-state.js';

/** @category Protections */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open a closed circuit. @default 5 */
  failureThreshold: number;
  /** When given, open instead on this share (0..1] of failures among the window's requests. @default undefined */
  failureRate: number | undefined;
  /** Requests the window must hold before `failureRate` applies. @default 10 */
  minimumRequests: number;
  /** @default 10_000 */
  windowMs: number;
  /** How long a circuit stays open the first time. @default 30_000 */
  openMs: number;
  /** Each failed probe doubles the open time, up to this. @default 300_000 */
  maxOpenMs: number;
  /** Requests let through while half-open. @default 1 */
  halfOpenProbes: number;
  /**
   * The most circuits kept at once. A circuit with nothing counted (closed, no failure that
   * could open it) is never kept, so this bounds the keys that are failing or recently failed.
   * Past it, the least recently used closed circuit is forgotten (its failure count, or in
   * rate mode its window). Open and half-open circuits are never evicted: when they alone fill
   * the table, a new key is not tracked (its requests flow) until one of them closes or expires.
   * Isolated circuits (`isolate`) are not counted: your code decides how many there are.
   * @default 1000
   */
  maxCircuits: number;
  /**
   * A circuit unused (no request asked for it) for this long is forgotten, open or not:
   * at least `maxOpenMs`, so an open circuit is forgotten only after its open time has passed,
   * and forgetting it costs only the lone probe and the longer open time of a failed probe.
   * In rate mode, a closed circuit is forgotten as soon as its window is empty. An isolated
   * circuit is never forgotten: it stays until `reset`.
   * @default 600_000, or `maxOpenMs` when that is longer
   */
  circuitIdleMs: number;
  /** One circuit per key. @default the origin of the request URL */
  key: (config: InternalAxiosRequestConfig) => string;
  /**
   * The clock in ms, for simulations and tests. When it steps back (an injected `Date.now`
   * after an NTP correction), the breaker's time goes on from where it was instead.
   * @default monotonicNow (performance.now)
   */
  now: () => number;
  /**
   * Circuits to start with: what `toJSON()` of a breaker returned, maybe in another process.
   * An open circuit stays open for its saved remaining time, counted from construction on this
   * breaker's clock and kept within `maxOpenMs`; a half-open one lets the next request probe;
   * an isolated one stays isolated until `reset`. Past `maxCircuits`, the circuits listed last
   * (the most recently used) are kept.
   * @default undefined
   */
  initialState: SavedBreakerState | undefined;
}

const DEFAULTS = Object.freeze({
  failureThreshold: 5,
  failureRate: undefined,
  minimumRequests: 10,
  windowMs: 10_000,
  openMs: 30_000,
  maxOpenMs: 5 * 60_000,
  halfOpenProbes: 1,
  maxCircuits: 1000,
  circuitIdleMs: 10 * 60_000,
  key: originOf,
  now: monotonicNow,
  initialState: undefined,
});

const CHECKS: Record<string, Check> = {
  failureThreshold: atLeast(1, true),
  minimumRequests: atLeast(1, true),
  halfOpenProbes: atLeast(1, true),
  maxCircuits: atLeast(1, true),
  windowMs: positive,
  openMs: positive,
  maxOpenMs: positive,
  circuitIdleMs: positive,
  failureRate: (v) =>
    v === undefined || (typeof v === 'number' && v > 0 && v <= 1) ? undefined : 'a number in (0, 1] or undefined',
  key: fn,
  now: fn,
  // Throws itself, to name the field inside that is wrong.
  initialState: (v) => {
    if (v !== undefined) checkSavedState(v);
    return undefined;
  },
};

const OWNER = 'CircuitBreaker option';

/** Defaults and validation of CircuitBreaker options: a TypeError naming a bad one. */
export function normalizeBreakerOptions(options: Partial<CircuitBreakerOptions>): Readonly<CircuitBreakerOptions> {
  rejectUnknown(OWNER, options, Object.keys(DEFAULTS));
  const maxOpenMs = options.maxOpenMs ?? DEFAULTS.maxOpenMs;
  const o = { ...DEFAULTS, circuitIdleMs: Math.max(DEFAULTS.circuitIdleMs, maxOpenMs), ...options };
  checkAll(OWNER, o, CHECKS);
  if (o.maxOpenMs < o.openMs) fail(OWNER, 'maxOpenMs', `>= openMs (${o.openMs})`, o.maxOpenMs);
  if (o.circuitIdleMs < o.maxOpenMs) fail(OWNER, 'circuitIdleMs', `>= maxOpenMs (${o.maxOpenMs})`, o.circuitIdleMs);
  return Object.freeze(o);
}
