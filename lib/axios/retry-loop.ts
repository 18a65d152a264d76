import type { AxiosInstance, AxiosRequestConfig, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { isAxiosError } from 'axios';
import { monotonicNow } from '../clock.js';
import { isRetryable } from '../decide/classify.js';
import { isReplayableBody } from '../decide/replay-safety.js';
import { canceledError, isCanceled } from '../errors.js';
import { afterFailedAttempt, stopRetrying, timeLeft } from '../run/engine.js';
import { log, requestSubject, successLine } from '../run/log.js';
import { rememberState } from '../run/stories.js';
import { within } from '../run/timers.js';
import type { StopReason } from '../types.js';
import type { Outcome, RequestContext } from './context.js';
import { discardBody } from './request.js';
import { REPLAY_KEY, Replay } from './tracking.js';

/**
 * Runs in the original call's response interceptor after an attempt failed: decides, waits,
 * replays through the instance, and repeats until a response or a final error. It owns the
 * call's end: whatever throws in between (a hook, a logger, our own code), its `finally`
 * counts the call once.
 */
export async function handleFailure(
  context: RequestContext,
  firstError: unknown,
  instance: AxiosInstance,
): Promise<AxiosResponse> {
  let result: 'success' | StopReason = 'hook-error';
  try {
    const response = await retryUntilDone(context, firstError, instance);
    result = 'success';
    return response;
  } catch (error) {
    // A hook's error too tells the call's story (it carries no config of the call's).
    context.state.stopReason ??= 'hook-error';
    rememberState(error, context.state);
    throw error;
  } finally {
    context.scope.settle(context, result === 'success' ? result : (context.state.stopReason ?? result));
  }
}

async function retryUntilDone(
  context: RequestContext,
  firstError: unknown,
  instance: AxiosInstance,
): Promise<AxiosResponse> {
  const { options, state } = context;
  let error = firstError;
  let lastSent = firstError;
  for (;;) {
    // Anything but an AxiosError (say, a request interceptor that threw) is not ours to retry.
    const config = isAxiosError(error) ? error.config : undefined;
    // Aborted while waiting for the origin's cooldown: a CanceledError of this call's.
    if (context.notSent === 'aborted' && config) {
      return giveUp(context, callCanceled(context.abort.reason, config), config, 'aborted');
    }
    // User code before the attempt threw (a key function, a cooldown of the user's): the call
    // ends with its error.
    if (context.notSent === 'hook-error') return giveUp(context, error, context.lastConfig, 'hook-error');
    // Not sent (refused by the circuit or the cooldown, no time left): the call ends with the
    // last failure it really had, if any.
    if (context.notSent) return giveUp(context, state.attempt ? lastSent : error, config, context.notSent);
    // A key function of the user's threw before an attempt: the call has ended with its error.
    if (context.settled) return giveUp(context, error, config, context.state.stopReason ?? 'hook-error');
    if (!config) return giveUp(context, error, undefined, 'not-retryable');
    // Nothing was sent: a request interceptor that runs after ours failed the call.
    if (state.attempt === 0) return giveUp(context, error, config, 'not-retryable');
    lastSent = error;
    const next = await afterFailedAttempt(context, {
      error,
      config,
      canceled: isCanceled(error),
      deadlineReached: context.deadlineReached,
      heldByCooldown: context.heldByCooldown,
      bodyReplayable: isReplayableBody(context.request.data),
      subject: requestSubject(config, state),
      classify: () => isRetryable(error, options),
      beforeWait: () => discardBody(isAxiosError(error) ? error.response : undefined),
    });
    if ('stop' in next) {
      // Aborted during a hook or the wait: a CanceledError of this call's, as any abort.
      return giveUp(context, next.canceled ? callCanceled(next.canceled.reason, config) : error, config, next.stop);
    }
    // The replay is bounded like a hook: a user's interceptor that hangs on it cannot hold the
    // call past its deadline or its caller's abort.
    const sent = await within(timeLeft(context), context.abort, () => replay(instance, config, context));
    if ('stopped' in sent) {
      context.capture = undefined;
      const stopError = sent.stopped === 'aborted' ? callCanceled(context.abort.reason, config) : lastSent;
      return giveUp(context, stopError, config, sent.stopped);
    }
    const outcome = sent.value;
    if ('response' in outcome) {
      // A response interceptor before ours may hand on anything, not only a response.
      const subject = requestSubject((outcome.response as AxiosResponse | undefined)?.config ?? config, state);
      log(options.logger, 'info', successLine(subject, state, monotonicNow() - context.startedMono));
      return outcome.response;
    }
    error = outcome.error;
  }
}

/** A CanceledError of this call's (a token's reason is one object shared by every call it cancels). */
function callCanceled(reason: unknown, config: InternalAxiosRequestConfig) {
  return canceledError(isCanceled(reason) ? (reason as Error).message : undefined, config);
}

/** Gives up on the request: see `stopRetrying`. Without a config, nothing is logged. */
function giveUp(
  context: RequestContext,
  error: unknown,
  config: InternalAxiosRequestConfig | undefined,
  reason: StopReason,
): Promise<never> {
  const about = config && { subject: requestSubject(config, context.state), config };
  return stopRetrying(context, error, reason, about, timeLeft(context));
}

/**
 * Sends the next attempt through the same instance, so the user's request interceptors run
 * again, on a config derived from what the user gave (see request.ts). The outcome normally
 * arrives through `context.capture`; the replay's own promise settles it when our interceptors
 * did not see the outcome (detached in the meantime, or a user's interceptor replaced it).
 */
function replay(
  instance: AxiosInstance,
  config: InternalAxiosRequestConfig,
  context: RequestContext,
): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    const deliver = (outcome: Outcome) => {
      if (context.capture === deliver) context.capture = undefined;
      resolve(outcome);
    };
    context.capture = deliver;
    instance.request(replayConfig(config, context, instance)).then(
      (response) => deliver({ response }),
      (failure: unknown) => deliver({ error: failure }),
    );
  });
}

/**
 * The config of the next attempt: the call's config as first seen (so interceptors that run
 * after ours start from what they started from), with the user's body and headers.
 */
function replayConfig(
  failed: InternalAxiosRequestConfig,
  context: RequestContext,
  instance: AxiosInstance,
): AxiosRequestConfig {
  const { data, headers, config } = context.request;
  return {
    ...(config ?? failed),
    data,
    headers,
    ...(context.adapter ? { adapter: context.adapter } : {}),
    [REPLAY_KEY]: new Replay(context, instance),
  } as AxiosRequestConfig;
}
