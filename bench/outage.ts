/**
 * Step 4: an outage and recovery over real sockets. 200 callers in a closed loop (think time
 * 250–750 ms) against a server in a child process with a capacity of 800 requests/s that
 * answers 503 to everything for 3 s, 1 s into a 7 s run. Each library with its documented
 * defaults, and axios-rebound with its budget off and with a breaker.
 */

import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AxiosInstance } from 'axios';
import { AdaptiveThrottle, CircuitBreaker } from '../lib/index.js';
import type { Variant } from './common.js';
import { create, environment, median, message, percentile, rotate, table, writeSection } from './common.js';
import { lineChart } from './svg.js';

export const SCENARIO = {
  callers: 200,
  thinkMs: [250, 750] as const,
  runMs: 7000,
  outageAtMs: 1000,
  outageMs: 3000,
  capacityPerSecond: 800,
};

export interface OutageRun {
  /** Requests the server received per 100 ms. */
  buckets: number[];
  outageRequests: number;
  outageFirstAttempts: number;
  calls: number;
  succeeded: number;
  settleMs: number[];
  /** When each call started (ms into the run) and whether it succeeded. */
  outcomes: { at: number; ok: boolean }[];
}

/**
 * Time from the service's recovery until 99 % of calls succeed again: the first start time t
 * after the recovery such that at least 99 % of the calls started from t on succeeded. `Infinity`
 * when that never happens before the run ends.
 */
export function recoveryMs(outcomes: readonly { at: number; ok: boolean }[], recoveredAt: number): number {
  const after = outcomes.filter((o) => o.at >= recoveredAt).sort((a, b) => a.at - b.at);
  let failed = 0;
  let best = Infinity;
  // From the end back: the suffix from call i on has (after.length - i) calls and `failed` failures.
  for (let i = after.length - 1; i >= 0; i--) {
    const call = after[i];
    if (!call) continue;
    if (!call.ok) failed += 1;
    if (failed <= 0.01 * (after.length - i)) best = call.at;
  }
  return best - recoveredAt;
}

