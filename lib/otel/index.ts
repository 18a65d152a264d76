/**
 * OpenTelemetry for axios-rebound (`axios-rebound/otel`): {@link attachRetryWithTelemetry}
 * attaches the retry policy with span events and metrics, and sends each attempt with its
 * resend count in the context, which {@link httpInstrumentationHooks} and
 * {@link undiciInstrumentationHooks} put on the attempt's CLIENT span as
 * `http.request.resend_count`. Needs `@opentelemetry/api` (an optional peer dependency: the
 * main entry never loads it).
 *
 * @packageDocumentation
 */
export type { TelemetryOptions } from './attach.js';
export { attachRetryWithTelemetry, BACKOFF_EVENT, GIVE_UP_EVENT } from './attach.js';
export {
  httpInstrumentationHooks,
  RESEND_COUNT_ATTRIBUTE,
  resendAttributes,
  resendCountOf,
  undiciInstrumentationHooks,
} from './resend.js';
