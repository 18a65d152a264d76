/**
 * Step 5: a herd simulator in virtual time, driving axios-rebound's own nextDelay, RetryBudget
 * and CircuitBreaker (not copies) with a virtual clock, so that thousands of clients and
 * minutes of outage run in seconds.
 *
 * (a) Brooker's contention model ("Exponential Backoff And Jitter", AWS Architecture Blog,
 *     2015; aws-samples/aws-arch-backoff-simulator): clients race to update one row with
 *     optimistic concurrency; every network hop takes |N(10 ms, 2 ms)|.
 * (b) The outage of step 4 at fleet scale.
 */
import { writeFileSync } from 'node:fs';
import type { DelayOptions } from '../lib/index.js';
import { AdaptiveThrottle, CircuitBreaker, nextDelay, RetryBudget } from '../lib/index.js';
import { mulberry32 } from '../lib/testing/random.js';
import { table, writeSection } from './common.js';
import type { OutageRun } from './outage.js';
import { OUTAGE_HEADER, SCENARIO, summarize } from './outage.js';
import { lineChart } from './svg.js';

/** mulberry32 (the testing entry's), so every simulation is reproducible. */
export const prng = mulberry32;

/** |N(mean, sd)| by Box–Muller. */
function hop(random: () => number, mean = 10, sd = 2): number {
  const u = 1 - random();
  const v = random();
  return Math.abs(mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}

/** A binary min-heap of timed events: the simulator's clock. */
class Events {
  readonly #times: number[] = [];
  readonly #actions: (() => void)[] = [];
  now = 0;

  at(time: number, action: () => void): void {
    const times = this.#times;
    const actions = this.#actions;
    let i = times.length;
    times.push(time);
    actions.push(action);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((times[parent] ?? 0) <= time) break;
      times[i] = times[parent] ?? 0;
      actions[i] = actions[parent] ?? action;
      i = parent;
    }
    times[i] = time;
    actions[i] = action;
  }

  /** Runs events in time order until none is left or `until` is reached. */
  run(until = Infinity): void {
    const times = this.#times;
    const actions = this.#actions;
    while (times.length > 0 && (times[0] ?? 0) <= until) {
      const time = times[0] ?? 0;
      const action = actions[0] as () => void;
      const lastTime = times.pop() ?? 0;
      const lastAction = actions.pop() as () => void;
      if (times.length > 0) {
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          let mt = lastTime;
          if (l < times.length && (times[l] ?? 0) < mt) {
            m = l;
            mt = times[l] ?? 0;
          }
          if (r < times.length && (times[r] ?? 0) < mt) m = r;
          if (m === i) break;
          times[i] = times[m] ?? 0;
          actions[i] = actions[m] as () => void;
          i = m;
        }
        times[i] = lastTime;
        actions[i] = lastAction;
      }
      this.now = time;
      action();
    }
  }
}

// ---- (a) contention ----

type Strategy = { name: string; options: DelayOptions | undefined };
/** Brooker's expo(n) = min(cap, 2^n · base) with base 5 ms is baseDelay 10 ms here (attempt 1 = 2^1 · 5). */
const CONTENTION: Strategy[] = [
  { name: 'no backoff', options: undefined },
  {
    name: 'exponential, no jitter',
    options: { backoff: 'exponential', baseDelay: 10, factor: 2, maxDelay: 2000, jitter: 'none' },
  },
  {
    name: 'full jitter',
    options: { backoff: 'exponential', baseDelay: 10, factor: 2, maxDelay: 2000, jitter: 'full' },
  },
  {
    name: 'equal jitter',
    options: { backoff: 'exponential', baseDelay: 10, factor: 2, maxDelay: 2000, jitter: 'equal' },
  },
  // Decorrelated grows from the base itself: min(cap, uniform(5, 3 · previous)).
  {
    name: 'decorrelated jitter',
    options: { backoff: 'exponential', baseDelay: 5, factor: 2, maxDelay: 2000, jitter: 'decorrelated' },
  },
];

