import type { Attributes, Context } from '@opentelemetry/api';
import { context } from '@opentelemetry/api';
import type { AxiosAdapter, AxiosRequestConfig } from 'axios';
import axios from 'axios';
import { getRetryState } from '../index.js';

/**
 * Where an attempt's resend count travels in the OpenTelemetry context: a registered symbol,
 * so an ESM and a CommonJS copy of this entry (or two bundles) read what the other wrote.
 */
const RESEND_COUNT = Symbol.for('axios-rebound.http.request.resend_count');

/** The stable HTTP semantic-conventions attribute (semconv 1.44): absent on a first attempt. */
export const RESEND_COUNT_ATTRIBUTE = 'http.request.resend_count';

/**
 * The resend count of the attempt being sent in `ctx` (the active context by default): 0 for
 * a first attempt, or outside axios-rebound.
 */
export function resendCountOf(ctx: Context = context.active()): number {
  const value = ctx.getValue(RESEND_COUNT);
  return typeof value === 'number' ? value : 0;
}

/**
 * `{ 'http.request.resend_count': n }` while a replay is being sent, `{}` otherwise (the
 * semantic conventions set it if and only if the request was resent). For an instrumentation
 * hook of your own: `startOutgoingSpanHook: (r) => ({ ...mine(r), ...resendAttributes() })`.
 */
export function resendAttributes(): Attributes {
  const count = resendCountOf();
  return count > 0 ? { [RESEND_COUNT_ATTRIBUTE]: count } : {};
}

/**
 * Hooks for `@opentelemetry/instrumentation-http` (axios's `http` adapter): spread them into
 * its config, `new HttpInstrumentation({ ...httpInstrumentationHooks })`. The attribute is
 * set when the attempt's CLIENT span starts, so samplers see it too.
 */
export const httpInstrumentationHooks: { readonly startOutgoingSpanHook: () => Attributes } = Object.freeze({
  startOutgoingSpanHook: resendAttributes,
});

/**
 * Hooks for `@opentelemetry/instrumentation-undici` (axios's `fetch` adapter on Node, whose
 * global `fetch` is undici's): `new UndiciInstrumentation({ ...undiciInstrumentationHooks })`.
 */
export const undiciInstrumentationHooks: { readonly startSpanHook: () => Attributes } = Object.freeze({
  startSpanHook: resendAttributes,
});

type AdapterConfig = AxiosRequestConfig['adapter'];

/** Our wrappers, each mapped to the adapter it wraps, so it can be put back. */
const wrapped = new WeakMap<AxiosAdapter, AdapterConfig>();

/**
 * An adapter that sends each attempt through `base` (resolved as axios would: the instance's
 * choice, else axios's default) with the attempt's resend count in the OpenTelemetry context.
 * axios-rebound hands the adapter a config whose state already counts the attempt being sent
 * (1 is the first); a first attempt on the fast path has no state yet, and is attempt 1.
 */
export function resendCountAdapter(base: AdapterConfig): AxiosAdapter {
  const getAdapter = axios.getAdapter as (adapters: unknown, config?: unknown) => AxiosAdapter;
  const adapter: AxiosAdapter = (config) => {
    const resolved = getAdapter(base ?? axios.defaults.adapter, config);
    const attempt = getRetryState(config)?.attempt ?? 1;
    // Set on a first attempt too: a call made inside a replay's adapter is not a resend.
    return context.with(context.active().setValue(RESEND_COUNT, attempt - 1), () => resolved(config));
  };
  wrapped.set(adapter, base);
  return adapter;
}

/** The adapter a wrapper of ours wraps; `adapter` itself when it is none of ours. */
export function unwrapAdapter(adapter: AdapterConfig): AdapterConfig {
  return typeof adapter === 'function' && wrapped.has(adapter) ? wrapped.get(adapter) : adapter;
}
