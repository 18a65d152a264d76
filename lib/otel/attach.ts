import type { MeterProvider } from '@opentelemetry/api';
import { metrics, trace } from '@opentelemetry/api';
import type { AxiosInstance, AxiosResponse } from 'axios';
import type { GiveUpContext, RetryEventContext, RetryHandle, RetryOptions } from '../index.js';
import { attachRetry, getRetryState } from '../index.js';
import { callAttributes, errorType } from './attributes.js';
import { RetryMetrics, SCOPE, STOP_REASON_ATTRIBUTE } from './metrics.js';
import { resendCountAdapter, unwrapAdapter } from './resend.js';

/** Where the telemetry goes. */
export interface TelemetryOptions {
  /**
   * Where the metrics go. Register the global one before calling `attachRetryWithTelemetry`:
   * the meter is taken once, then. @default the global MeterProvider (`metrics.getMeterProvider()`)
   */
  meterProvider: MeterProvider;
}

/** Span events on the caller's active span. */
export const BACKOFF_EVENT = 'axios_rebound.backoff';
export const GIVE_UP_EVENT = 'axios_rebound.give_up';

/** The config of each call that gave up, by its story: what its metrics are labelled with. */
const configs = new WeakMap<object, AxiosResponse['config']>();

/**
 * {@link attachRetry} with OpenTelemetry: each attempt is sent with its resend count in the
 * context (for {@link httpInstrumentationHooks} and {@link undiciInstrumentationHooks} to put
 * on its CLIENT span), each backoff wait and the give-up are events on the caller's active
 * span, and every call that ends is counted in the metrics (README, "OpenTelemetry").
 * `options.onRetry` and `options.onGiveUp` still run, after ours; what they throw still ends
 * the call. Choose the adapter on the instance: a per-request `adapter` replaces the one that
 * carries the resend count. `detach()` also puts the instance's adapter back.
 */
export function attachRetryWithTelemetry(
  instance: AxiosInstance,
  options: Partial<RetryOptions> = {},
  telemetry: Partial<TelemetryOptions> = {},
): RetryHandle {
  const recorder = new RetryMetrics((telemetry.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE));
  const { onRetry, onGiveUp } = options;
  const handle = attachRetry(instance, {
    ...options,
    onRetry: (ctx) => {
      observe(() => backoffEvent(ctx));
      return onRetry?.(ctx);
    },
    onGiveUp: (ctx) => {
      // A hook's error carries no config of the call's: the metrics take it from here.
      if (ctx.config) configs.set(ctx.state, ctx.config);
      observe(() => giveUpEvent(ctx));
      return onGiveUp?.(ctx);
    },
  });
  const base = instance.defaults.adapter;
  const adapter = resendCountAdapter(base);
  instance.defaults.adapter = adapter;
  // Registered after attachRetry's, so it sees each call's final outcome once (README, "How it
  // composes with other interceptors"), and the story that getRetryState tells of it.
  const ended = (about: AxiosResponse | unknown) => {
    const state = getRetryState(about);
    const config = (about as { config?: AxiosResponse['config'] } | undefined)?.config ?? (state && configs.get(state));
    if (state) observe(() => recorder.callEnded(state, callAttributes(instance, config)));
  };
  const responseId = instance.interceptors.response.use(
    (response) => {
      ended(response);
      return response;
    },
    (error: unknown) => {
      ended(error);
      throw error;
    },
  );
  return Object.freeze({
    options: handle.options,
    stats: () => handle.stats(),
    detach() {
      handle.detach();
      instance.interceptors.response.eject(responseId);
      if (instance.defaults.adapter !== adapter) return;
      const original = unwrapAdapter(adapter);
      if (original === undefined) delete instance.defaults.adapter;
      else instance.defaults.adapter = original;
    },
  });
}

function backoffEvent(ctx: RetryEventContext): void {
  trace.getActiveSpan()?.addEvent(BACKOFF_EVENT, {
    'axios_rebound.attempt': ctx.attempt,
    'axios_rebound.backoff.delay': ctx.delayMs / 1000,
    'error.type': errorType(ctx.error),
  });
}

function giveUpEvent(ctx: GiveUpContext): void {
  trace.getActiveSpan()?.addEvent(GIVE_UP_EVENT, {
    'axios_rebound.attempt': ctx.attempt,
    [STOP_REASON_ATTRIBUTE]: ctx.stopReason,
    'error.type': errorType(ctx.error),
  });
}

let reported = false;

/**
 * Telemetry is an observer: if it throws, the call goes on, and the first failure is reported.
 * Like the core's `reportOnce`, which this entry may not import: it sees only the public entry
 * (test/layout.test.ts), as a package of its own would.
 */
function observe(record: () => void): void {
  try {
    record();
  } catch (error) {
    if (reported) return;
    reported = true;
    let shown: string;
    try {
      shown = String(error);
    } catch {
      shown = typeof error; // an object without a prototype, a revoked Proxy
    }
    const message = `axios-rebound/otel: recording telemetry threw (${shown}); ignored, the call goes on. Reported once.`;
    const host = (globalThis as { process?: { emitWarning?: (message: string, options: object) => void } }).process;
    if (typeof host?.emitWarning === 'function') host.emitWarning(message, { code: 'AXIOS_REBOUND_OBSERVER_FAILED' });
    else console.warn(message);
  }
}