export function contention(
  clients: number,
  strategy: Strategy,
  random: () => number,
): { calls: number; timeMs: number } {
  const events = new Events();
  let version = 0;
  let calls = 0;
  const client = () => {
    let attempt = 0;
    let previousDelay: number | undefined;
    // The server reads the row's version when the read arrives; the client writes it back.
    const readAt = (arrival: number) =>
      events.at(arrival, () => {
        const seen = version;
        events.at(events.now + hop(random), () => write(seen));
      });
    const write = (seen: number) =>
      events.at(events.now + hop(random), () => {
        calls += 1;
        const success = seen === version;
        if (success) version += 1;
        events.at(events.now + hop(random), () => {
          if (success) return;
          attempt += 1;
          const delay = strategy.options ? nextDelay({ attempt, previousDelay }, strategy.options, random) : 0;
          previousDelay = delay;
          readAt(events.now + hop(random) + delay);
        });
      });
    readAt(hop(random));
  };
  for (let i = 0; i < clients; i++) client();
  events.run();
  return { calls, timeMs: events.now };
}

// ---- (b) an outage at fleet scale ----

interface FleetPolicy {
  name: string;
  retries: number;
  delay: (attempt: number, previousDelay: number | undefined, random: () => number) => number;
  budget?: (now: () => number) => RetryBudget;
  breaker?: (now: () => number) => CircuitBreaker;
  throttle?: (now: () => number, random: () => number) => AdaptiveThrottle;
}

const REBOUND_DEFAULTS: DelayOptions = {
  backoff: 'exponential',
  baseDelay: 200,
  factor: 2,
  maxDelay: 30_000,
  jitter: 'full',
};
const reboundDelay = (attempt: number, previousDelay: number | undefined, random: () => number) =>
  nextDelay({ attempt, previousDelay }, REBOUND_DEFAULTS, random);

/** The same policies as step 4; the peers' delays follow their documented defaults. */
const FLEET_POLICIES: FleetPolicy[] = [
  { name: 'bare axios (no retries)', retries: 0, delay: () => 0 },
  { name: 'axios-retry (defaults)', retries: 3, delay: () => 0 },
  { name: 'retry-axios (defaults)', retries: 3, delay: (n) => ((2 ** n - 1) / 2) * 100 },
  { name: 'axios-rebound, budget off', retries: 3, delay: reboundDelay },
  { name: 'axios-rebound (defaults)', retries: 3, delay: reboundDelay, budget: (now) => new RetryBudget({ now }) },
  {
    name: 'axios-rebound + breaker (openMs 1 s)',
    retries: 3,
    delay: reboundDelay,
    budget: (now) => new RetryBudget({ now }),
    breaker: (now) => new CircuitBreaker({ openMs: 1000, maxOpenMs: 4000, now }),
  },
  {
    name: 'axios-rebound + breaker (openMs 30 s)',
    retries: 3,
    delay: reboundDelay,
    budget: (now) => new RetryBudget({ now }),
    breaker: (now) => new CircuitBreaker({ openMs: 30_000, now }),
  },
  {
    name: 'axios-rebound + throttle (defaults)',
    retries: 3,
    delay: reboundDelay,
    budget: (now) => new RetryBudget({ now }),
    throttle: (now, random) => new AdaptiveThrottle({ now, random }),
  },
];

/** A simulated run reports what a real one does (step 4), so both are summarized alike. */
export type FleetRun = OutageRun;

