/**
 * Step 8: a test suite's worth of retries. 100 calls, one after the other, each failing three
 * times (503, 503, 503, then 200, from an in-memory adapter: no network) under the default
 * delays (exponential from 200 ms, full jitter), in test mode (axios-rebound/testing). The
 * baseline is what the same calls wait in real time: computed from the defaults (up to
 * 200 + 400 + 800 = 1400 ms a call, 700 ms on average with full jitter) and measured on a few
 * real calls, extrapolated to 100.
 */
import type { AxiosAdapter, AxiosResponse } from 'axios';
import axios, { AxiosError, AxiosHeaders } from 'axios';
import type { RetryState } from '../lib/index.js';
import { attachRetry, DEFAULTS, getRetryState } from '../lib/index.js';
import { useTestMode } from '../lib/testing/index.js';
import { environment, median, table, writeSection } from './common.js';

const CALLS = 100;
const REAL_CALLS = 5;

/** 503 three times, then 200, settled as axios settles a response. */
function flakyThrice(): AxiosAdapter {
  let sent = 0;
  return async (config) => {
    sent += 1;
    const response: AxiosResponse = {
      data: '',
      status: sent > 3 ? 200 : 503,
      statusText: '',
      headers: new AxiosHeaders(),
      config,
    };
    if (response.status === 200) return response;
    throw new AxiosError(
      'Request failed with status code 503',
      AxiosError.ERR_BAD_RESPONSE,
      config,
      undefined,
      response,
    );
  };
}

/** Runs `calls` calls one after the other; real ms, and the ms of delays they waited or would have. */
async function suite(calls: number): Promise<{ ms: number; delayMs: number }> {
  let delayMs = 0;
  const started = performance.now();
  for (let i = 0; i < calls; i++) {
    const api = axios.create({ adapter: flakyThrice() });
    // Default delays; no budget, which would (rightly) refuse 300 retries for 100 requests.
    attachRetry(api, { budget: false });
    const response = await api.get('/x');
    const state = getRetryState(response) as RetryState;
    if (state.attempt !== 4) throw new Error(`expected 4 attempts, got ${state.attempt}`);
    delayMs += state.history.reduce((sum, record) => sum + (record.delayMs ?? 0), 0);
  }
  return { ms: performance.now() - started, delayMs };
}

export async function testmode(options: { rounds: number }): Promise<string> {
  const { baseDelay, factor } = DEFAULTS;
  const ceiling = baseDelay * (1 + factor + factor * factor);
  const runs: { ms: number; delayMs: number }[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const undo = useTestMode({ delays: 'skip' });
    try {
      runs.push(await suite(CALLS));
    } finally {
      undo();
    }
  }
  const real = await suite(REAL_CALLS);
  const testMs = median(runs.map((run) => run.ms));
  const skipped = median(runs.map((run) => run.delayMs)) / 1000;
  const extrapolated = (real.ms / REAL_CALLS) * CALLS;
  const body = [
    `${CALLS} calls, one after the other, each 503 ×3 then 200 (in-memory adapter), default delays; ` +
      `median of ${options.rounds} rounds in test mode; ${REAL_CALLS} calls in real time, extrapolated. ${environment()}.`,
    '',
    table(
      ['', `${CALLS} calls (real time)`, 'delays recorded in getRetryState', 'vs test mode'],
      [
        ['test mode (useTestMode)', `${(testMs / 1000).toFixed(3)} s`, `${skipped.toFixed(1)} s (skipped)`, '1×'],
        [
          `real time, measured (${REAL_CALLS} calls × ${CALLS / REAL_CALLS})`,
          `${(extrapolated / 1000).toFixed(1)} s`,
          `${(((real.delayMs / REAL_CALLS) * CALLS) / 1000).toFixed(1)} s`,
          `${Math.round(extrapolated / testMs)}×`,
        ],
        [
          'real time, computed: mean with full jitter',
          `${(((ceiling / 2) * CALLS) / 1000).toFixed(1)} s`,
          '',
          `${Math.round(((ceiling / 2) * CALLS) / testMs)}×`,
        ],
        [
          'real time, computed: without jitter (the ceiling)',
          `${((ceiling * CALLS) / 1000).toFixed(1)} s`,
          '',
          `${Math.round((ceiling * CALLS) / testMs)}×`,
        ],
      ],
    ),
  ].join('\n');
  writeSection('Test mode: 100 calls that each retry 3 times (npm run bench -- testmode)', body);
  return body;
}
