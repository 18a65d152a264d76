import { failureVerdict } from '../decide/classify.js';
import { normalizeOptions, OPTION_NAMES } from '../decide/options.js';
import { serialize, stableKey } from '../decide/stable-key.js';
import type { Check } from '../decide/validate.js';
import { atLeast, checkAll, fail, fn as isFunction, optional, rejectUnknown } from '../decide/validate.js';
import { CircuitOpenError } from '../errors.js';
import type { AttemptVerdict } from '../protect/breaker.js';
import { CircuitBreaker } from '../protect/breaker.js';
import { observe } from '../run/log.js';
import { InstanceScope } from '../run/scope.js';
import { storyOf } from '../run/stories.js';
import type { AttemptInfo, RetryState, RetryStats } from '../types.js';
import { runWithRetry } from './fn-loop.js';
import type { RetryFnOptions } from './retry-fn.js';
import { CALL_CHECKS } from './retry-fn.js';

/** @category Beyond one axios call */
export interface BatchOptions<I, K> extends RetryFnOptions {
  /** Items processed at once. @default 8 */
  concurrency?: number;
  /** Identifies an item; a key seen before is not run again. @default the item's `id`, else the item */
  key?: (item: I) => K;
  /** Called after each item settles. */
  onProgress?: (progress: { done: number; total: number; succeeded: number; failed: number }) => void;
}

/** @category Beyond one axios call */
export interface BatchReport<K, R> {
  succeeded: Map<K, R>;
  failed: Map<K, { error: unknown; state: RetryState | undefined }>;
  stats: RetryStats;
}

const BATCH_CHECKS: Record<string, Check> = {
  concurrency: atLeast(1, true),
  key: isFunction,
  onProgress: optional(isFunction),
  name: optional(CALL_CHECKS.name as Check),
  signal: CALL_CHECKS.signal as Check,
};

const defaultKey = <I>(item: I): unknown =>
  typeof item === 'object' && item !== null && 'id' in item ? (item as { id: unknown }).id : item;

/**
 * What a batch runs under unless told otherwise: no budget, since a batch in which every item
 * fails once or twice must still complete every item (a ratio of first attempts cannot allow
 * that), and a breaker over items rather than attempts: 5 items in a row that failed for good
 * with a transient failure (every retry spent) open it, and the items left fail fast with
 * 'circuit-open' for 30 s, then one item probes. A flaky dependency whose retries succeed never
 * opens it; one that is down sees about (5 + concurrency) × (retries + 1) attempts.
 */
const itemBreaker = () => new CircuitBreaker({ failureThreshold: 5, openMs: 30_000 });

/**
 * Runs `fn` over `items`, `concurrency` at a time, each under the retry policy, and resolves
 * to a report instead of rejecting on the first failure. Failures are classified as `retry`
 * does (an axios error as the interceptor would; anything else but an abort), and what an
 * inner layer of axios-rebound (an attached instance) gave up on is final. An item runs at
 * most once per key (a success is never re-run). With `idempotencyKey`, each item gets a key
 * derived from the batch's `name` and its own key. Aborting `signal` stops starting items;
 * those left are reported failed with the abort reason.
 * @category Beyond one axios call
 */
export async function retryBatch<I, R, K = unknown>(
  items: Iterable<I>,
  fn: (item: I, info: AttemptInfo) => R | Promise<R>,
  options: BatchOptions<I, K> = {},
): Promise<BatchReport<K, R>> {
  const { concurrency = 8, key = defaultKey as (item: I) => K, onProgress, signal, name, ...policy } = options;
  rejectUnknown('option', options, [...OPTION_NAMES, ...Object.keys(BATCH_CHECKS)]);
  checkAll('option', options as Record<string, unknown>, BATCH_CHECKS);
  if (policy.idempotencyKey && name === undefined) {
    fail('option', 'name', 'given with idempotencyKey: item keys are derived from it', name);
  }
  const batchName = name ?? 'retryBatch';
  const validated = normalizeOptions(policy);
  const scope = new InstanceScope(
    Object.freeze({ ...validated, budget: 'budget' in policy ? validated.budget : false }),
  );
  const itemCircuit = 'circuitBreaker' in policy ? undefined : itemBreaker();
  // One run per key. With idempotencyKey, keys are told apart by their text (two equal objects
  // are one key), and every key's text is made before any item runs, so a key that has none
  // fails the batch at once with a TypeError instead of failing items one by one.
  const queue = new Map<unknown, { k: K; item: I; idempotencyKey: string | undefined }>();
  for (const item of items) {
    const k = key(item);
    const text = validated.idempotencyKey ? serialize(k) : undefined;
    const id = text ?? k;
    if (!queue.has(id)) queue.set(id, { k, item, idempotencyKey: text && stableKey(batchName, k) });
  }
  const report: BatchReport<K, R> = { succeeded: new Map(), failed: new Map(), stats: scope.stats() };
  const pending = [...queue.values()];
  let next = 0;
  // An observer: what it throws is reported once and stops nothing.
  const settle = () =>
    observe(onProgress, 'onProgress', {
      done: report.succeeded.size + report.failed.size,
      total: queue.size,
      succeeded: report.succeeded.size,
      failed: report.failed.size,
    });
  const worker = async () => {
    while (next < pending.length) {
      const entry = pending[next++];
      if (!entry) break;
      const { k, item, idempotencyKey } = entry;
      if (signal?.aborted) {
        scope.begin();
        scope.settle(undefined, 'aborted');
        report.failed.set(k, { error: signal.reason, state: undefined });
      } else {
        const admission = itemCircuit?.acquire(batchName) ?? { allowed: true, probe: false };
        if (!admission.allowed) {
          scope.begin();
          scope.settle(undefined, 'circuit-open');
          const error = new CircuitOpenError(batchName, admission.retryAfterMs);
          report.failed.set(k, { error, state: refusedState(scope.options.retries) });
        } else {
          let verdict: AttemptVerdict = 'neutral';
          try {
            const value = await runWithRetry((info) => fn(item, info), scope, scope.options, {
              signal,
              name: batchName,
              idempotencyKey,
            });
            verdict = 'success';
            report.succeeded.set(k, value);
          } catch (error) {
            verdict = failureVerdict(error, scope.options);
            report.failed.set(k, { error, state: storyOf(error) });
          } finally {
            itemCircuit?.record(batchName, verdict, admission.probe, admission.allowed ? admission.ticket : undefined);
          }
        }
      }
      settle();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, pending.length) }, worker));
  report.stats = scope.stats();
  return report;
}

function refusedState(retries: number): RetryState {
  return { attempt: 0, retries, startedAt: Date.now(), history: [], stopReason: 'circuit-open' };
}