export function fleet(
  policy: FleetPolicy,
  shape: {
    callers: number;
    instances: number;
    runMs: number;
    outageAtMs: number;
    outageMs: number;
    capacityPerSecond: number;
  },
  random: () => number,
): FleetRun {
  const events = new Events();
  const now = () => events.now;
  const buckets: number[] = Array.from({ length: Math.ceil(shape.runMs / 100) }, () => 0);
  const run: FleetRun = {
    buckets,
    outageRequests: 0,
    outageFirstAttempts: 0,
    calls: 0,
    succeeded: 0,
    settleMs: [],
    outcomes: [],
  };
  let tokens = shape.capacityPerSecond;
  let refilledAt = 0;
  const instances = Array.from({ length: shape.instances }, () => ({
    budget: policy.budget?.(now),
    breaker: policy.breaker?.(now),
    throttle: policy.throttle?.(now, random),
  }));
  const net = () => hop(random, 1, 0.3);

  /** The server: 503 during the outage or past its capacity (a token bucket of one second). */
  const serve = (first: boolean): boolean => {
    const t = events.now;
    const bucket = Math.floor(t / 100);
    if (bucket < buckets.length) buckets[bucket] = (buckets[bucket] ?? 0) + 1;
    const down = t >= shape.outageAtMs && t < shape.outageAtMs + shape.outageMs;
    if (down) {
      run.outageRequests += 1;
      if (first) run.outageFirstAttempts += 1;
    }
    tokens = Math.min(shape.capacityPerSecond, tokens + ((t - refilledAt) * shape.capacityPerSecond) / 1000);
    refilledAt = t;
    if (down || tokens < 1) return false;
    tokens -= 1;
    return true;
  };

  const caller = (instance: (typeof instances)[number]) => {
    const think = () => 250 + random() * 500;
    const call = () => {
      if (events.now >= shape.runMs) return;
      const started = events.now;
      run.calls += 1;
      let attempt = 0;
      let previousDelay: number | undefined;
      const settle = (ok: boolean) => {
        if (ok) run.succeeded += 1;
        run.settleMs.push(events.now - started);
        run.outcomes.push({ at: started, ok });
        events.at(events.now + think(), call);
      };
      const send = () => {
        attempt += 1;
        // As in attempt.ts: the throttle first; a rejected attempt ends the call.
        if (instance.throttle && !instance.throttle.acquire('server').allowed) return settle(false);
        const admission = instance.breaker?.acquire('server');
        if (admission && !admission.allowed) return settle(false);
        const probe = admission?.allowed ? admission.probe : false;
        events.at(events.now + net(), () => {
          const ok = serve(attempt === 1);
          events.at(events.now + net(), () => {
            instance.breaker?.record('server', ok ? 'success' : 'failure', probe);
            instance.throttle?.record('server', { status: ok ? 200 : 503, network: false });
            if (ok) return settle(true);
            if (attempt > policy.retries || (instance.budget && !instance.budget.tryRetry())) return settle(false);
            const delay = policy.delay(attempt, previousDelay, random);
            previousDelay = delay;
            events.at(events.now + delay, send);
          });
        });
      };
      instance.budget?.recordRequest();
      send();
    };
    events.at(random() * 500, call);
  };
  for (let i = 0; i < shape.callers; i++)
    caller(instances[i % shape.instances] ?? { budget: undefined, breaker: undefined, throttle: undefined });
  events.run(shape.runMs + 60_000);
  return run;
}

