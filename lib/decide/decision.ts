import type { StopReason, ValidatedRetryOptions } from '../types.js';
import type { DelayOptions } from './delay.js';
import { nextDelay } from './delay.js';
import type { HeaderReader } from './server-time.js';
import { serverTime } from './server-time.js';

export type DecisionOptions = DelayOptions &
  Pick<ValidatedRetryOptions, 'retries' | 'respectRetryAfter' | 'maxRetryAfter' | 'resetHeaders' | 'deadline'>;

/** What to do after a failed attempt: wait and retry, or stop and say why. */
export type Decision =
  | {
      readonly retry: true;
      readonly delayMs: number;
      /** A 429 that said to come back in a second or more: the server scheduled this retry. */
      readonly scheduled: boolean;
    }
  | { readonly retry: false; readonly reason: StopReason };

export interface FailureFacts {
  /** The attempt that failed; 1 is the first request. */
  attempt: number;
  /** The failure was a cancel by the caller. */
  canceled: boolean;
  /** The attempt was cut short because the call's deadline ran out. */
  deadlineReached: boolean;
  /** What the response itself rules out, whatever the classification (see classify.ts, `responseStop`). */
  ruledOut?: 'server-declined' | 'idempotency-key-mismatch' | undefined;
  /** The built-in classification, or the user's `shouldRetry`. */
  retryable: boolean;
  bodyReplayable: boolean;
  /** The failed response's status and headers, if there was a response: what the server says about time. */
  response: { readonly status: number; readonly headers: HeaderReader } | undefined;
  previousDelay: number | undefined;
  /** Time since the call started, on the monotonic clock: what the deadline is measured on. */
  elapsedMs: number;
  /** The wall clock, for a server time given as a date. */
  wallNow: number;
}

/**
 * How far above a server's time the wait may be spread, so that clients which got the same
 * header do not all come back in the same millisecond.
 */
const RETRY_AFTER_SPREAD = 0.2;

/**
 * The shortest server time that counts as the server scheduling the retry: a shorter one holds
 * nothing back (a `retry-after-ms: 1` on every 429 would let retries pass the budget freely).
 */
const SCHEDULED_MIN_MS = 1000;

/** The retry decision, pure: the same facts, options and randomness give the same answer. */
export function decide(facts: FailureFacts, options: DecisionOptions, random: () => number = Math.random): Decision {
  if (facts.canceled) return stop('aborted');
  if (facts.deadlineReached) return stop('deadline');
  if (facts.ruledOut) return stop(facts.ruledOut);
  if (!facts.retryable) return stop('not-retryable');
  if (facts.attempt > options.retries) return stop('retries-exhausted');
  if (!facts.bodyReplayable) return stop('body-not-replayable');

  let delayMs = nextDelay({ attempt: facts.attempt, previousDelay: facts.previousDelay }, options, random);
  const { response } = facts;
  const serverWait =
    options.respectRetryAfter && response
      ? serverTime(response.headers, response.status, options.resetHeaders, facts.wallNow)?.waitMs
      : undefined;
  if (serverWait !== undefined) {
    if (serverWait > options.maxRetryAfter) return stop('retry-after-too-long');
    // A server's time is a floor, never shortened (RFC 9110 §10.2.3); 0 or a past date adds nothing.
    delayMs = Math.max(delayMs, Math.ceil(serverWait * (1 + RETRY_AFTER_SPREAD * random())));
  }
  if (options.deadline !== undefined && facts.elapsedMs + delayMs >= options.deadline) {
    return stop('deadline');
  }
  return { retry: true, delayMs, scheduled: response?.status === 429 && (serverWait ?? 0) >= SCHEDULED_MIN_MS };
}

const stop = (reason: StopReason): Decision => ({ retry: false, reason });
