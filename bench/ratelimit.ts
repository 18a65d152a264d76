/**
 * Step 7: clients against a real rate limiter over sockets on 127.0.0.1. A token bucket (200
 * requests/s, burst 20) in a child process answers 429 when it is empty and says when to come
 * back in one of three ways: Retry-After with the IETF RateLimit fields, only a Unix-seconds
 * x-ratelimit-reset, or only the RateLimit field. 200 callers each make a fixed number of
 * sequential GETs; every client gets a fresh server (a full bucket) per run.
 */
import { fork } from 'node:child_process';
import { once, setMaxListeners } from 'node:events';
import http from 'node:http';
import type { AxiosInstance, CreateAxiosDefaults } from 'axios';
import axios, { isAxiosError } from 'axios';
import axiosRetry, { exponentialDelay } from 'axios-retry';
import * as rax from 'retry-axios';
import { attachRetry, getRetryState } from '../lib/index.js';
import { environment, median, message, rotate, table, writeSection } from './common.js';

/** R and B can be changed with RATELIMIT_RATE and RATELIMIT_BURST (the server is told them). */
export const SCENARIO = {
  callers: 200,
  rate: Number(process.env.RATELIMIT_RATE ?? 200),
  burst: Number(process.env.RATELIMIT_BURST ?? 20),
};

type Mode = 'standard' | 'reset-only' | 'ratelimit-only';
const MODES: readonly { mode: Mode; says: string }[] = [
  {
    mode: 'standard',
    says: '429 with `Retry-After` (whole seconds, at least 1), `RateLimit: "default";r=0;t=<s>` and `RateLimit-Policy`',
  },
  { mode: 'reset-only', says: '429 with only `x-ratelimit-remaining: 0` and `x-ratelimit-reset` (Unix seconds, ceil)' },
  { mode: 'ratelimit-only', says: '429 with only `RateLimit: "default";r=0;t=<s>` (whole seconds, at least 1)' },
];

interface Client {
  name: string;
  build: (defaults: CreateAxiosDefaults) => AxiosInstance;
}

export const CLIENTS: readonly Client[] = [
  {
    name: 'axios-rebound (defaults, retries 10)',
    build: (defaults) => {
      const api = axios.create(defaults);
      attachRetry(api, { retries: 10 });
      return api;
    },
  },
  {
    name: 'axios-rebound, cooldown off',
    // The cast keeps this compiling while the `cooldown` option is still being settled in lib/.
    build: (defaults) => {
      const api = axios.create(defaults);
      attachRetry(api, { retries: 10, cooldown: false } as never);
      return api;
    },
  },
  {
    name: 'axios-retry (exponentialDelay, retries 10)',
    build: (defaults) => {
      const api = axios.create(defaults);
      axiosRetry(api, {
        retries: 10,
        retryDelay: exponentialDelay,
        retryCondition: (error) => error.response?.status === 429,
      });
      return api;
    },
  },
  {
    name: 'retry-axios (retry 10)',
    build: (defaults) => {
      const api = axios.create(defaults);
      api.defaults.raxConfig = {
        retry: 10,
        statusCodesToRetry: [
          [429, 429],
          [500, 599],
        ],
      };
      rax.attach(api);
      return api;
    },
  },
  { name: 'bare axios (no retries)', build: (defaults) => axios.create(defaults) },
];

interface RateLimitRun {
  succeeded: number;
  failed: number;
  /** Failed calls by why: axios-rebound's stop reason, else the status given up on, or `cap`. */
  why: Record<string, number>;
  /** 429s the server sent. */
  limited: number;
  seconds: number;
  /** The run hit its time cap: calls still waiting were abandoned and count as failed. */
  capped: boolean;
}

/** Why a call failed: axios-rebound's stop reason, else the status (or code) the client gave up on. */
function why(error: unknown): string {
  const stop = getRetryState(error)?.stopReason;
  if (stop) return stop;
  if (isAxiosError(error)) return error.response ? String(error.response.status) : (error.code ?? 'error');
  return 'error';
}

/** Settles when `signal` aborts; never rejects. */
const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));

export async function runOnce(mode: Mode, client: Client, perCaller: number, capMs: number): Promise<RateLimitRun> {
  const args = ['--mode', mode, '--rate', String(SCENARIO.rate), '--burst', String(SCENARIO.burst)];
  // Plain JavaScript: the child needs none of the parent's flags (tsx, --expose-gc).
  const child = fork(new URL('./ratelimit-server.mjs', import.meta.url), args, { execArgv: [] });
  const port = await message<number>(child, 'port');
  const agent = new http.Agent({ keepAlive: true });
  const api = client.build({ baseURL: `http://127.0.0.1:${port}`, httpAgent: agent });
  const stop = new AbortController();
  const cap = setTimeout(() => stop.abort(), capMs);
  const abandoned = aborted(stop.signal);
  let succeeded = 0;
  const failures: Record<string, number> = {};
  const count = (reason: string, n = 1) => {
    if (n > 0) failures[reason] = (failures[reason] ?? 0) + n;
  };
  const caller = async () => {
    // A signal per caller: a client that left a listener behind per call would show up as
    // Node's MaxListenersExceededWarning, which 200 concurrent calls on one signal would drown.
    const own = new AbortController();
    stop.signal.addEventListener('abort', () => own.abort(), { once: true });
    for (let i = 0; i < perCaller && !own.signal.aborted; i++) {
      // The race ends the call at the cap even in a client that does not watch the signal
      // while it sleeps (retry-axios); its timer then runs out in the background.
      const failure = await Promise.race([
        api.get('/item', { signal: own.signal }).then(() => undefined, why),
        abandoned.then(() => 'cap'),
      ]);
      if (failure === undefined) succeeded += 1;
      else count(stop.signal.aborted ? 'cap' : failure);
    }
  };
  setMaxListeners(SCENARIO.callers + 1, stop.signal);
  const started = performance.now();
  await Promise.all(Array.from({ length: SCENARIO.callers }, caller));
  const seconds = (performance.now() - started) / 1000;
  const capped = stop.signal.aborted;
  clearTimeout(cap);
  stop.abort();
  child.send({ report: true });
  const counts = await message<{ ok: number; limited: number }>(child, 'counts');
  child.send({ exit: true });
  await once(child, 'exit');
  agent.destroy();
  const failed = SCENARIO.callers * perCaller - succeeded;
  // Calls never started because the cap came first.
  count('cap', failed - Object.values(failures).reduce((a, b) => a + b, 0));
  return { succeeded, failed, why: failures, limited: counts.limited, seconds, capped };
}

