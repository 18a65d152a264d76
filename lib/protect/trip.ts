import { SlidingWindow } from './window.js';

/** Decides when a closed circuit opens. Separate from the state machine, as in cockatiel. */
export interface TripPolicy {
  /** Consecutive failures so far, for stats. */
  readonly consecutiveFailures: number;
  success(now: number): void;
  /** Records a failure; `true` means the circuit should open. */
  failure(now: number): boolean;
  reset(): void;
  /** True when it holds nothing that could ever open the circuit, so the circuit can be dropped. */
  isEmpty(now: number): boolean;
}

/** Opens after `threshold` failures in a row. */
export class ConsecutiveFailures implements TripPolicy {
  consecutiveFailures = 0;
  constructor(readonly threshold: number) {}

  success(): void {
    this.consecutiveFailures = 0;
  }

  failure(): boolean {
    this.consecutiveFailures += 1;
    return this.consecutiveFailures >= this.threshold;
  }

  reset(): void {
    this.consecutiveFailures = 0;
  }

  isEmpty(): boolean {
    return this.consecutiveFailures === 0;
  }
}

const REQUESTS = 0;
const FAILURES = 1;

/** Opens when at least `rate` of at least `minimumRequests` requests in the window failed. */
export class FailureRate implements TripPolicy {
  consecutiveFailures = 0;
  readonly #window: SlidingWindow;

  constructor(
    readonly rate: number,
    readonly minimumRequests: number,
    windowMs: number,
  ) {
    this.#window = new SlidingWindow(windowMs, 2);
  }

  success(now: number): void {
    this.consecutiveFailures = 0;
    this.#window.add(now, REQUESTS);
  }

  failure(now: number): boolean {
    this.consecutiveFailures += 1;
    this.#window.add(now, REQUESTS);
    this.#window.add(now, FAILURES);
    const requests = this.#window.sum(now, REQUESTS);
    return requests >= this.minimumRequests && this.#window.sum(now, FAILURES) >= this.rate * requests;
  }

  reset(): void {
    this.consecutiveFailures = 0;
    this.#window.clear();
  }

  /**
   * Successes count too: towards `minimumRequests`, and against the rate (dropping them would
   * let a burst of failures open a circuit its successes keep closed). So the window must be empty.
   */
  isEmpty(now: number): boolean {
    return this.#window.sum(now, REQUESTS) === 0;
  }
}
