import type { CallerAbort } from './abort.js';

/**
 * The only module that starts timers. Every timer it starts is cleared and every listener it
 * adds is removed on every path, so a process exits when its work is done.
 */

/** Node and browsers fire a timer of more than 2³¹−1 ms at once: longer waits are chained. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** Calls `fn` after `ms` however long that is; the returned function cancels it. */
export function after(ms: number, fn: () => void): () => void {
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

/**
 * Calls `fn` once the I/O already waiting has been handled; the returned function cancels it.
 * A timer that fires late on a busy event loop may find an answer sitting unread in a socket:
 * Node runs timers before it polls for I/O, and `setImmediate` after. Three turns, since a
 * compressed answer is decoded on the thread pool and needs more than one to settle (a gzip
 * body did in two or three, measured). Elsewhere, a 0 ms timer.
 */
export function afterPendingIo(fn: () => void, turns = 3): () => void {
  // Looked up at each call, not at load: a fake clock installed later is honoured.
  const node = globalThis as { setImmediate?: (fn: () => void) => unknown; clearImmediate?: (id: unknown) => void };
  const { setImmediate, clearImmediate } = node;
  if (typeof setImmediate !== 'function' || typeof clearImmediate !== 'function') return after(0, fn);
  let immediate = setImmediate(function turn() {
    turns -= 1;
    if (turns > 0) immediate = setImmediate(turn);
    else fn();
  });
  return () => clearImmediate(immediate);
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

  /**
   * Ends the time limit but keeps the caller's abort reaching the signal until the returned
   * function is called: a streamed response's body is still read through it after the attempt.
   */
  endTimeLimit(): () => void {
    this.#cancelTimer?.();
    return () => this.#unsubscribe?.();
  }
}

/**
 * Runs `run`, and rejects with `onAbort()` as soon as `signal` aborts, even if `run` ignores the
 * signal (an adapter or a function that never settles): its late result is then dropped, and
 * its late failure handled.
 */
export function race<T>(
  signal: AbortSignal,
  run: () => T | Promise<T>,
  onAbort: () => unknown = () => signal.reason,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(onAbort());
      return;
    }
    const abort = () => reject(onAbort());
    signal.addEventListener('abort', abort, { once: true });
    const settle = () => signal.removeEventListener('abort', abort);
    Promise.resolve()
      // Aborted before this turn (by a microtask queued ahead of it): `run` is not started at
      // all, so nothing is sent for a call that has already ended.
      .then(() => (signal.aborted ? new Promise<T>(() => {}) : run()))
      .then(
        (value) => {
          settle();
          resolve(value);
        },
        (error: unknown) => {
          settle();
          reject(error);
        },
      );
  });
}

/**
 * Runs a user's hook, and waits for it no longer than the call may last: until the caller
 * aborts or `limitMs` (what the deadline leaves) passes, whichever comes first. A hook that
 * hangs cannot hold a call past its deadline or its caller's abort; it is still called when
 * either has come already, and its late failure is handled.
 */
export async function within<T>(
  limitMs: number | undefined,
  abort: CallerAbort,
  run: () => T | Promise<T>,
): Promise<{ value: T } | { stopped: 'aborted' | 'deadline' }> {
  const result = Promise.resolve().then(run);
  if (limitMs === undefined && !abort.cancellable) return { value: await result };
  const timer = new AttemptTimer(limitMs, abort);
  const stopped = {};
  try {
    return {
      value: await race(
        timer.signal,
        () => result,
        () => stopped,
      ),
    };
  } catch (error) {
    if (error !== stopped) throw error;
    result.catch(() => {});
    return { stopped: timer.expired ? 'deadline' : 'aborted' };
  } finally {
    timer.dispose();
  }
}
