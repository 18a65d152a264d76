import type { InternalAxiosRequestConfig } from 'axios';
import { normalizeBreakerOptions } from './breaker-options.js';
import type { TripPolicy } from './trip.js';
import { ConsecutiveFailures, FailureRate } from './trip.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitTransition {
  readonly key: string;
  readonly from: CircuitState;
  readonly to: CircuitState;
}

/** How an attempt ended, for the breaker: only failures the policy would retry count. */
export type AttemptVerdict = 'success' | 'failure' | 'neutral';

export type Admission =
  | { readonly allowed: true; readonly probe: boolean; readonly transition?: CircuitTransition }
  | { readonly allowed: false; readonly retryAfterMs: number; readonly transition?: CircuitTransition };

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
  /** One circuit per key. @default the origin of the request URL */
  key: (config: InternalAxiosRequestConfig) => string;
  /** The clock, for simulations and tests. @default Date.now */
  now: () => number;
}

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
 */
export class CircuitBreaker {
  readonly options: Readonly<CircuitBreakerOptions>;
  readonly #entries = new Map<string, Entry>();

  constructor(options: Partial<CircuitBreakerOptions> = {}) {
    this.options = normalizeBreakerOptions(options);
  }

  keyOf(config: InternalAxiosRequestConfig): string {
    return this.options.key(config);
  }

  /** Asks to send an attempt for `key` now. */
  acquire(key: string): Admission {
    const entry = this.#entry(key);
    let transition: CircuitTransition | undefined;
    let circuit = entry.circuit;
    if (circuit.state === 'open') {
      const wait = circuit.openUntil - this.options.now();
      if (wait > 0) return { allowed: false, retryAfterMs: wait };
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
    const entry = this.#entry(key);
    const { circuit, trip } = entry;
    const now = this.options.now();
    if (circuit.state === 'closed' && !probe) {
      if (verdict === 'success') trip.success(now);
      if (verdict === 'failure' && trip.failure(now)) return this.#open(key, entry, 'closed', this.options.openMs);
      return undefined;
    }
    // Only a probe's outcome moves a half-open circuit; late results of older attempts do not.
    if (circuit.state !== 'half-open' || !probe) return undefined;
    circuit.probes -= 1;
    if (verdict === 'failure')
      return this.#open(key, entry, 'half-open', Math.min(circuit.openMs * 2, this.options.maxOpenMs));
    if (verdict === 'neutral') return undefined;
    trip.reset();
    entry.circuit = { state: 'closed' };
    return { key, from: 'half-open', to: 'closed' };
  }

  /** Every circuit this breaker has seen, as plain data. */
  snapshot(): Record<string, { state: CircuitState; consecutiveFailures: number; openUntil?: number }> {
    const now = this.options.now();
    const result: Record<string, { state: CircuitState; consecutiveFailures: number; openUntil?: number }> = {};
    for (const [key, { circuit, trip }] of this.#entries) {
      const state = circuit.state === 'open' && circuit.openUntil <= now ? 'half-open' : circuit.state;
      result[key] =
        circuit.state === 'open' && state === 'open'
          ? { state, consecutiveFailures: trip.consecutiveFailures, openUntil: circuit.openUntil }
          : { state, consecutiveFailures: trip.consecutiveFailures };
    }
    return result;
  }

  #open(key: string, entry: Entry, from: CircuitState, openMs: number): CircuitTransition {
    entry.circuit = { state: 'open', openUntil: this.options.now() + openMs, openMs };
    return { key, from, to: 'open' };
  }

  #entry(key: string): Entry {
    let entry = this.#entries.get(key);
    if (!entry) {
      const { failureRate, minimumRequests, windowMs, failureThreshold } = this.options;
      const trip =
        failureRate === undefined
          ? new ConsecutiveFailures(failureThreshold)
          : new FailureRate(failureRate, minimumRequests, windowMs);
      entry = { circuit: { state: 'closed' }, trip };
      this.#entries.set(key, entry);
    }
    return entry;
  }
}
