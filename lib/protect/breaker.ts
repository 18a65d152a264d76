import type { InternalAxiosRequestConfig } from 'axios';
import { nonDecreasing } from '../clock.js';
import { fail, keyFor } from '../decide/validate.js';
import type { CircuitBreakerOptions } from './breaker-options.js';
import { normalizeBreakerOptions } from './breaker-options.js';
import type { Circuit } from './circuit.js';
import { kindOf, stateOf } from './circuit.js';
import { CircuitTable } from './circuit-table.js';
import type { SavedBreakerState, SavedCircuit } from './saved-state.js';
import { restored, saved } from './saved-state.js';
import type { TripPolicy } from './trip.js';
import { ConsecutiveFailures, FailureRate } from './trip.js';

export type { CircuitBreakerOptions } from './breaker-options.js';
export type { SavedBreakerState, SavedCircuit } from './saved-state.js';

import type {
  Admission,
  AttemptVerdict,
  CircuitBreakerLike,
  CircuitSnapshot,
  CircuitState,
  CircuitTransition,
} from '../types.js';

export type { Admission, AttemptVerdict, CircuitState, CircuitTransition } from '../types.js';

interface Entry {
  circuit: Circuit;
  readonly trip: TripPolicy;
}

/**
 * A circuit breaker per key (by default per origin). Closed: requests flow and the trip
 * policy counts failures. Open: requests fail fast until `openMs` has passed. Half-open:
 * up to `halfOpenProbes` requests go through; a success closes the circuit, a failure opens
 * it again for twice as long (up to `maxOpenMs`). Share one between instances by passing it
 * to each.
 *
 * A key with nothing counted (closed, no failure that could open it) has no circuit kept at
 * all; the others are bounded by `maxCircuits` and `circuitIdleMs`, but for the ones your code
 * isolated (`isolate`, until `reset`). `toJSON()` saves the circuits for `initialState`.
 * @category Protections
 */
export class CircuitBreaker implements CircuitBreakerLike {
  readonly options: Readonly<CircuitBreakerOptions>;
  readonly #now: () => number;
  readonly #table: CircuitTable<Entry>;
  /** Per key, probes in flight when its circuit was set by hand (see `#forgetProbes`). */
  /** Half-open cycles begun so far: each one's number is its probes' ticket. */
  #cycles = 0;

  constructor(options: Partial<CircuitBreakerOptions> = {}) {
    this.options = normalizeBreakerOptions(options);
    const { maxCircuits, circuitIdleMs, failureRate, windowMs } = this.options;
    this.#now = nonDecreasing(this.options.now);
    // In rate mode, a closed circuit idle for windowMs has an empty window: nothing left to keep.
    const closedIdleMs = failureRate === undefined ? circuitIdleMs : Math.min(windowMs, circuitIdleMs);
    this.#table = new CircuitTable(maxCircuits, closedIdleMs, circuitIdleMs);
    if (this.options.initialState) this.#restore(this.options.initialState.circuits);
  }

  keyOf(config: InternalAxiosRequestConfig): string {
    return keyFor('CircuitBreaker option', this.options.key, config);
  }

