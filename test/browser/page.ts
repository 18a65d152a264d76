/**
 * Bundled by esbuild for the browser test: axios (its browser build) and axios-rebound, with
 * scenarios the test calls through `window.scenarios`. Each returns plain data.
 */
import type { AxiosResponse } from 'axios';
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

/** What an adapter reported, outermost first: each link of the cause chain's name, code and message. */
function causes(error: unknown) {
  const chain: { name?: string; code?: string; message?: string }[] = [];
  for (let link = error; typeof link === 'object' && link !== null && chain.length < 8; link = (link as Error).cause) {
    const { name, code, message } = link as { name?: unknown; code?: unknown; message?: unknown };
    chain.push({
      ...(typeof name === 'string' ? { name } : {}),
      ...(typeof code === 'string' ? { code } : {}),
      ...(typeof message === 'string' ? { message } : {}),
    });
  }
  return chain;
}

/**
 * A call's outcome as plain data: the response's status, or the error and its causes; `retried`
 * holds the causes of each attempt that was retried, as `onRetry` saw them.
 */
async function settled(call: Promise<AxiosResponse>, retried: ReturnType<typeof causes>[]) {
  try {
    const response = await call;
    return { ok: true, status: response.status, retried, state: story(response) };
  } catch (error) {
    return { ok: false, causes: causes(error), retried, state: story(error) };
  }
}

/**
 * How a fault scenario calls: `retries` and `attemptTimeout` for the client, a keyless POST or a
 * GET; `warm`, a path to GET first (not retried, not reported) so that an idle connection waits.
 */
export interface FaultPlan {
  retries: number;
  attemptTimeout?: number;
  post?: boolean;
  warm?: string;
  /** Read the body under an `onDownloadProgress` listener (the fetch adapter then streams it). */
  read?: 'progress';
}

const scenarios = {
  /** A call to `path` that meets a failure of the server's making, or a port nothing listens on. */
  async fault(adapter: Adapter, base: string, path: string, plan: FaultPlan) {
    const { retries, attemptTimeout, post, warm, read } = plan;
    if (warm !== undefined) await axios.get(warm, { baseURL: base, adapter });
    const retried: ReturnType<typeof causes>[] = [];
    const api = client(adapter, base, {
      retries,
      ...(attemptTimeout === undefined ? {} : { attemptTimeout }),
      onRetry: ({ error }) => {
        retried.push(causes(error));
      },
    });
    const config = read === 'progress' ? { onDownloadProgress: () => {} } : {};
    return settled(post ? api.post(path, { amount: 5 }, config) : api.get(path, config), retried);
  },

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
