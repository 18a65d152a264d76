/**
 * The only module that touches timers and abort signals. Every timer it starts is cleared
 * and every listener it adds is removed on every path, so a process exits when its work is done.
 */

/** Resolves after `ms`, or rejects with `onAbort()` as soon as `signal` aborts (timer cleared). */
export function sleep<E>(ms: number, signal: AbortSignal | undefined, onAbort: () => E): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(onAbort());
      return;
    }
    const abort = () => {
      clearTimeout(timer);
      reject(onAbort());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', abort, { once: true });
  });
}

/**
 * Bounds one attempt: a fresh signal that aborts when the caller's signal aborts or when
 * `limitMs` passes. `expired` tells afterwards whether the timer was the cause.
 */
export class AttemptTimer {
  readonly signal: AbortSignal;
  expired = false;
  readonly #controller = new AbortController();
  readonly #timer: ReturnType<typeof setTimeout>;
  readonly #parent: AbortSignal | undefined;
  readonly #forward = () => this.#controller.abort();

  constructor(limitMs: number, parent: AbortSignal | undefined) {
    this.signal = this.#controller.signal;
    this.#parent = parent;
    this.#timer = setTimeout(() => {
      this.expired = true;
      this.#controller.abort();
    }, limitMs);
    if (parent?.aborted) this.#controller.abort();
    else parent?.addEventListener('abort', this.#forward, { once: true });
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#parent?.removeEventListener('abort', this.#forward);
  }
}
