import type { AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import type { WallClockLead } from '../clock.js';
import { monotonicNow } from '../clock.js';
import { idempotencyKeyOf } from '../decide/replay-safety.js';
import { storyOf } from '../run/stories.js';
import type { RetryState } from '../types.js';
import { RequestContext } from './context.js';

/**
 * Where a request's tracking travels in its config: under a symbol of its attachment's own
 * (`owner.key`), so that `Object.keys`, `JSON.stringify` and logs of the config never show it,
 * a user's interceptor that spreads the config (`{ ...config }`) keeps it, and an attachment
 * never takes another's calls for its own (a detached one's response interceptor stays for its
 * calls under way while a new one is attached). It is set afresh on every pass through the
 * request interceptor, so a config the user re-sends starts a new call. Its value is:
 *
 * - a number: the monotonic start (whole ms) of a first attempt on the fast path (nothing to
 *   look after before a failure): one property, no allocation, while the attempt is in flight;
 * - a `FirstAttemptSuccess`: that attempt succeeded;
 * - a `RequestContext`: everything else.
 */
export interface Owner {
  readonly key: symbol;
  /** What converts a fast-path start to the wall time people read (`startedAt`). */
  readonly wallClock: WallClockLead;
}

/**
 * A replay's ticket: the one thing we put in a config under a string key, because it must
 * cross axios's config merge on every axios 1.x (1.7 drops symbol keys there; class instances
 * keep their identity). Our request interceptor takes it off again; it is good for one pass.
 */
export const REPLAY_KEY = 'axios-rebound:replay';

export class Replay {
  used = false;
  constructor(
    readonly context: RequestContext,
    /** The axios instance it is replayed through. */
    readonly instance: object,
  ) {}
}

type Tracking = number | FirstAttemptSuccess | RequestContext;
type TrackedConfig = InternalAxiosRequestConfig & {
  [key: symbol]: Tracking | undefined;
  [REPLAY_KEY]?: unknown;
};

/** The story of a first attempt that succeeded on the fast path, built when asked for. */
class FirstAttemptSuccess {
  constructor(
    readonly retries: number,
    readonly startedAt: number,
    readonly durationMs: number,
    readonly status: number,
  ) {}

  state(config: InternalAxiosRequestConfig): RetryState {
    const key = idempotencyKeyOf(config, { idempotencyKey: false });
    return {
      attempt: 1,
      retries: this.retries,
      startedAt: this.startedAt,
      ...(key === undefined ? {} : { idempotencyKey: key }),
      history: [{ attempt: 1, status: this.status, durationMs: this.durationMs }],
    };
  }

  /** What `JSON.stringify` (and axios's `error.toJSON()`) shows: the story, not the class. */
  toJSON(): object {
    return { attempt: 1, retries: this.retries, startedAt: this.startedAt };
  }
}

export function trackingOf(config: InternalAxiosRequestConfig | undefined, owner: Owner): Tracking | undefined {
  return (config as TrackedConfig | undefined)?.[owner.key];
}

export function track(config: InternalAxiosRequestConfig, owner: Owner, tracking: Tracking): void {
  (config as TrackedConfig)[owner.key] = tracking;
}

/** Forgets an earlier call's tracking (writing nothing when there is none). */
export function untrack(config: InternalAxiosRequestConfig, owner: Owner): void {
  const tracked = config as TrackedConfig;
  if (tracked[owner.key] !== undefined) tracked[owner.key] = undefined;
}

/**
 * The replay ticket a config carries: `{ ours }`, taken off it, when it is a fresh ticket of
 * `scope`'s; `'other'` when it is another attachment's on the same `instance` (a call under way
 * when it was detached: that call's adapter takes it); `undefined` otherwise, the ticket taken
 * off (a user's interceptor copied a replay's config to another instance: a fresh call there).
 */
export function takeReplay(
  config: InternalAxiosRequestConfig,
  scope: object,
  instance: object | undefined,
): { readonly ours: Replay } | 'other' | undefined {
  const tracked = config as TrackedConfig;
  const ticket = tracked[REPLAY_KEY];
  if (ticket === undefined) return undefined;
  const fresh = ticket instanceof Replay && !ticket.used;
  if (fresh && ticket.context.scope !== scope && ticket.instance === instance) return 'other';
  delete tracked[REPLAY_KEY];
  if (!fresh || ticket.context.scope !== scope) return undefined;
  ticket.used = true;
  return { ours: ticket };
}

/** Starts a first attempt on the fast path: its monotonic start, and the wall clock's lead. */
export function trackFirstAttempt(config: InternalAxiosRequestConfig, owner: Owner): void {
  const start = Math.floor(monotonicNow());
  owner.wallClock.note(start);
  (config as TrackedConfig)[owner.key] = start;
}

/** Marks a fast-path first attempt's success, from the start time `trackFirstAttempt` set. */
export function succeededFirstTime(
  config: InternalAxiosRequestConfig,
  response: AxiosResponse,
  retries: number,
  startedMono: number,
  owner: Owner,
): void {
  const durationMs = Math.round(monotonicNow() - startedMono);
  track(
    config,
    owner,
    new FirstAttemptSuccess(retries, owner.wallClock.wallAt(startedMono), durationMs, response.status),
  );
}

/**
 * The retry story of a request: pass its config, its response, or the error the call
 * rejected with. Plain data (safe to log or `JSON.stringify`); `undefined` when the request
 * did not go through axios-rebound, or while its first attempt is still on its way.
 * @category Inspect
 */
export function getRetryState(configOrError: unknown): RetryState | undefined {
  if (typeof configOrError !== 'object' || configOrError === null) return undefined;
  const remembered = storyOf(configOrError);
  if (remembered) return remembered;
  const holder = configOrError as { config?: unknown };
  const config = (holder.config ?? configOrError) as TrackedConfig;
  // The attachment that tracked it; a config sent again through another instance may carry an
  // earlier call's story too (axios 1.19+ copies symbol keys): the latest call's is the one.
  let latest: RetryState | undefined;
  for (const key of Object.getOwnPropertySymbols(config)) {
    const tracking = config[key];
    const state =
      tracking instanceof RequestContext
        ? tracking.state
        : tracking instanceof FirstAttemptSuccess
          ? tracking.state(config)
          : undefined;
    if (state && (!latest || state.startedAt >= latest.startedAt)) latest = state;
  }
  return latest;
}
