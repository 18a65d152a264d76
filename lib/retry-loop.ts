import type { AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { CanceledError, isAxiosError, isCancel } from 'axios';
import { isReplayableBody, isRetryable } from './classify.js';
import type { Outcome, RequestContext } from './context.js';
import { decide } from './decision.js';
import { admitAttempt, failureContext, reserveRetry, stopRetrying } from './engine.js';
import { requestSubject, retryLine, successLine } from './log.js';
import { sleep } from './timers.js';
import type { StopReason } from './types.js';

/**
 * Runs in the original call's response interceptor after its first attempt failed: decides,
 * waits, replays through the instance, and repeats until a response or a final error.
 */
export async function handleFailure(
  context: RequestContext,
  firstError: unknown,
  instance: AxiosInstance,
): Promise<AxiosResponse> {
  const { options, state, scope } = context;
  let error = firstError;
  for (;;) {
    // Anything but an AxiosError (say, a request interceptor that threw) is not ours to retry.
    const config = isAxiosError(error) ? error.config : undefined;
    if (!config) return giveUp(context, error, undefined, 'not-retryable');
    const decision = await decideFor(context, error, config);
    if (!decision.retry) return giveUp(context, error, config, decision.reason);
    if (!reserveRetry(options)) return giveUp(context, error, config, 'budget');
    const last = state.history[state.history.length - 1];
    if (last) last.delayMs = decision.delayMs;
    options.logger?.warn?.(retryLine(requestSubject(config, state), state, decision.delayMs));
    await options.onRetry?.(Object.freeze({ ...failureContext(state, error, config), delayMs: decision.delayMs }));
    discardStream(error);
    try {
      await sleep(decision.delayMs, context.signal, () => new CanceledError(undefined, config));
    } catch (canceled) {
      return giveUp(context, canceled, config, 'aborted');
    }
    if (!admit(context)) return giveUp(context, error, config, 'circuit-open');
    scope.retries += 1;
    const outcome = await replay(instance, config, context);
    if ('response' in outcome) {
      scope.successes += 1;
      options.logger?.info?.(successLine(requestSubject(outcome.response.config, state), state, Date.now()));
      return outcome.response;
    }
    error = outcome.error;
  }
}

/** Asks the circuit, if any, to let the retry through; remembers whether it is a probe. */
function admit(context: RequestContext): boolean {
  const { options, scope } = context;
  const admission = admitAttempt(options.circuitBreaker, context.circuitKey, (t) => scope.report(t, options));
  if (admission.allowed) context.probe = admission.probe;
  return admission.allowed;
}

async function decideFor(context: RequestContext, error: unknown, config: InternalAxiosRequestConfig) {
  const { options, state } = context;
  const canceled = isCancel(error);
  // shouldRetry is not asked when no retry is left; `decide` then reports 'retries-exhausted'.
  const exhausted = state.attempt > options.retries;
  const retryable =
    !canceled &&
    (options.shouldRetry
      ? exhausted || (await options.shouldRetry(failureContext(state, error, config)))
      : isRetryable(error, options));
  return decide(
    {
      attempt: state.attempt,
      canceled,
      deadlineReached: context.deadlineReached,
      retryable: retryable === true,
      bodyReplayable: isReplayableBody(config.data),
      retryAfter: isAxiosError(error) ? error.response?.headers['retry-after'] : undefined,
      previousDelay: state.history[state.history.length - 2]?.delayMs,
      startedAt: state.startedAt,
      now: Date.now(),
    },
    options,
  );
}

/** Gives up on the request: see `stopRetrying`. Without a config, nothing is logged. */
export function giveUp(
  context: RequestContext,
  error: unknown,
  config: InternalAxiosRequestConfig | undefined,
  reason: StopReason,
): Promise<never> {
  return stopRetrying(context, error, reason, config && { subject: requestSubject(config, context.state), config });
}

/**
 * Sends the next attempt through the same instance, so the user's request interceptors run
 * again. The outcome normally arrives through `context.capture`; the replay's own promise
 * settles only if the interceptors were detached in the meantime.
 */
function replay(
  instance: AxiosInstance,
  config: InternalAxiosRequestConfig,
  context: RequestContext,
): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    const deliver = (outcome: Outcome) => {
      context.capture = undefined;
      resolve(outcome);
    };
    context.capture = deliver;
    instance.request(config).then(
      (response) => deliver({ response }),
      (failure: unknown) => deliver({ error: failure }),
    );
  });
}

/** A failed `responseType: 'stream'` response holds its socket until the stream is destroyed. */
function discardStream(error: unknown): void {
  const data: unknown = isAxiosError(error) ? error.response?.data : undefined;
  if (typeof data === 'object' && data !== null && typeof (data as { destroy?: unknown }).destroy === 'function') {
    (data as { destroy: () => void }).destroy();
  }
}
