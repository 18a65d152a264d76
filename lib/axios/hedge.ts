import type { AxiosAdapter, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { isAxiosError } from 'axios';
import { monotonicNow } from '../clock.js';
import { isRetryable } from '../decide/classify.js';
import { isReplayableBody, isSafeToRepeat } from '../decide/replay-safety.js';
import { headerReader, serverTime } from '../decide/server-time.js';
import { originOf } from '../protect/origin.js';
import { hedgeLine, log, reportOnce, requestSubject } from '../run/log.js';
import { after, afterPendingIo } from '../run/timers.js';
import type { HedgeOptions } from '../types.js';
import type { Outcome, RequestContext } from './context.js';
import { startCooldown } from './cooling.js';
import { discardBody } from './request.js';

/*
 * Hedged requests (Finagle's BackupRequestFilter, gRPC's hedgingPolicy, Envoy's
 * hedge_on_per_try_timeout): inside one attempt, when no answer has come after `delay`, another
 * copy goes without cancelling the first; the first answer that is not a retryable failure
 * wins and every other copy is aborted at once. Hedges are not retries: the attempt is one
 * attempt however many copies it sent.
 */

/** How an attempt is hedged: `undefined` when it is not (see `hedgePlan`). */
export interface HedgePlan {
  readonly hedge: Readonly<HedgeOptions>;
  readonly origin: string;
  /** ms before each hedge; `undefined` while `'p95'` warms up (latencies are still recorded). */
  readonly delayMs: number | undefined;
}

/**
 * Whether the attempt may be hedged at all: only a request safe to send twice (its method is
 * in `methods`, or it carries an idempotency key) with a body that can be sent twice, and only
 * while no response of the call has carried a server time (the server is then pacing us).
 */
export function hedgePlan(context: RequestContext, config: InternalAxiosRequestConfig): HedgePlan | undefined {
  const { options, scope } = context;
  const { hedge } = options;
  if (!hedge || context.hedge.serverTimed || !isSafeToRepeat(config, options)) return undefined;
  if (!isReplayableBody(context.request.data) || !isReplayableBody(config.data)) return undefined;
  const origin = originOf(config);
  if (context.state.attempt === 1) scope.hedging.load.recordFirstAttempt(origin);
  const delayMs = hedge.delay === 'p95' ? scope.hedging.latencies.p95(origin) : hedge.delay;
  return { hedge, origin, delayMs };
}

/**
 * Sends `attempt` through `adapter` in copies, each with its own AbortController under
 * `parent` (the attempt timer's signal, which the attempt timeout, the deadline and the
 * caller's abort abort): the first copy at once, another each `delayMs` while none has
 * answered, up to `maxHedges`, each only if `mayHedge` allows it. Settles with the first copy
 * that answers with a response or a failure that is not retryable, or with the last failure
 * when every copy has failed (the retry loop then goes on as after any failed attempt). Every
 * copy's promise is handled; the delay timer is cleared when the race ends or `parent` aborts.
 */
export function hedged(
  context: RequestContext,
  plan: HedgePlan,
  adapter: AxiosAdapter,
  attempt: InternalAxiosRequestConfig,
  parent: AbortSignal,
): Promise<AxiosResponse> {
  const copies: AbortController[] = [];
  const startedMono = monotonicNow();
  let inFlight = 0;
  let done = false;
  let firstFailed = false;
  let cancelTimer: (() => void) | undefined;
  // Kept after the race: a streamed winner's body still hears the caller's abort through it.
  parent.addEventListener(
    'abort',
    () => {
      cancelTimer?.();
      for (const copy of copies) copy.abort(parent.reason);
    },
    { once: true },
  );
  return new Promise<AxiosResponse>((resolve, reject) => {
    const finish = (winner: number, outcome: Outcome) => {
      done = true;
      cancelTimer?.();
      copies.forEach((copy, index) => {
        if (index !== winner) copy.abort();
      });
      context.hedge.won = winner > 0;
      if ('response' in outcome) resolve(outcome.response);
      else reject(outcome.error);
    };
    const settle = (index: number, outcome: Outcome) => {
      inFlight -= 1;
      if (done) return lose(outcome);
      if ('response' in outcome) {
        // The first copy's latency. When a hedge beat it, all that is known is that it had not
        // answered when the winner was due to go (`index` delays in): it counts as that. Not the
        // time it really went, which a timer's lateness adds to: the percentile would creep up
        // by that lateness each time it landed on such a sample. Nor the winner's answer (it
        // would climb by a hedge's latency), nor the winner's own latency (it would fall to
        // where fast requests are hedged).
        // A first copy that failed has answered: no sample, as for an attempt that failed unhedged.
        if (plan.hedge.delay === 'p95' && !firstFailed) {
          const now = monotonicNow();
          const latency = index === 0 ? now - startedMono : index * (plan.delayMs ?? 0);
          context.scope.hedging.latencies.record(plan.origin, latency, now);
        }
        return finish(index, outcome);
      }
      if (index === 0) firstFailed = true;
      const response = isAxiosError(outcome.error) ? outcome.error.response : undefined;
      if (response && serverTime(headerReader(response.headers), response.status, [], Date.now())) {
        context.hedge.serverTimed = true;
      }
      // A retryable failure while another copy is still on its way does not end the attempt.
      if (inFlight > 0 && !parent.aborted && isRetryable(outcome.error, context.options)) return lose(outcome);
      finish(index, outcome);
    };
    // A copy whose outcome does not end the attempt: let go of it. Its 429 or 503 with a time
    // still cools the origin: the attempt owner sees only the outcome that ends the attempt.
    const lose = (outcome: Outcome) => {
      if ('error' in outcome && isAxiosError(outcome.error))
        startCooldown(context.options, attempt, outcome.error.response);
      discard(outcome);
    };
    const send = (index: number) => {
      const controller = new AbortController();
      copies.push(controller);
      const copy = { ...attempt, signal: controller.signal };
      inFlight += 1;
      Promise.resolve()
        .then(() => adapter(copy))
        .then(
          (response) => {
            if (response.config === copy) response.config = attempt;
            settle(index, { response });
          },
          (error: unknown) => {
            if (isAxiosError(error) && error.config === copy) error.config = attempt;
            settle(index, { error });
          },
        );
    };
    const schedule = (delayMs: number) => {
      // A late timer must not hedge an answer that has come but is not read yet.
      cancelTimer = after(delayMs, () => (cancelTimer = afterPendingIo(decide)));
      const decide = () => {
        cancelTimer = undefined;
        // A timer's callback has no caller to throw to: a hedge that cannot go is not sent.
        let may = false;
        try {
          may = !done && mayHedge(context, plan);
        } catch (error) {
          reportOnce(context.scope, 'hedge', error);
        }
        if (!may) return;
        context.hedge.sent += 1;
        context.scope.hedges += 1;
        const copy = context.hedge.sent + 1;
        log(
          context.options.logger,
          'info',
          hedgeLine(requestSubject(attempt, context.state), context.state, delayMs, copy),
        );
        send(copy - 1);
        if (context.hedge.sent < plan.hedge.maxHedges) schedule(delayMs);
      };
    };
    send(0);
    if (plan.delayMs !== undefined) schedule(plan.delayMs);
  });
}

/**
 * Whether a hedge may go now. Not while the call has seen a server time, while the instance's
 * cooldown holds an origin (a 429 said when to come back), or while the request's circuit is
 * not closed, or while the throttle rejects any share of its requests; then only if the
 * origin's extra-load cap allows it, and the retry budget gives a retry for it: a hedge is extra
 * load like a retry, so retries and hedges together stay within the budget. Nothing a user's
 * cooldown, throttle, breaker or budget throws here ends the attempt: it sends no hedge.
 */
function mayHedge(context: RequestContext, plan: HedgePlan): boolean {
  const { options, scope } = context;
  const { cooldown, circuitBreaker: breaker, budget, throttle } = options;
  const { load } = scope.hedging;
  if (context.hedge.serverTimed || !load.allows(plan.origin, plan.hedge.maxExtraLoad)) return false;
  try {
    if (cooldown && cooldown.active === true) return false;
    // A backend the throttle is thinning traffic to gets no extra copies.
    const { throttleKey } = context;
    if (throttle && throttleKey !== undefined && (throttle.snapshot()[throttleKey]?.rejectionProbability ?? 0) > 0) {
      return false;
    }
    if (breaker && context.circuitKey !== undefined) {
      const admission = breaker.acquire(context.circuitKey);
      scope.report(admission.transition, options);
      if (!admission.allowed) return false;
      // Half-open: the probe slot is given back at once (a neutral outcome moves nothing).
      if (admission.probe) {
        scope.report(breaker.record(context.circuitKey, 'neutral', true, admission.ticket), options);
        return false;
      }
    }
    if (budget && !budget.tryRetry()) return false;
  } catch {
    return false;
  }
  load.recordHedge(plan.origin);
  return true;
}

/** A losing copy's outcome, let go of (see `discardBody`). */
const discard = (outcome: Outcome): void =>
  discardBody(
    'response' in outcome ? outcome.response : isAxiosError(outcome.error) ? outcome.error.response : undefined,
  );
