import type { CallerAbort } from './abort.js';

/**
 * The only module that starts timers. Every timer it starts is cleared and every listener it
 * adds is removed on every path, so a process exits when its work is done.
 */

/** Node and browsers fire a timer of more than 2³¹−1 ms at once: longer waits are chained. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** Calls `fn` after `ms` however long that is; the returned function cancels it. */
function after(ms: number, fn: () => void): () => void {
  let cancel: () => void = () => {};
  const timer = setTimeout(
    () => {
      if (ms > LONGEST_TIMER_MS) cancel = after(ms - LONGEST_TIMER_MS, fn);
      else fn();
    },
    Math.min(ms, LONGEST_TIMER_MS),
  );
  cancel = () => clearTimeout(timer);
  return () => cancel();
}

/** Resolves after `ms`, or rejects with `onAbort(reason)` as soon as the caller aborts (timer cleared). */
export function sleep<E>(ms: number, abort: CallerAbort | undefined, onAbort: (reason: unknown) => E): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cancel = after(ms, () => {
      unsubscribe?.();
      resolve();
    });
    const unsubscribe = abort?.subscribe((reason) => {
      cancel();
      reject(onAbort(reason));
    });
  });
}

/** An attempt's time limit: `attemptTimeout`, capped by what the `deadline` leaves. */
export interface AttemptLimit {
  readonly ms: number;
  /** The deadline, not attemptTimeout, is what cuts the attempt. */
  readonly isDeadline: boolean;
}

/** The limit of an attempt that starts at `now` of a call that started at `startedAt`; none without one. */
export function attemptLimit(
  options: { readonly attemptTimeout: number | undefined; readonly deadline: number | undefined },
  startedAt: number,
  now: number,
): AttemptLimit | undefined {
  const { attemptTimeout, deadline } = options;
  const remaining = deadline === undefined ? Infinity : startedAt + deadline - now;
  const ms = Math.min(attemptTimeout ?? Infinity, remaining);
  if (ms === Infinity) return undefined;
  return { ms: Math.max(0, ms), isDeadline: remaining <= (attemptTimeout ?? Infinity) };
}

/** What a timed-out attempt's error says. */
export function timeoutMessage(
  limit: AttemptLimit,
  options: { readonly attemptTimeout: number | undefined; readonly deadline: number | undefined },
): string {
  return limit.isDeadline
    ? `deadline of ${String(options.deadline)}ms exceeded`
    : `attempt timeout of ${String(options.attemptTimeout)}ms exceeded`;
}

/**
 * Bounds one attempt: a fresh signal that aborts when the caller aborts or when `limitMs`
 * passes (no timer without a limit). `expired` tells afterwards whether the timer was the cause.
 */
export class AttemptTimer {
  readonly signal: AbortSignal;
  expired = false;
  readonly #controller = new AbortController();
  readonly #cancelTimer: (() => void) | undefined;
  readonly #unsubscribe: (() => void) | undefined;

  constructor(limitMs: number | undefined, abort: CallerAbort | undefined) {
    this.signal = this.#controller.signal;
    if (limitMs !== undefined) {
      this.#cancelTimer = after(limitMs, () => {
        this.expired = true;
        this.#controller.abort();
      });
    }
    this.#unsubscribe = abort?.subscribe((reason) => this.#controller.abort(reason));
  }

  dispose(): void {
    this.#cancelTimer?.();
    this.#unsubscribe?.();
  }
}