/** Failed calls and why, e.g. `280 (budget)` or `172 (cap 150, 429 22)`: medians over rounds. */
function failedWhy(runs: readonly RateLimitRun[]): string {
  const failed = Math.round(median(runs.map((r) => r.failed)));
  const reasons = [...new Set(runs.flatMap((r) => Object.keys(r.why)))]
    .map((reason) => [reason, Math.round(median(runs.map((r) => r.why[reason] ?? 0)))] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  if (failed === 0 || reasons.length === 0) return String(failed);
  if (reasons.length === 1) return `${failed} (${reasons[0]?.[0]})`;
  return `${failed} (${reasons.map(([reason, n]) => `${reason} ${n}`).join(', ')})`;
}

/** The figures of one client in one mode: medians over rounds. */
function summarize(runs: readonly RateLimitRun[], capMs: number): (string | number)[] {
  const m = (f: (r: RateLimitRun) => number) => median(runs.map(f));
  const perSuccess = m((r) => (r.succeeded ? r.limited / r.succeeded : NaN));
  const seconds = m((r) => r.seconds);
  return [
    Number.isNaN(perSuccess) ? '– (none succeeded)' : perSuccess.toFixed(2),
    `${(m((r) => r.succeeded / r.seconds / SCENARIO.rate) * 100).toFixed(0)} %`,
    runs.some((r) => r.capped) ? `${seconds.toFixed(1)} (cap ${capMs / 1000} s hit)` : seconds.toFixed(1),
    failedWhy(runs),
  ];
}

export const RATELIMIT_HEADER = [
  'client',
  '429s per success',
  'throughput ÷ R',
  'seconds to finish',
  'failed calls (why)',
];

export async function ratelimit(options: { rounds: number; perCaller: number; capMs: number }): Promise<string> {
  const sections: string[] = [];
  for (const { mode, says } of MODES) {
    const runs = new Map<string, RateLimitRun[]>(CLIENTS.map((c) => [c.name, []]));
    for (let round = 0; round < options.rounds; round++) {
      for (const client of rotate(CLIENTS, round)) {
        runs.get(client.name)?.push(await runOnce(mode, client, options.perCaller, options.capMs));
        process.stderr.write('.');
      }
    }
    const rows = CLIENTS.map((c) => [c.name, ...summarize(runs.get(c.name) ?? [], options.capMs)]);
    sections.push(`### ${mode}: ${says}\n\n${table(RATELIMIT_HEADER, rows)}`);
  }
  const calls = SCENARIO.callers * options.perCaller;
  const body = [
    `Command: \`npm run bench -- ratelimit\` (${options.rounds === 1 ? 'one round' : `${options.rounds} interleaved rounds; medians`}). ${SCENARIO.callers} callers in one process, each making ${options.perCaller} sequential GETs (${calls} calls), against a token bucket (child process, R = ${SCENARIO.rate} requests/s, burst ${SCENARIO.burst}, 429 when empty; a fresh server per run). A 200 carries the mode's quota headers too (r or remaining = tokens left); Retry-After comes only with a 429. The first wave (every caller at once, into a burst of ${SCENARIO.burst}) gets ${SCENARIO.callers - SCENARIO.burst} 429s before any client can know the limit: ${((SCENARIO.callers - SCENARIO.burst) / calls).toFixed(3)} per success of the ${calls} calls, whatever the client. Throughput ÷ R is successes per second of the run over R (the burst lets a short run exceed 100 %). Calls still unsettled after ${options.capMs / 1000} s are abandoned and count as failed (why: \`cap\`); otherwise why is axios-rebound's stop reason, or the status the client gave up on. Clients: axios-rebound \`{ retries: 10 }\` (maxRetryAfter and the rest at their defaults), and with \`cooldown: false\`; axios-retry \`{ retries: 10, retryDelay: exponentialDelay, retryCondition: 429 }\`; retry-axios \`{ retry: 10, statusCodesToRetry: [[429, 429], [500, 599]] }\`. ${environment()}.`,
    ...sections,
  ].join('\n\n');
  writeSection('7. Against a rate limiter (429)', body);
  return body;
}
