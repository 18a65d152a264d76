import type { RetryOptions } from '../types.js';
import { nextDelay } from './delay.js';
import { normalizeOptions } from './options.js';

/**
 * One attempt of a policy's schedule. Times in ms from the start of the call.
 * @category Beyond one axios call
 */
export interface PlannedAttempt {
  readonly attempt: number;
  /** The wait before this attempt: its range under the jitter, and its median. */
  readonly wait: { readonly min: number; readonly median: number; readonly max: number };
  /** This attempt's time limit: attemptTimeout, capped by what the deadline leaves in the worst case. */
  readonly timeoutMs: number | undefined;
  /** When this attempt starts if every earlier one failed: in the median case and at the latest. */
  readonly startsAt: { readonly median: number; readonly latest: number };
}

/** @category Beyond one axios call */
export interface PolicyExplanation {
  /** The attempts that can start, in the worst case, before the deadline. */
  readonly attempts: readonly PlannedAttempt[];
  /** Until the call gives up if every attempt fails: median case and worst case (Infinity when nothing bounds it). */
  readonly totalMs: { readonly median: number; readonly worst: number };
  readonly warnings: readonly string[];
}

/**
 * The schedule a policy gives a call whose every attempt fails: attempts, each timeout, each
 * wait range, and the total time, in the median and the worst case. `attemptLatencyMs` is how
 * long a failing attempt takes when no timeout cuts it (the timeout, when set, is the worst
 * case). Warns when the policy cannot fit its deadline or an SLA given as `{ p95Ms }`.
 * Retry-After is not modelled: a server can stretch a wait up to `maxRetryAfter`.
 * @category Beyond one axios call
 */
export function explainPolicy(
  options: Partial<RetryOptions> = {},
  assumptions: { attemptLatencyMs?: number; sla?: { p95Ms: number } } = {},
): PolicyExplanation {
  const policy = normalizeOptions(options);
  const { retries, attemptTimeout, deadline, jitter, baseDelay, maxDelay } = policy;
  const latency = assumptions.attemptLatencyMs;
  const warnings: string[] = [];
  const attempts: PlannedAttempt[] = [];
  let median = 0;
  let latest = 0;
  let decorrelatedHigh = baseDelay;
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    let wait = { min: 0, median: 0, max: 0 };
    if (attempt > 1) {
      const d = nextDelay({ attempt: attempt - 1 }, { ...policy, jitter: 'none' });
      if (jitter === 'full') wait = { min: 0, median: d / 2, max: d };
      else if (jitter === 'equal') wait = { min: d / 2, median: (3 * d) / 4, max: d };
      else if (jitter === 'none') wait = { min: d, median: d, max: d };
      else {
        decorrelatedHigh = Math.min(maxDelay, Math.max(baseDelay, 3 * decorrelatedHigh));
        wait = { min: baseDelay, median: (baseDelay + decorrelatedHigh) / 2, max: decorrelatedHigh };
      }
    }
    const startMedian = median + wait.median;
    const startLatest = latest + wait.max;
    if (deadline !== undefined && startLatest >= deadline) {
      warnings.push(
        `attempt ${attempt} and later cannot start before the ${deadline} ms deadline in the worst case: ` +
          `the policy allows ${retries + 1} attempts, at most ${attempt - 1} fit`,
      );
      break;
    }
    const left = deadline === undefined ? undefined : deadline - startLatest;
    const timeoutMs =
      attemptTimeout === undefined ? left : left === undefined ? attemptTimeout : Math.min(attemptTimeout, left);
    attempts.push({ attempt, wait, timeoutMs, startsAt: { median: startMedian, latest: startLatest } });
    median = startMedian + (latency ?? timeoutMs ?? 0);
    latest = startLatest + (timeoutMs ?? latency ?? Infinity);
  }
  if (deadline !== undefined) latest = Math.min(latest, deadline);
  if (latest === Infinity) {
    warnings.push('nothing bounds an attempt: set attemptTimeout or deadline, or give attemptLatencyMs');
  }
  const p95 = assumptions.sla?.p95Ms;
  if (p95 !== undefined && latest > p95) {
    const fit = attempts.filter((a) => a.startsAt.latest + (a.timeoutMs ?? latency ?? 0) <= p95).length;
    warnings.push(
      `the worst case (${Number.isFinite(latest) ? `${Math.round(latest)} ms` : 'unbounded'}) exceeds the p95 SLA of ${p95} ms` +
        `${deadline === undefined || deadline > p95 ? `: set deadline: ${p95} to hold it` : ''}; ${fit} attempt${fit === 1 ? '' : 's'} fit within it in the worst case`,
    );
  }
  return { attempts, totalMs: { median, worst: latest }, warnings };
}
