import { isAxiosError } from 'axios';
import { isAbortError, isRetryable } from './classify.js';
import { normalizeOptions } from './options.js';
import type { AttemptInfo, RetryFnOptions } from './retry-fn.js';
import { runWithRetry } from './retry-fn.js';
import { InstanceScope } from './scope.js';
import { getRetryState } from './tracking.js';
import type { RetryState, RetryStats } from './types.js';

export interface BatchOptions<I, K> extends RetryFnOptions {
  /** Items processed at once. @default 8 */
  concurrency?: number;
  /** Identifies an item; a key seen before is not run again. @default the item's `id`, else the item */
  key?: (item: I) => K;
  /** Called after each item settles. */
  onProgress?: (progress: { done: number; total: number; succeeded: number; failed: number }) => void;
}

export interface BatchReport<K, R> {
  succeeded: Map<K, R>;
  failed: Map<K, { error: unknown; state: RetryState | undefined }>;
  stats: RetryStats;
}

const defaultKey = <I>(item: I): unknown =>
  typeof item === 'object' && item !== null && 'id' in item ? (item as { id: unknown }).id : item;

/**
 * Runs `fn` over `items`, `concurrency` at a time, each under the retry policy, and resolves
 * to a report instead of rejecting on the first failure. Only transient failures are retried:
 * for axios errors, what the interceptor would retry; for others, anything but an abort.
 * An item runs at most once per key
 * (a success is never re-run); the whole batch shares one budget and one breaker, so a
 * failing dependency stops it from hammering. Aborting `signal` stops starting items; those
 * left are reported failed with the abort reason.
 */
export async function retryBatch<I, R, K = unknown>(
  items: Iterable<I>,
  fn: (item: I, info: AttemptInfo) => R | Promise<R>,
  options: BatchOptions<I, K> = {},
): Promise<BatchReport<K, R>> {
  const { concurrency = 8, key = defaultKey as (item: I) => K, onProgress, signal, name, ...policy } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new TypeError(`axios-rebound: option "concurrency" must be an integer >= 1, got ${String(concurrency)}`);
  }
  const validated = normalizeOptions(policy);
  // Only transient failures: for axios errors the interceptor's own classification (statuses,
  // network errors, safe methods or an idempotency key); anything else but an abort.
  const scope = new InstanceScope(
    validated.shouldRetry
      ? validated
      : Object.freeze({
          ...validated,
          shouldRetry: ({ error }: { error: unknown }) =>
            isAxiosError(error) ? isRetryable(error, validated) : !isAbortError(error),
        }),
  );
  const queue = new Map<K, I>();
  for (const item of items) {
    const k = key(item);
    if (!queue.has(k)) queue.set(k, item);
  }
  const report: BatchReport<K, R> = { succeeded: new Map(), failed: new Map(), stats: scope.stats() };
  const pending = [...queue.entries()];
  let next = 0;
  const settle = () =>
    onProgress?.({
      done: report.succeeded.size + report.failed.size,
      total: queue.size,
      succeeded: report.succeeded.size,
      failed: report.failed.size,
    });
  const worker = async () => {
    while (next < pending.length) {
      const entry = pending[next++];
      if (!entry) break;
      const [k, item] = entry;
      if (signal?.aborted) {
        report.failed.set(k, { error: signal.reason, state: undefined });
      } else {
        try {
          const value = await runWithRetry((info) => fn(item, info), scope, scope.options, {
            signal,
            name: name ?? 'retryBatch',
          });
          report.succeeded.set(k, value);
        } catch (error) {
          report.failed.set(k, { error, state: getRetryState(error) });
        }
      }
      settle();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, pending.length) }, worker));
  report.stats = scope.stats();
  return report;
}
