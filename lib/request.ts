import type { AxiosRequestConfig, InternalAxiosRequestConfig, RawAxiosRequestHeaders } from 'axios';
import type { RequestContext } from './context.js';
import { REPLAY_KEY, Replay } from './tracking.js';

/**
 * The request as the user gave it, before axios transformed its body and its adapter added
 * headers: every replay is derived from this, never from what the last attempt became, so the
 * user's transforms see the user's data again and headers derived from the body (Content-Length,
 * a multipart boundary) are derived afresh.
 */
export interface UserRequest {
  readonly data: unknown;
  readonly headers: RawAxiosRequestHeaders;
}

/** Taken by the request interceptor when a call is first seen, before any transform runs. */
export function captureRequest(config: InternalAxiosRequestConfig): UserRequest {
  return { data: config.data, headers: { ...config.headers } as RawAxiosRequestHeaders };
}

/**
 * For a call without a body, whose first attempt went out untracked (the fast path): its
 * failed config, minus what the adapter derived for that attempt. Without a body, that is the
 * length alone; the adapter's other additions (User-Agent, Accept-Encoding) never overwrite.
 */
export function requestAfterFirstAttempt(config: InternalAxiosRequestConfig): UserRequest {
  const headers: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(config.headers ?? {})) {
    if (name.toLowerCase() !== 'content-length') headers[name] = value;
  }
  return { data: undefined, headers: headers as RawAxiosRequestHeaders };
}

/** The config of the next attempt: the failed one's settings, with the user's body and headers. */
export function replayConfig(failed: InternalAxiosRequestConfig, context: RequestContext): AxiosRequestConfig {
  const { data, headers } = context.request;
  return {
    ...failed,
    data,
    headers,
    ...(context.adapter ? { adapter: context.adapter } : {}),
    [REPLAY_KEY]: new Replay(context),
  } as AxiosRequestConfig;
}

/**
 * Makes a multipart body the same bytes on every attempt, as a server that deduplicates by
 * idempotency key compares payloads (the IETF Idempotency-Key draft answers 422 otherwise).
 * `data` is the attempt's body after the user's transforms: the `form-data` object axios builds
 * from a plain object under Node takes the boundary directly; a standard FormData takes it from
 * the Content-Type, which only axios's http adapter reads (browsers choose their own).
 */
export function pinBoundary(
  data: unknown,
  headers: InternalAxiosRequestConfig['headers'],
  adapterName: unknown,
  boundary: string,
): void {
  if (typeof data !== 'object' || data === null) return;
  const form = data as { setBoundary?: unknown; append?: unknown; [Symbol.toStringTag]?: unknown };
  if (typeof form.setBoundary === 'function') {
    (form.setBoundary as (b: string) => void).call(data, boundary);
    return;
  }
  const type = headers.getContentType?.();
  if (
    adapterName === 'http' &&
    form[Symbol.toStringTag] === 'FormData' &&
    typeof form.append === 'function' &&
    !(typeof type === 'string' && /boundary=/i.test(type))
  ) {
    headers.setContentType?.(`multipart/form-data; boundary=${boundary}`);
  }
}
