import type { InternalAxiosRequestConfig } from 'axios';
import type { IdempotencyKeyOptions, NormalizedRetryOptions } from '../types.js';
import { shown } from './validate.js';

/*
 * Whether a request may be sent again at all, whatever went wrong: its method, its idempotency
 * key, its body. What went wrong is classify.ts's question.
 */

/** Idempotent by method, or made so by an idempotency key header on the request. */
export function isSafeToRepeat(
  config: InternalAxiosRequestConfig,
  options: Pick<NormalizedRetryOptions, 'methods' | 'idempotencyKey'>,
): boolean {
  const method = (config.method ?? 'get').toUpperCase();
  return options.methods.includes(method) || idempotencyKeyOf(config, options) !== undefined;
}

/** The idempotency key the request carries, under the configured header (or the standard one). */
export function idempotencyKeyOf(
  config: Pick<InternalAxiosRequestConfig, 'headers'>,
  options: Pick<NormalizedRetryOptions, 'idempotencyKey'>,
): string | undefined {
  const header = options.idempotencyKey ? options.idempotencyKey.header : 'Idempotency-Key';
  const value = config.headers?.get?.(header) ?? undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A Node Readable or a web ReadableStream is consumed by the first attempt. */
export function isReplayableBody(data: unknown): boolean {
  if (typeof data !== 'object' || data === null) return true;
  const body = data as { pipe?: unknown; getReader?: unknown };
  return typeof body.pipe !== 'function' && typeof body.getReader !== 'function';
}

/** A fresh key from the configured generator, which must give a non-empty string. */
export function newIdempotencyKey(options: Pick<IdempotencyKeyOptions, 'generate'>): string {
  const key: unknown = options.generate();
  if (typeof key !== 'string' || key === '') {
    throw new TypeError(`axios-rebound: idempotencyKey.generate must return a non-empty string, got ${shown(key)}`);
  }
  return key;
}
