/**
 * The caller's ways to cancel a request: its `AbortSignal` and axios's legacy `CancelToken`.
 * One place listens to them, so that a backoff wait or an attempt timer is cut short by either,
 * and every listener is removed when its owner is done with it.
 */

type Listener = (reason: unknown) => void;

/** The part of axios's CancelToken we use (any axios copy's token has it). */
interface CancelTokenLike {
  readonly reason?: unknown;
  subscribe(listener: Listener): void;
  unsubscribe(listener: Listener): void;
}

interface Subscribers {
  readonly listeners: Set<Listener>;
  readonly onAbort: () => void;
}

/**
 * One 'abort' listener per signal, whatever the number of our requests that share it (a
 * shutdown signal handed to every call), so that Node never warns of a listener leak on our
 * account: each request adds to a set, and the listener goes when the set is empty.
 */
const bySignal = new WeakMap<AbortSignal, Subscribers>();

function onSignal(signal: AbortSignal, listener: Listener): () => void {
  let subscribers = bySignal.get(signal);
  if (!subscribers) {
    const listeners = new Set<Listener>();
    const onAbort = () => {
      bySignal.delete(signal);
      for (const notify of listeners) notify(signal.reason);
    };
    subscribers = { listeners, onAbort };
    bySignal.set(signal, subscribers);
    signal.addEventListener('abort', onAbort, { once: true });
  }
  const { listeners, onAbort } = subscribers;
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && bySignal.get(signal) === subscribers) {
      bySignal.delete(signal);
      signal.removeEventListener('abort', onAbort);
    }
  };
}

/** The signal and cancel token of one call, as one source of "the caller gave up". */
export class CallerAbort {
  readonly signal: AbortSignal | undefined;
  readonly #token: CancelTokenLike | undefined;

  constructor(
    /** The signal and token as the config gave them, listenable or not. */
    readonly givenSignal: unknown,
    readonly givenToken: unknown,
  ) {
    const signal = givenSignal;
    const cancelToken = givenToken;
    // axios also accepts signal-like objects without listeners; only a real one can cut a wait short.
    this.signal =
      typeof (signal as AbortSignal | undefined)?.addEventListener === 'function' ? (signal as AbortSignal) : undefined;
    this.#token =
      typeof (cancelToken as CancelTokenLike | undefined)?.subscribe === 'function'
        ? (cancelToken as CancelTokenLike)
        : undefined;
  }

  /** The call can be cancelled at all (it has a signal or a token). */
  get cancellable(): boolean {
    return this.signal !== undefined || this.#token !== undefined;
  }

  get aborted(): boolean {
    return this.signal?.aborted === true || this.#token?.reason !== undefined;
  }

  /** What the call was aborted with: the token's reason (axios throws it as is), else the signal's. */
  get reason(): unknown {
    return this.#token?.reason ?? this.signal?.reason;
  }

  /** Calls `listener` once when either source aborts (at once if one has); returns the unsubscribe. */
  subscribe(listener: Listener): () => void {
    if (this.aborted) {
      listener(this.reason);
      return () => {};
    }
    const token = this.#token;
    const once: Listener = (reason) => {
      stop();
      listener(reason);
    };
    const offSignal = this.signal ? onSignal(this.signal, once) : undefined;
    token?.subscribe(once);
    const stop = () => {
      offSignal?.();
      token?.unsubscribe(once);
    };
    return stop;
  }
}
