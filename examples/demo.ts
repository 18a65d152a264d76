/**
 * npm run demo [-- --failures 10 --retries 10 --base-delay 50 --max-delay 500 --jitter full --retry-after 1]
 *
 * Starts a flaky HTTP server on 127.0.0.1 (an ephemeral port) that answers the first
 * `--failures` requests with 503 and then 200, calls it through axios-rebound, prints the
 * timeline of attempts, and exits.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import axios from 'axios';
import type { AttemptRecord, JitterName } from '../lib/index.js';
import { attachRetry, explainPolicy, getRetryState } from '../lib/index.js';

const { values: flags } = parseArgs({
  options: {
    failures: { type: 'string', default: '10' },
    retries: { type: 'string', default: '10' },
    'base-delay': { type: 'string', default: '50' },
    'max-delay': { type: 'string', default: '500' },
    jitter: { type: 'string', default: 'full' },
    'retry-after': { type: 'string' },
    'attempt-timeout': { type: 'string' },
    deadline: { type: 'string' },
    explain: { type: 'boolean', default: false },
    'attempt-latency': { type: 'string' },
    p95: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (flags.help) {
  console.log(
    'usage: npm run demo -- [--failures N] [--retries N] [--base-delay MS] [--max-delay MS]\n' +
      '                      [--jitter full|equal|decorrelated|none] [--retry-after SECONDS]\n' +
      '                      [--attempt-timeout MS] [--deadline MS]\n' +
      '       npm run demo -- --explain [policy flags] [--attempt-latency MS] [--p95 MS]',
  );
  process.exit(0);
}

const number = (flag: string | undefined) => (flag === undefined ? undefined : Number(flag));
const policy = {
  retries: Number(flags.retries),
  baseDelay: Number(flags['base-delay']),
  maxDelay: Number(flags['max-delay']),
  jitter: flags.jitter as JitterName,
  attemptTimeout: number(flags['attempt-timeout']),
  deadline: number(flags.deadline),
};

if (flags.explain) {
  const latency = number(flags['attempt-latency']);
  const p95 = number(flags.p95);
  try {
    const plan = explainPolicy(policy, {
      ...(latency === undefined ? {} : { attemptLatencyMs: latency }),
      ...(p95 === undefined ? {} : { sla: { p95Ms: p95 } }),
    });
    const ms = (v: number | undefined) =>
      v === undefined ? '-' : v === Infinity ? 'unbounded' : `${Math.round(v)} ms`;
    console.log('  attempt  wait before (min..max, median)   timeout      starts by (median / latest)');
    for (const a of plan.attempts) {
      console.log(
        `  ${String(a.attempt).padEnd(9)}${`${ms(a.wait.min)}..${ms(a.wait.max)}, ${ms(a.wait.median)}`.padEnd(33)}` +
          `${ms(a.timeoutMs).padEnd(13)}${ms(a.startsAt.median)} / ${ms(a.startsAt.latest)}`,
      );
    }
    console.log(
      `\ngives up, if every attempt fails, after ${ms(plan.totalMs.median)} (median) / ${ms(plan.totalMs.worst)} (worst case)`,
    );
    for (const warning of plan.warnings) console.log(`warning: ${warning}`);
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 2;
  }
  process.exit();
}

const failures = Number(flags.failures);
if (!Number.isInteger(failures) || failures < 0) {
  console.error(`--failures must be an integer >= 0, got ${flags.failures}`);
  process.exit(2);
}
const retryAfter = flags['retry-after'];

let received = 0;
const server = http.createServer((_req, res) => {
  received += 1;
  if (received <= failures) {
    res.writeHead(503, retryAfter === undefined ? {} : { 'Retry-After': retryAfter });
    res.end('service unavailable');
  } else {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ model: 'ready', servedAfter: received - 1 }));
  }
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const row = (r: AttemptRecord) =>
  `  ${String(r.attempt).padEnd(8)}${String(r.status ?? r.code ?? '?').padEnd(8)}` +
  `${`${r.durationMs} ms`.padEnd(10)}${r.delayMs === undefined ? '-' : `${r.delayMs} ms`}`;

try {
  const api = axios.create({ baseURL: origin });
  // Invalid flags surface here as a TypeError naming the option.
  const handle = attachRetry(api, {
    ...policy,
    onRetry: ({ state }) => {
      const last = state.history[state.history.length - 1];
      if (last) console.log(row(last));
    },
  });
  const o = handle.options;
  console.log(
    `flaky server on ${origin}: the first ${failures} requests get 503` +
      (retryAfter === undefined ? '' : ` with Retry-After: ${retryAfter}`),
  );
  console.log(
    `client: retries=${o.retries} backoff=${String(o.backoff)} baseDelay=${o.baseDelay}ms ` +
      `maxDelay=${o.maxDelay}ms jitter=${o.jitter}\n`,
  );
  console.log('  attempt status  latency   next delay');

  const started = Date.now();
  try {
    const response = await api.get('/model');
    const state = getRetryState(response);
    const last = state?.history[state.history.length - 1];
    if (last) console.log(row(last));
    console.log(
      `\nresult: ${response.status} ${JSON.stringify(response.data)} after ${(state?.attempt ?? 1) - 1} retries ` +
        `in ${Date.now() - started} ms; the server saw ${received} requests`,
    );
  } catch (error) {
    const state = getRetryState(error);
    const last = state?.history[state.history.length - 1];
    if (last) console.log(row(last));
    console.log(
      `\nresult: gave up (${state?.stopReason ?? 'unknown'}) after ${state?.attempt ?? 1} attempts ` +
        `in ${Date.now() - started} ms: ${(error as Error).message}`,
    );
  }
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 2;
} finally {
  server.close();
}