  /** Asks to send an attempt for `key` now. */
  acquire(key: string): Admission {
    const now = this.#now();
    const entry = this.#table.get(key, now);
    if (!entry) return { allowed: true, probe: false };
    let transition: CircuitTransition | undefined;
    let circuit = entry.circuit;
    this.#table.keep(key, entry, kindOf(circuit), now);
    // Isolated: open until reset, so no time after which a probe may go.
    if (circuit.state === 'isolated') return { allowed: false, retryAfterMs: Number.POSITIVE_INFINITY };
    if (circuit.state === 'open') {
      const wait = circuit.openUntil - now;
      if (wait > 0) return { allowed: false, retryAfterMs: Math.ceil(wait) };
      this.#cycles += 1;
      circuit = entry.circuit = { state: 'half-open', probes: 0, openMs: circuit.openMs, cycle: this.#cycles };
      transition = { key, from: 'open', to: 'half-open' };
    }
    if (circuit.state === 'closed') return { allowed: true, probe: false };
    if (circuit.probes >= this.options.halfOpenProbes) {
      return transition ? { allowed: false, retryAfterMs: 0, transition } : { allowed: false, retryAfterMs: 0 };
    }
    circuit.probes += 1;
    const ticket = circuit.cycle;
    return transition ? { allowed: true, probe: true, ticket, transition } : { allowed: true, probe: true, ticket };
  }

  /**
   * Records how an admitted attempt ended; returns the transition it caused, if any. A probe's
   * `ticket` (from `acquire`) ties it to its half-open cycle: one that is over moves nothing.
   */
  record(key: string, verdict: AttemptVerdict, probe: boolean, ticket?: number): CircuitTransition | undefined {
    const now = this.#now();
    let entry = this.#table.get(key, now);
    if (!entry) {
      // No circuit: closed with nothing counted, where a probe's or a neutral outcome moves nothing.
      if (probe || verdict === 'neutral' || !this.#table.hasRoom(now)) return undefined;
      entry = this.#newEntry();
    }
    const transition = this.#apply(key, entry, verdict, probe, ticket, now);
    if (entry.circuit.state === 'closed' && entry.trip.isEmpty(now)) this.#table.delete(key);
    else this.#table.keep(key, entry, kindOf(entry.circuit), now);
    return transition;
  }

  /**
   * The circuits kept (at most `maxCircuits`), as plain data; a key not listed is closed with
   * nothing counted. `openUntil` is wall-clock time (`Date.now()`), for people to read.
   */
  snapshot(): Record<string, { state: CircuitState; consecutiveFailures: number; openUntil?: number }> {
    const now = this.#now();
    const wallNow = Date.now();
    const result: [string, CircuitSnapshot][] = [];
    for (const [key, { circuit, trip }] of this.#table.entries(now)) {
      const { consecutiveFailures } = trip;
      const state = stateOf(circuit, now);
      result.push([
        key,
        state === 'open' && circuit.state === 'open'
          ? { state, consecutiveFailures, openUntil: Math.ceil(wallNow + circuit.openUntil - now) }
          : { state, consecutiveFailures },
      ]);
    }
    // Keys are the user's: `fromEntries` keeps a key named `__proto__` a key.
    return Object.fromEntries(result);
  }

  /**
   * The circuits that are not closed, as plain data for `initialState` (and `JSON.stringify`):
   * durations left, never a time of day, so that another machine's clock does not matter.
   */
  toJSON(): SavedBreakerState {
    const now = this.#now();
    const circuits: Array<[string, SavedCircuit]> = [];
    for (const [key, { circuit }] of this.#table.entries(now)) {
      const kept = saved(circuit, now);
      if (kept) circuits.push([key, kept]);
    }
    // fromEntries defines each key, so a key named `__proto__` stays a key.
    return { version: 1, circuits: Object.fromEntries(circuits) };
  }

  /**
   * Opens the circuit for `key` by hand, seen or not, until `reset(key)`: its requests fail
   * fast with `CircuitOpenError` (`retryAfterMs: Infinity`) and no probe goes. Returns the
   * change, or `undefined` if it was isolated already. No instance's `onCircuitStateChange` is
   * told: the change comes from your code, not from a request (log it where you call this).
   */
  isolate(key: string): CircuitTransition | undefined {
    if (typeof key !== 'string') fail('CircuitBreaker.isolate', 'key', 'a string', key);
    const now = this.#now();
    const entry = this.#table.get(key, now);
    const from = entry ? stateOf(entry.circuit, now) : 'closed';
    if (from === 'isolated') return undefined;
    this.#table.keep(key, { ...this.#newEntry(), circuit: { state: 'isolated' } }, 'pinned', now);
    return { key, from, to: 'isolated' };
  }

  /**
   * Closes the circuit for `key`, whatever opened it (failures or `isolate`), and forgets its
   * failures. Returns the change, or `undefined` if it was closed already (a key never seen
   * included). Like `isolate`, told to no instance's `onCircuitStateChange`.
   */
  reset(key: string): CircuitTransition | undefined {
    if (typeof key !== 'string') fail('CircuitBreaker.reset', 'key', 'a string', key);
    const now = this.#now();
    const entry = this.#table.get(key, now);
    if (!entry) return undefined;
    this.#table.delete(key);
    const from = stateOf(entry.circuit, now);
    return from === 'closed' ? undefined : { key, from, to: 'closed' };
  }

  #apply(key: string, entry: Entry, verdict: AttemptVerdict, probe: boolean, ticket: number | undefined, now: number) {
    const { circuit, trip } = entry;
    const open = (from: CircuitState, openMs: number): CircuitTransition => {
      entry.circuit = { state: 'open', openUntil: now + openMs, openMs };
      return { key, from, to: 'open' };
    };
    if (circuit.state === 'closed' && !probe) {
      if (verdict === 'success') trip.success(now);
      return verdict === 'failure' && trip.failure(now) ? open('closed', this.options.openMs) : undefined;
    }
    // Only a probe of this cycle moves a half-open circuit; late results of older attempts, or
    // of probes of a cycle that is over, do not.
    if (circuit.state !== 'half-open' || !probe || (ticket !== undefined && ticket !== circuit.cycle)) {
      return undefined;
    }
    circuit.probes -= 1;
    if (verdict === 'failure') return open('half-open', Math.min(circuit.openMs * 2, this.options.maxOpenMs));
    if (verdict === 'neutral') return undefined;
    trip.reset();
    entry.circuit = { state: 'closed' };
    return { key, from: 'half-open', to: 'closed' } satisfies CircuitTransition;
  }

  /**
   * Starts with the saved circuits. Only isolated ones lie outside `maxCircuits`: of the rest,
   * the last ones listed (`toJSON` lists the most recently used last) are kept.
   */
  #restore(circuits: SavedBreakerState['circuits']): void {
    const now = this.#now();
    const all = Object.entries(circuits);
    const timed = all.filter(([, c]) => c.state !== 'isolated').slice(-this.options.maxCircuits);
    for (const [key, circuit] of [...timed, ...all.filter(([, c]) => c.state === 'isolated')]) {
      const entry = { ...this.#newEntry(), circuit: restored(circuit, now, this.options) };
      this.#table.keep(key, entry, kindOf(entry.circuit), now);
    }
  }

  #newEntry(): Entry {
    const { failureRate, minimumRequests, windowMs, failureThreshold } = this.options;
    const trip =
      failureRate === undefined
        ? new ConsecutiveFailures(failureThreshold)
        : new FailureRate(failureRate, minimumRequests, windowMs);
    return { circuit: { state: 'closed' }, trip };
  }
}
