import type { InternalAxiosRequestConfig } from 'axios';
import { nonDecreasing } from '../clock.js';
import type { CircuitBreakerOptions } from './breaker-options.js';
import { normalizeBreakerOptions } from './breaker-options.js';
import { CircuitTable } from './circuit-table.js';
import type { TripPolicy } from './trip.js';
import { ConsecutiveFailures, FailureRate } from './trip.js';

export type { CircuitBreakerOptions } from './breaker-options.js';

import type {
  Admission,
  AttemptVerdict,
  CircuitBreakerLike,
  CircuitSnapshot,
  CircuitState,
  CircuitTransition,
} from '../types.js';

export type { Admission, AttemptVerdict, CircuitState, CircuitTransition } from '../types.js';

type Circuit =
  | { readonly state: 'closed' }
  | { readonly state: 'open'; readonly openUntil: number; readonly openMs: number }
  | { readonly state: 'half-open'; probes: number; readonly openMs: number };

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
 * all; the others are bounded by `maxCircuits` and `circuitIdleMs`.
 * @category Protections
 */
export class CircuitBreaker implements CircuitBreakerLike {
  readonly options: Readonly<CircuitBreakerOptions>;
  readonly #now: () => number;
  readonly #table: CircuitTable<Entry>;

  constructor(options: Partial<CircuitBreakerOptions> = {}) {
    this.options = normalizeBreakerOptions(options);
    const { maxCircuits, circuitIdleMs, failureRate, windowMs } = this.options;
    this.#now = nonDecreasing(this.options.now);
    // In rate mode, a closed circuit idle for windowMs has an empty window: nothing left to keep.
    const closedIdleMs = failureRate === undefined ? circuitIdleMs : Math.min(windowMs, circuitIdleMs);
    this.#table = new CircuitTable(maxCircuits, closedIdleMs, circuitIdleMs);
  }

  keyOf(config: InternalAxiosRequestConfig): string {
    return this.options.key(config);
  }

  /** Asks to send an attempt for `key` now. */
  acquire(key: string): Admission {
    const now = this.#now();
    const entry = this.#table.get(key, now);
    if (!entry) return { allowed: true, probe: false };
    let transition: CircuitTransition | undefined;
    let circuit = entry.circuit;
    this.#table.keep(key, entry, circuit.state !== 'closed', now);
    if (circuit.state === 'open') {
      const wait = circuit.openUntil - now;
      if (wait > 0) return { allowed: false, retryAfterMs: Math.ceil(wait) };
      circuit = entry.circuit = { state: 'half-open', probes: 0, openMs: circuit.openMs };
      transition = { key, from: 'open', to: 'half-open' };
    }
    if (circuit.state === 'closed') return { allowed: true, probe: false };
    if (circuit.probes >= this.options.halfOpenProbes) {
      return transition ? { allowed: false, retryAfterMs: 0, transition } : { allowed: false, retryAfterMs: 0 };
    }
    circuit.probes += 1;
    return transition ? { allowed: true, probe: true, transition } : { allowed: true, probe: true };
  }

  /** Records how an admitted attempt ended; returns the transition it caused, if any. */
  record(key: string, verdict: AttemptVerdict, probe: boolean): CircuitTransition | undefined {
    const now = this.#now();
    let entry = this.#table.get(key, now);
    if (!entry) {
      // No circuit: closed with nothing counted, where a probe's or a neutral outcome moves nothing.
      if (probe || verdict === 'neutral' || !this.#table.hasRoom(now)) return undefined;
      entry = this.#newEntry();
    }
    const transition = this.#apply(key, entry, verdict, probe, now);
    if (entry.circuit.state === 'closed' && entry.trip.isEmpty(now)) this.#table.delete(key);
    else this.#table.keep(key, entry, entry.circuit.state !== 'closed', now);
    return transition;
  }

  /**
   * The circuits kept (at most `maxCircuits`), as plain data; a key not listed is closed with
   * nothing counted. `openUntil` is wall-clock time (`Date.now()`), for people to read.
   */
  snapshot(): Record<string, { state: CircuitState; consecutiveFailures: number; openUntil?: number }> {
    const now = this.#now();
    const wallNow = Date.now();
    const result: Record<string, CircuitSnapshot> = {};
    for (const [key, { circuit, trip }] of this.#table.entries(now)) {
      const { consecutiveFailures } = trip;
      result[key] =
        circuit.state !== 'open'
          ? { state: circuit.state, consecutiveFailures }
          : circuit.openUntil <= now
            ? { state: 'half-open', consecutiveFailures }
            : { state: 'open', consecutiveFailures, openUntil: Math.ceil(wallNow + circuit.openUntil - now) };
    }
    return result;
  }

  #apply(key: string, entry: Entry, verdict: AttemptVerdict, probe: boolean, now: number) {
    const { circuit, trip } = entry;
    const open = (from: CircuitState, openMs: number): CircuitTransition => {
      entry.circuit = { state: 'open', openUntil: now + openMs, openMs };
      return { key, from, to: 'open' };
    };
    if (circuit.state === 'closed' && !probe) {
      if (verdict === 'success') trip.success(now);
      return verdict === 'failure' && trip.failure(now) ? open('closed', this.options.openMs) : undefined;
    }
    // Only a probe's outcome moves a half-open circuit; late results of older attempts do not.
    if (circuit.state !== 'half-open' || !probe) return undefined;
    circuit.probes -= 1;
    if (verdict === 'failure') return open('half-open', Math.min(circuit.openMs * 2, this.options.maxOpenMs));
    if (verdict === 'neutral') return undefined;
    trip.reset();
    entry.circuit = { state: 'closed' };
    return { key, from: 'half-open', to: 'closed' } satisfies CircuitTransition;
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