type Policy = { name: string; variant: Variant; rebound?: () => object };
export const POLICIES: Policy[] = [
  { name: 'bare axios (no retries)', variant: 'bare axios' },
  { name: 'axios-retry (defaults)', variant: 'axios-retry' },
  { name: 'retry-axios (defaults)', variant: 'retry-axios' },
  { name: 'axios-rebound, budget off', variant: 'axios-rebound', rebound: () => ({ budget: false }) },
  { name: 'axios-rebound (defaults)', variant: 'axios-rebound', rebound: () => ({}) },
  {
    name: 'axios-rebound + breaker (openMs 1 s)',
    variant: 'axios-rebound',
    rebound: () => ({ circuitBreaker: new CircuitBreaker({ openMs: 1000, maxOpenMs: 4000 }) }),
  },
  {
    name: 'axios-rebound + breaker (openMs 30 s)',
    variant: 'axios-rebound',
    rebound: () => ({ circuitBreaker: new CircuitBreaker({ openMs: 30_000 }) }),
  },
  {
    name: 'axios-rebound + throttle (defaults)',
    variant: 'axios-rebound',
    rebound: () => ({ throttle: new AdaptiveThrottle() }),
  },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function runOnce(child: ChildProcess, port: number, policy: Policy): Promise<OutageRun> {
  const agent = new http.Agent({ keepAlive: true });
  const api: AxiosInstance = create(
    policy.variant,
    { baseURL: `http://127.0.0.1:${port}`, httpAgent: agent },
    undefined,
    policy.rebound?.() ?? {},
  );
  child.send({
    start: {
      outageAtMs: SCENARIO.outageAtMs,
      outageMs: SCENARIO.outageMs,
      capacityPerSecond: SCENARIO.capacityPerSecond,
    },
  });
  const started = Date.now();
  let calls = 0;
  let succeeded = 0;
  const settleMs: number[] = [];
  const outcomes: { at: number; ok: boolean }[] = [];
  const caller = async (index: number) => {
    let n = 0;
    while (Date.now() - started < SCENARIO.runMs) {
      const id = `${index}-${n++}`;
      const t0 = Date.now();
      calls += 1;
      let ok = false;
      try {
        await api.get('/work', { headers: { 'X-Call-ID': id } });
        succeeded += 1;
        ok = true;
      } catch {
        // Counted as a failed call.
      }
      outcomes.push({ at: t0 - started, ok });
      settleMs.push(Date.now() - t0);
      const [lo, hi] = SCENARIO.thinkMs;
      await sleep(lo + Math.random() * (hi - lo));
    }
  };
  await Promise.all(Array.from({ length: SCENARIO.callers }, (_, i) => caller(i)));
  child.send({ report: true });
  const report = await message<{ buckets: number[]; outage: { requests: number; firstAttempts: number } }>(
    child,
    'report',
  );
  agent.destroy();
  return {
    buckets: report.buckets.slice(0, SCENARIO.runMs / 100),
    outageRequests: report.outage.requests,
    outageFirstAttempts: report.outage.firstAttempts,
    calls,
    succeeded,
    settleMs,
    outcomes,
  };
}

/** The figures of one policy: medians over rounds. */
export function summarize(runs: OutageRun[]): (string | number)[] {
  const outageBuckets = (r: OutageRun) =>
    r.buckets.slice(SCENARIO.outageAtMs / 100, (SCENARIO.outageAtMs + SCENARIO.outageMs) / 100);
  const m = (f: (r: OutageRun) => number) => median(runs.map(f));
  return [
    Math.round(m((r) => r.buckets.reduce((a, b) => a + b, 0))),
    Math.round(m((r) => (r.outageRequests * 1000) / SCENARIO.outageMs)),
    Math.round(m((r) => Math.max(...outageBuckets(r)) * 10)),
    m((r) => r.outageRequests / Math.max(1, r.outageFirstAttempts)).toFixed(2),
    m((r) => r.outageRequests / Math.max(1, callsDuringOutage(r))).toFixed(2),
    `${(m((r) => r.succeeded / r.calls) * 100).toFixed(1)} %`,
    Math.round(m((r) => percentile(r.settleMs, 50))),
    Math.round(m((r) => percentile(r.settleMs, 95))),
    Math.round(m((r) => percentile(r.settleMs, 99))),
    recoveryCell(m((r) => recoveryMs(r.outcomes, SCENARIO.outageAtMs + SCENARIO.outageMs))),
  ];
}

export const OUTAGE_HEADER = [
  'policy',
  'requests in all',
  'req/s during outage',
  'peak req/s during outage',
  'outage load ÷ first attempts',
  'outage load ÷ calls started',
  'calls that succeeded',
  'p50 ms',
  'p95 ms',
  'p99 ms',
  'recovery to 99 % ms',
];

/** Calls the callers started while the service was down (sent or not: a throttle or breaker may refuse them). */
const callsDuringOutage = (r: OutageRun) =>
  r.outcomes.filter((o) => o.at >= SCENARIO.outageAtMs && o.at < SCENARIO.outageAtMs + SCENARIO.outageMs).length;

/** A recovery time, or how long the run went on without one. */
const recoveryCell = (ms: number) =>
  Number.isFinite(ms) ? Math.round(ms) : `> ${(SCENARIO.runMs - SCENARIO.outageAtMs - SCENARIO.outageMs) / 1000} s`;

export async function outage(options: { rounds: number }): Promise<string> {
  const child = fork(new URL('./outage-server.mjs', import.meta.url));
  const port = await message<number>(child, 'port');
  const runs = new Map<string, OutageRun[]>(POLICIES.map((p) => [p.name, []]));
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const policy of rotate(POLICIES, round)) {
        runs.get(policy.name)?.push(await runOnce(child, port, policy));
        process.stderr.write('.');
      }
    }
  } finally {
    child.send({ exit: true });
  }
  const rows = POLICIES.map((p) => [p.name, ...summarize(runs.get(p.name) ?? [])]);
  const chart = lineChart({
    title: `Server load, ${SCENARIO.callers} callers, 503 for ${SCENARIO.outageMs / 1000} s from t = ${SCENARIO.outageAtMs / 1000} s (real sockets)`,
    xLabel: 'time (s)',
    yLabel: 'requests/s received',
    series: POLICIES.map((p) => {
      const all = runs.get(p.name) ?? [];
      const length = Math.min(...all.map((r) => r.buckets.length));
      return {
        name: p.name,
        points: Array.from({ length }, (_, i) => [i / 10, median(all.map((r) => r.buckets[i] ?? 0)) * 10] as const),
      };
    }),
  });
  writeFileSync(new URL('../docs/outage-real.svg', import.meta.url), chart);
  const body = [
    `Command: \`npm run bench -- outage\` (${options.rounds} interleaved rounds; medians). ${SCENARIO.callers} callers in one process, each in a closed loop with ${SCENARIO.thinkMs[0]}–${SCENARIO.thinkMs[1]} ms think time, against a server (child process, capacity ${SCENARIO.capacityPerSecond} requests/s, 503 beyond) that answers 503 to everything from ${SCENARIO.outageAtMs / 1000} s to ${(SCENARIO.outageAtMs + SCENARIO.outageMs) / 1000} s of a ${SCENARIO.runMs / 1000} s run. "First attempts" are the calls whose first attempt reached the server during the outage (a call's retries carry its X-Call-ID); "calls started" counts every call the callers started then, sent or refused locally (a breaker, a throttle). "Recovery to 99 %" is the time from the service's recovery until 99 % of the calls started from then on succeed. ${environment()}.`,
    table(OUTAGE_HEADER, rows),
    '![server load over time](../docs/outage-real.svg)',
  ].join('\n\n');
  writeSection('4. Outage and recovery, real sockets', body);
  return body;
}
