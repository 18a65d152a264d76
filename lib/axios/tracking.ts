import type { AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { monotonicNow } from '../clock.js';
import { idempotencyKeyOf } from '../decide/replay-safety.js';
import { storyOf } from '../run/stories.js';
import type { RetryState } from '../types.js';
import { RequestContext } from './context.js';

/**
 * Where a request's tracking travels in its config: under a symbol, so that `Object.keys`,
 * `JSON.stringify` and logs of the config never show it, while a user's interceptor that
 * spreads the config (`{ ...config }`) keeps it. It is set afresh on every pass through our
 * request interceptor, so a config the user re-sends (or that axios copied) starts a new call.
 * Its value is one of:
 *
 * - a number: the monotonic start time (whole ms) of a first attempt on the fast path (nothing
 *   to look after before a failure): an in-flight request that never fails allocates nothing;
 * - a `FirstAttemptSuccess`: that attempt succeeded;
 * - a `RequestContext`: everything else.
 */
const TRACKING = Symbol.for('axios-rebound');
/** Beside a fast-path start time: the wall-clock start, for `startedAt` (read by people). */
const WALL_START = Symbol.for('axios-rebound.startedAt');
/** Beside a fast-path start time: the attachment it belongs to (another may be attached later). */
const OWNER = Symbol.for('axios-rebound.owner');
/** Keeps the wall-clock start a small integer, which V8 stores in the config without allocating. */
const EPOCH = Date.now();

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
  [TRACKING]?: Tracking | undefined;
  [WALL_START]?: number;
  [OWNER]?: object;
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

export function trackingOf(config: InternalAxiosRequestConfig | undefined): Tracking | undefined {
  return (config as TrackedConfig | undefined)?.[TRACKING];
}

export function track(config: InternalAxiosRequestConfig, tracking: Tracking | undefined): void {
  (config as TrackedConfig)[TRACKING] = tracking;
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

/**
 * Starts a first attempt on the fast path: two small integers and the owner's reference in the
 * config, no allocation.
 */
export function trackFirstAttempt(config: InternalAxiosRequestConfig, owner: object): void {
  const tracked = config as TrackedConfig;
  tracked[TRACKING] = Math.floor(monotonicNow());
  tracked[WALL_START] = Date.now() - EPOCH;
  tracked[OWNER] = owner;
}

/** The start time of `owner`'s fast-path first attempt, if the config carries one. */
export function fastStartOf(config: InternalAxiosRequestConfig | undefined, owner: object): number | undefined {
  const tracked = config as TrackedConfig | undefined;
  const start = tracked?.[TRACKING];
  return typeof start === 'number' && tracked?.[OWNER] === owner ? start : undefined;
}

/** The wall-clock start of a fast-path first attempt. */
export function wallStartOf(config: InternalAxiosRequestConfig): number {
  return ((config as TrackedConfig)[WALL_START] ?? Date.now() - EPOCH) + EPOCH;
}

/** Marks a fast-path first attempt's success, from the start time `trackFirstAttempt` set. */
export function succeededFirstTime(
  config: InternalAxiosRequestConfig,
  response: AxiosResponse,
  retries: number,
  startedMono: number,
): void {
  const durationMs = Math.round(monotonicNow() - startedMono);
  track(config, new FirstAttemptSuccess(retries, wallStartOf(config), durationMs, response.status));
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
  const config = (holder.config ?? configOrError) as InternalAxiosRequestConfig;
  const tracking = trackingOf(config);
  if (tracking instanceof RequestContext) return tracking.state;
  if (tracking instanceof FirstAttemptSuccess) return tracking.state(config);
  return undefined;
}
