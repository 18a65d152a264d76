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
import { monitorEventLoopDelay } from 'node:perf_hooks';
import axios from 'axios';
import type { RetryOptions } from '../lib/index.js';
import { attachRetry } from '../lib/index.js';
import { environment, median, message, percentile, table, writeSection } from './common.js';

/**
 * At most 64 calls in flight, started no faster than `rate` per second: without a pace, the 64
 * callers of a closed loop freed from the slow tail would send as fast as the client's one
 * thread can, and the benchmark would measure that thread's queue, not the server's tail.
 * 300 per second by default, where the client's own lag is small beside the server's fast
 * mode: a hedged answer comes at delay + p50 + however late the client's timer and read ran, so
 * p99 / p50 measures the client as much as the server. On the 2-core VM of bench/RESULTS.md a
 * request costs the client about 1 ms of CPU (a CPU profile shows the socket syscalls,
 * `setKeepAlive` and writes, on top); at 800 per second, the pace before, the client's
 * event-loop delay p99 was 4-7 ms against 2.5-4.5 ms at 300, and tens of ms in some probe runs.
 * `--rate` runs another pace; RESULTS.md has the table at 800 too.
 */
export const SCENARIO = { calls: 2000, concurrency: 64, rate: 300 };

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
  // A hedged answer comes at delay + p50 + what a copy costs beyond the server's time (1-3 ms
  // here), so p99 under 3 × p50 needs a delay under 2 × p50 less that: 18 ms for a p50 of 11.
  // A fixed 50 ms cannot get there by construction.
  { name: 'hedge: { delay: 18, maxExtraLoad: 0.06 }', hedge: { delay: 18, maxExtraLoad: 0.06 } },
];

interface HedgeRun {
  p50: number;
  p99: number;
  p999: number;
  extra: number;
  hedges: number;
  abandoned: number;
  failed: number;
  /** The client's event-loop delay, p99, in ms: how late its own timers and reads ran. */
  loopDelay: number;
}

export async function runOnce(mode: Mode, hedge: RetryOptions['hedge'], rate = SCENARIO.rate): Promise<HedgeRun> {
  const child = fork(new URL('./hedge-server.mjs', import.meta.url), ['--mode', mode], {
    execArgv: ['--import', 'tsx'],
  });
  const port = await message<number>(child, 'port');
  const agent = new http.Agent({ keepAlive: true });
  const api = axios.create({ baseURL: `http://127.0.0.1:${port}`, httpAgent: agent });
  const handle = attachRetry(api, { hedge });
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const begun = performance.now();
  const worker = async () => {
    while (next < SCENARIO.calls) {
      const due = begun + (1000 * next) / rate;
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
  loop.disable();
  child.send({ report: true });
  const counts = await message<{ received: number; answered: number; abandoned: number }>(child, 'counts');
  child.send({ exit: true });
  await once(child, 'exit');
  agent.destroy();
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    p999: percentile(latencies, 99.9),
    extra: counts.received - SCENARIO.calls,
    hedges: handle.stats().hedges,
    abandoned: counts.abandoned,
    failed,
    loopDelay: loop.percentile(99) / 1e6,
  };
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const share = (n: number) => `${n} (${((100 * n) / SCENARIO.calls).toFixed(1)} %)`;

/** The median of each figure over `runs` (p99 / p50 is a median of the runs' own ratios). */
function medianRun(runs: readonly HedgeRun[]) {
  const of = (pick: (run: HedgeRun) => number) => median(runs.map(pick));
  return {
    p50: of((r) => r.p50),
    p99: of((r) => r.p99),
    p999: of((r) => r.p999),
    ratio: of((r) => r.p99 / r.p50),
    extra: of((r) => r.extra),
    abandoned: of((r) => r.abandoned),
    failed: runs.reduce((sum, r) => sum + r.failed, 0),
    loopDelay: of((r) => r.loopDelay),
  };
}

export async function hedge({ rounds, rate = SCENARIO.rate }: { rounds: number; rate?: number }): Promise<string> {
  const rows: (string | number)[][] = [];
  // A first run warms up the JIT, the fork and the sockets: it is not reported.
  await runOnce('bimodal', false, rate);
  for (const { mode, server } of MODES) {
    for (const variant of VARIANTS) {
      const runs: HedgeRun[] = [];
      for (let round = 0; round < rounds; round++) runs.push(await runOnce(mode, variant.hedge, rate));
      console.log(`${mode} / ${variant.name}:`, runs);
      const run = medianRun(runs);
      rows.push([
        server,
        variant.name,
        ms(run.p50),
        ms(run.p99),
        ms(run.p999),
        `${run.ratio.toFixed(1)}× (${runs.map((r) => (r.p99 / r.p50).toFixed(1)).join(', ')})`,
        share(run.extra),
        run.abandoned,
        run.failed,
        ms(run.loopDelay),
      ]);
    }
  }
  const body = [
    `${SCENARIO.calls} GETs, at most ${SCENARIO.concurrency} in flight and started at ${rate} per second at most, ` +
      'through one instance (keep-alive agent) ' +
      'against a child-process server on 127.0.0.1 with a seeded latency draw per request; axios-rebound ' +
      'with its defaults plus the `hedge` shown (maxHedges 1, maxExtraLoad 0.05 unless shown). Latency is per call, from ' +
      `the caller's side. Medians of ${rounds} runs; p99 / p50 is the median of the runs' own ratios, which follow ` +
      'in brackets. Extra requests: what the server received beyond the calls (hedges; no call was ' +
      'retried). Abandoned: requests the server saw closed before it answered (the losing copies, aborted). ' +
      "Loop delay: the client's event-loop delay at p99 (`monitorEventLoopDelay`), how late its own timers and " +
      'reads ran: what no hedge can take off.',
    '',
    table(
      ['server', 'client', 'p50', 'p99', 'p99.9', 'p99 / p50', 'extra requests', 'abandoned', 'failed', 'loop delay'],
      rows,
    ),
    '',
    `Command: \`npm run bench -- hedge${rate === SCENARIO.rate ? '' : ` --rate ${rate}`} --rounds ${rounds}\`.`,
    '',
    environment(),
  ].join('\n');
  const paced = rate === SCENARIO.rate ? '' : ` (paced at ${rate} per second)`;
  writeSection(`Hedged requests: a slow tail, and an overloaded server${paced}`, body);
  return body;
}
