/**
 * Bundled by esbuild for the browser test: axios (its browser build) and axios-rebound, with
 * scenarios the test calls through `window.scenarios`. Each returns plain data.
 */
import axios, { isCancel } from 'axios';
import { attachRetry, getRetryState } from '../../lib/index.js';

type Adapter = 'xhr' | 'fetch';

function client(adapter: Adapter, base: string, options: Parameters<typeof attachRetry>[1] = {}) {
  const api = axios.create({ baseURL: base, adapter });
  attachRetry(api, { baseDelay: 10, jitter: 'none', ...options });
  return api;
}

const story = (x: unknown) => {
  const state = getRetryState(x);
  return state ? JSON.parse(JSON.stringify(state)) : undefined;
};

const scenarios = {
  async retries(adapter: Adapter, base: string, id: string) {
    const response = await client(adapter, base).get(`/flaky/${id}?fail=2`);
    return { status: response.status, data: response.data, state: story(response) };
  },
  async retryAfter(adapter: Adapter, base: string, id: string) {
    const started = performance.now();
    const response = await client(adapter, base).get(`/flaky/${id}?fail=1&retryAfter=1`);
    return { status: response.status, elapsedMs: performance.now() - started, state: story(response) };
  },
  async idempotencyKey(adapter: Adapter, base: string, id: string) {
    const response = await client(adapter, base, { idempotencyKey: true }).post(`/flaky/${id}?fail=1`, { amount: 5 });
    return { status: response.status, state: story(response) };
  },
  async abort(adapter: Adapter, base: string, id: string) {
    const controller = new AbortController();
    const api = client(adapter, base, {
      baseDelay: 10_000,
      maxDelay: 10_000,
      onRetry: () => {
        setTimeout(() => controller.abort(), 50);
      },
    });
    const started = performance.now();
    try {
      await api.get(`/flaky/${id}?fail=5`, { signal: controller.signal });
      return { canceled: false };
    } catch (error) {
      return { canceled: isCancel(error), elapsedMs: performance.now() - started, state: story(error) };
    }
  },
};

(globalThis as unknown as { scenarios: typeof scenarios }).scenarios = scenarios;
