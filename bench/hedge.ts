/**
 * Step hedge: hedged requests against a server with a slow tail, over sockets on 127.0.0.1.
 * A child process answers 95 % of requests in 10 ms and 5 % in 1 s (and a lognormal variant);
 * 2 000 GETs at 64 concurrency, without hedging, with `hedge: { delay: 50 }` and with
 * `hedge: { delay: 'p95' }`: the call latencies and the extra requests the server saw. Then the
 * same with every request slow (300 ms), where hedging cannot help: the extra-load cap
 * (`maxExtraLoad`, 5 % by default) must hold.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import axios from 'axios';
import type { RetryOptions } from '../lib/index.js';
import { attachRetry } from '../lib/index.js';
import { environment, message, percentile, table, writeSection } from './common.js';

/**
 * At most 64 calls in flight, started no faster than `rate` per second: without a pace, the 64
 * callers of a closed loop freed from the slow tail would send as fast as the client's one
 * thread can, and the benchmark would measure that thread's queue, not the server's tail.
 */
export const SCENARIO = { calls: 2000, concurrency: 64, rate: 800 };

type Mode = 'bimodal' | 'lognormal' | 'overload';
const MODES: readonly { mode: Mode; server: string }[] = [
  { mode: 'bimodal', server: '10 ms for 95 %, 1 000 ms for 5 %' },
  { mode: 'lognormal', server: 'lognormal, median 10 ms, σ = 1 (p99 ≈ 100 ms), capped at 2 s' },
  { mode: 'overload', server: 'every request 300 ms (overloaded)' },
];

const VARIANTS: readonly { name: string; hedge: RetryOptions['hedge'] }[] = [
  { name: 'no hedging', hedge: false },
  { name: 'hedge: { delay: 50 }', hedge: { delay: 50 } },
  { name: "hedge: { delay: 'p95' }", hedge: { delay: 'p95' } },
  // With exactly 5 % slow, a 5 % cap is spent as fast as it is earned: a little headroom.
  { name: "hedge: { delay: 'p95', maxExtraLoad: 0.06 }", hedge: { delay: 'p95', maxExtraLoad: 0.06 } },
  // Under 3 × p50 needs a hedge within about 2 × p50: a fixed 50 ms cannot get there by construction.
  { name: 'hedge: { delay: 20, maxExtraLoad: 0.06 }', hedge: { delay: 20, maxExtraLoad: 0.06 } },
];

interface HedgeRun {
  p50: number;
  p99: number;
  p999: number;
  slow: number;
  extra: number;
  hedges: number;
  abandoned: number;
  failed: number;
}

export async function runOnce(mode: Mode, hedge: RetryOptions['hedge']): Promise<HedgeRun> {
  const child = fork(new URL('./hedge-server.mjs', import.meta.url), ['--mode', mode], { execArgv: [] });
  const port = await message<number>(child, 'port');
  const agent = new http.Agent({ keepAlive: true });
  const api = axios.create({ baseURL: `http://127.0.0.1:${port}`, httpAgent: agent });
  const handle = attachRetry(api, { hedge });
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  const begun = performance.now();
  const worker = async () => {
    while (next < SCENARIO.calls) {
      const due = begun + (1000 * next) / SCENARIO.rate;
      next += 1;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const started = performance.now();
      try {
        await api.get('/item');
        latencies.push(performance.now() - started);
      } catch {
        failed += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: SCENARIO.concurrency }, worker));
  child.send({ report: true });
  const counts = await message<{ received: number; answered: number; abandoned: number }>(child, 'counts');
  child.send({ exit: true });
  await once(child, 'exit');
  agent.destroy();
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    p999: percentile(latencies, 99.9),
    slow: latencies.filter((l) => l > 500).length,
    extra: counts.received - SCENARIO.calls,
    hedges: handle.stats().hedges,
    abandoned: counts.abandoned,
    failed,
  };
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const share = (n: number) => `${n} (${((100 * n) / SCENARIO.calls).toFixed(1)} %)`;

export async function hedge(): Promise<string> {
  const rows: (string | number)[][] = [];
  // A first run warms up the JIT, the fork and the sockets: it is not reported.
  await runOnce('bimodal', false);
  for (const { mode, server } of MODES) {
    for (const variant of VARIANTS) {
      const run = await runOnce(mode, variant.hedge);
      console.log(`${mode} / ${variant.name}:`, run);
      rows.push([
        server,
        variant.name,
        ms(run.p50),
        ms(run.p99),
        ms(run.p999),
        `${(run.p99 / run.p50).toFixed(1)}×`,
        share(run.extra),
        run.abandoned,
        run.failed,
      ]);
    }
  }
  const body = [
    `${SCENARIO.calls} GETs, at most ${SCENARIO.concurrency} in flight and started at ${SCENARIO.rate} per second at most, ` +
      'through one instance (keep-alive agent) ' +
      'against a child-process server on 127.0.0.1 with a seeded latency draw per request; axios-rebound ' +
      'with its defaults plus the `hedge` shown (maxHedges 1, maxExtraLoad 0.05 unless shown). Latency is per call, from ' +
      "the caller's side. Extra requests: what the server received beyond the calls (hedges; no call was " +
      'retried). Abandoned: requests the server saw closed before it answered (the losing copies, aborted).',
    '',
    table(['server', 'client', 'p50', 'p99', 'p99.9', 'p99 / p50', 'extra requests', 'abandoned', 'failed'], rows),
    '',
    'Command: `npm run bench -- hedge`.',
    '',
    environment(),
  ].join('\n');
  writeSection('Hedged requests: a slow tail, and an overloaded server', body);
  return body;
}
