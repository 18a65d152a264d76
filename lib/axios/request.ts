import type { InternalAxiosRequestConfig, RawAxiosRequestHeaders } from 'axios';

/**
 * The request as the user gave it, before axios transformed its body and its adapter added
 * headers: every replay is derived from this, never from what the last attempt became, so the
 * user's transforms see the user's data again and headers derived from the body (Content-Length,
 * a multipart boundary) are derived afresh.
 */
export interface UserRequest {
  /** The config as our request interceptor saw it, before interceptors that run after ours. */
  readonly config: InternalAxiosRequestConfig | undefined;
  readonly data: unknown;
  readonly headers: RawAxiosRequestHeaders;
  /** The multipart boundary every attempt uses, should the body be a form (see `pinBoundary`). */
  readonly boundary: string;
}

/** Taken by the request interceptor when a call is first seen, before any transform runs. */
export function captureRequest(config: InternalAxiosRequestConfig): UserRequest {
  const boundary = `axios-rebound-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  pinFormClass(config, boundary);
  return {
    config: { ...config },
    data: config.data,
    headers: { ...config.headers } as RawAxiosRequestHeaders,
    boundary,
  };
}

type FormClass = new () => { setBoundary?: (boundary: string) => void };

/**
 * axios builds a multipart body from a plain object (`postForm`, or a multipart Content-Type)
 * with `new config.env.FormData()` and writes the boundary into each part as it appends it, so
 * the boundary must be set when the form is made: the config's form class becomes one that
 * starts with ours. It stays in the config, so every replay (derived from it) uses it too.
 */
function pinFormClass(config: InternalAxiosRequestConfig, boundary: string): void {
  const Form = config.env?.FormData as FormClass | undefined;
  const type = config.headers?.getContentType?.();
  const plain = typeof config.data === 'object' && config.data !== null && !(config.data instanceof (Form ?? Object));
  if (typeof Form !== 'function' || !plain || !(typeof type === 'string' && /multipart\/form-data/i.test(type))) return;
  const Pinned = class extends Form {
    constructor() {
      super();
      this.setBoundary?.(boundary);
    }
  };
  config.env = { ...config.env, FormData: Pinned as never };
}

/**
 * For a call without a body, whose first attempt went out untracked (the fast path, taken only
 * when no request interceptor runs after ours): its failed config, minus what the adapter
 * derived for that attempt. Without a body, that is the length alone; the adapter's other
 * additions (User-Agent, Accept-Encoding) never overwrite.
 */
export function requestAfterFirstAttempt(config: InternalAxiosRequestConfig): UserRequest {
  const headers: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(config.headers ?? {})) {
    if (name.toLowerCase() !== 'content-length') headers[name] = value;
  }
  return { config: undefined, data: undefined, headers: headers as RawAxiosRequestHeaders, boundary: '' };
}

/**
 * Makes a standard FormData body the same bytes on every attempt, as a server that
 * deduplicates by idempotency key compares payloads (the IETF Idempotency-Key draft answers
 * 422 otherwise): axios's http adapter takes the boundary from the Content-Type when it names
 * one. Other adapters, and browsers, choose their own. (A form axios builds from a plain object
 * is pinned by `pinFormClass`; a form the user built carries its own boundary already.)
 */
export function pinBoundary(
  data: unknown,
  headers: InternalAxiosRequestConfig['headers'],
  adapterName: unknown,
  boundary: string,
): void {
  if (adapterName !== 'http' || typeof data !== 'object' || data === null || boundary === '') return;
  const form = data as { append?: unknown; [Symbol.toStringTag]?: unknown };
  const type = headers.getContentType?.();
  if (form[Symbol.toStringTag] !== 'FormData' || typeof form.append !== 'function') return;
  if (typeof type === 'string' && /boundary=/i.test(type)) return;
  headers.setContentType?.(`multipart/form-data; boundary=${boundary}`);
}

/**
 * Lets go of a response that will not be handed on (a failed attempt's before its retry, a
 * losing hedge's): a `responseType: 'stream'` body holds its socket until it is destroyed.
 */
export function discardBody(response: { data?: unknown } | undefined): void {
  const data = response?.data;
  if (typeof data === 'object' && data !== null && typeof (data as { destroy?: unknown }).destroy === 'function') {
    (data as { destroy: () => void }).destroy();
  }
}