export async function herd(options: { runs: number }): Promise<string> {
  const random = prng(2015);
  // (a) Brooker's model, 10–100 clients.
  const sizes = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
  const results = new Map(CONTENTION.map((s) => [s.name, sizes.map(() => ({ calls: 0, timeMs: 0 }))]));
  for (const [i, clients] of sizes.entries()) {
    for (const strategy of CONTENTION) {
      const cell = results.get(strategy.name)?.[i];
      if (!cell) continue;
      for (let run = 0; run < options.runs; run++) {
        const { calls, timeMs } = contention(clients, strategy, random);
        cell.calls += calls / options.runs;
        cell.timeMs += timeMs / options.runs;
      }
    }
  }
  const at100 = (name: string) => results.get(name)?.[sizes.length - 1] ?? { calls: NaN, timeMs: NaN };
  const reference: Record<string, [number, number]> = {
    'exponential, no jitter': [1857, 63],
    'full jitter': [796, 4.9],
    'equal jitter': [812, 6.7],
    'decorrelated jitter': [1001, 4.5],
  };
  const contentionRows = CONTENTION.map((s) => {
    const r = at100(s.name);
    const ref = reference[s.name];
    return [
      s.name,
      Math.round(r.calls),
      (r.timeMs / 1000).toFixed(2),
      ref ? `${ref[0]} / ${ref[1]} s` : '–',
      ref
        ? `${(((r.calls - ref[0]) / ref[0]) * 100).toFixed(1)} % / ${(((r.timeMs / 1000 - ref[1]) / ref[1]) * 100).toFixed(1)} %`
        : '–',
    ];
  });
  const series = (f: (c: { calls: number; timeMs: number }) => number) =>
    CONTENTION.map((s) => ({
      name: s.name,
      points: sizes.map((n, i) => [n, f(results.get(s.name)?.[i] ?? { calls: 0, timeMs: 0 })] as const),
    }));
  writeFileSync(
    new URL('../docs/contention-calls.svg', import.meta.url),
    lineChart({
      title: 'Contention: total calls vs clients (mean of runs)',
      xLabel: 'clients',
      yLabel: 'calls',
      series: series((c) => c.calls),
    }),
  );
  writeFileSync(
    new URL('../docs/contention-time.svg', import.meta.url),
    lineChart({
      title: 'Contention: completion time vs clients',
      xLabel: 'clients',
      yLabel: 'seconds (log scale)',
      logY: true,
      series: series((c) => c.timeMs / 1000),
    }),
  );

  // (b) The outage of step 4: at its own size (to compare with the real run), and at fleet scale.
  const same = { ...SCENARIO, instances: 1 };
  const scale = 50;
  const big = {
    ...SCENARIO,
    callers: SCENARIO.callers * scale,
    instances: scale,
    capacityPerSecond: SCENARIO.capacityPerSecond * scale,
  };
  const runsOf = (shape: typeof same) =>
    FLEET_POLICIES.map((p) => Array.from({ length: 3 }, () => fleet(p, shape, random)));
  const small = runsOf(same);
  const large = runsOf(big);
  writeFileSync(
    new URL('../docs/outage-sim.svg', import.meta.url),
    lineChart({
      title: `Server load, ${big.callers} callers in ${big.instances} processes, outage ${big.outageMs / 1000} s (simulated)`,
      xLabel: 'time (s)',
      yLabel: 'requests/s received',
      series: FLEET_POLICIES.map((p, i) => ({
        name: p.name,
        points: (large[i]?.[0]?.buckets ?? []).map((n, j) => [j / 10, n * 10] as const),
      })),
    }),
  );
  const body = [
    `Command: \`npm run bench -- herd\`. Virtual time; the library's own \`nextDelay\`, \`RetryBudget\` and \`CircuitBreaker\` run on the simulator's clock. Seeded PRNG (mulberry32, seed 2015).`,
    `### (a) Brooker's contention model\n\nClients race to update one row with optimistic concurrency; each network hop |N(10 ms, 2 ms)|; base 5 ms, cap 2 s; ${options.runs} runs per point (means, as in the original). At 100 clients, against the reference re-implementation:`,
    table(
      ['strategy', 'calls', 'completion s', 'reference (calls / time)', 'difference (calls / time)'],
      contentionRows,
    ),
    '![calls vs clients](../docs/contention-calls.svg)\n\n![completion time vs clients](../docs/contention-time.svg)',
    `### (b) The outage of step 4, simulated\n\nSame shape as step 4 (callers in a closed loop, 250–750 ms think time, capacity ${SCENARIO.capacityPerSecond} requests/s per ${SCENARIO.callers} callers, 503 for ${SCENARIO.outageMs / 1000} s from ${SCENARIO.outageAtMs / 1000} s of ${SCENARIO.runMs / 1000} s), with 1 ms loopback hops; medians of 3 runs.\n\n**At the real run's size** (${same.callers} callers, one process):`,
    table(
      OUTAGE_HEADER,
      FLEET_POLICIES.map((p, i) => [p.name, ...summarize(small[i] ?? [])]),
    ),
    `**At fleet scale** (${big.callers} callers in ${big.instances} processes, each with its own budget and breaker):`,
    table(
      OUTAGE_HEADER,
      FLEET_POLICIES.map((p, i) => [p.name, ...summarize(large[i] ?? [])]),
    ),
    '![simulated server load over time](../docs/outage-sim.svg)',
  ].join('\n\n');
  writeSection('5. Herd simulator (virtual time)', body);
  return body;
}
