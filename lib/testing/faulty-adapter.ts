import type { AxiosAdapter, AxiosRequestConfig, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import axios, { AxiosError, CanceledError } from 'axios';
import type { FaultOptions } from './fault-options.js';
import { checked } from './fault-options.js';
import { mulberry32 } from './random.js';

/** A failure the adapter made up: the request's number (from 1), and the status or code it got. */
export type InjectedFault =
  | { readonly request: number; readonly status: number }
  | { readonly request: number; readonly code: string };

/** @category Testing */
export interface FaultyAdapter extends AxiosAdapter {
  /** The seed in use: log it, and pass it back to replay a failing run. */
  readonly seed: number;
  /** The requests the adapter has been given. */
  readonly requests: number;
  /** The faults injected, oldest first; the last 1000 are kept. */
  readonly injected: readonly InjectedFault[];
}

const MAX_LOG = 1000;

/**
 * An adapter for tests and staging that fails a share of requests before sending them, drawn
 * from a seeded generator so that a failing scenario replays exactly (the same seed and the
 * same order of requests, the same faults). A failure is a response with one of `statuses`,
 * settled as axios settles a real one (an AxiosError with the `response`, unless
 * `validateStatus` accepts it), or a network error with one of `codes`; either way the request
 * is never sent. Every other request goes to `base` (default: axios's own adapter, chosen as
 * axios chooses it). Three numbers are drawn per request, whatever the options, so changing
 * `latencyMs` or the statuses does not move which requests fail.
 * @category Testing
 */
export function faultyAdapter(
  base?: AxiosRequestConfig['adapter'],
  options: Partial<FaultOptions> = {},
): FaultyAdapter {
  const { rate, statuses, codes, latencyMs, retryAfter, seed } = checked(options);
  const random = mulberry32(seed);
  const faults: ({ status: number } | { code: string })[] = [
    ...statuses.map((status) => ({ status })),
    ...codes.map((code) => ({ code })),
  ];
  const [minMs, maxMs] = typeof latencyMs === 'number' ? [latencyMs, latencyMs] : latencyMs;
  let requests = 0;
  const injected: InjectedFault[] = [];
  const adapter = async (config: InternalAxiosRequestConfig): Promise<AxiosResponse> => {
    requests += 1;
    const request = requests;
    const [fails, which, delay] = [random(), random(), random()];
    const fault = fails < rate ? faults[Math.floor(which * faults.length)] : undefined;
    await latency(minMs + delay * (maxMs - minMs), config);
    if (!fault) {
      const getAdapter = axios.getAdapter as (adapters: unknown, config?: unknown) => AxiosAdapter;
      return getAdapter(base ?? axios.defaults.adapter, config)(config);
    }
    injected.push({ request, ...fault });
    if (injected.length > MAX_LOG) injected.shift();
    return 'code' in fault ? networkError(fault.code, config) : settle(fault.status, retryAfter, config);
  };
  return Object.defineProperties(adapter, {
    seed: { value: seed, enumerable: true },
    requests: { get: () => requests, enumerable: true },
    injected: { get: () => injected.slice(), enumerable: true },
  }) as FaultyAdapter;
}

/** Waits `ms` (none for 0); rejects as axios's adapters do, with a CanceledError, if the request is cancelled. */
/** A cancel token as every axios 1.x has it (the types of axios before 1.8 lack `subscribe`). */
interface TokenLike {
  reason?: unknown;
  subscribe(listener: () => void): void;
  unsubscribe(listener: () => void): void;
}

function latency(ms: number, config: InternalAxiosRequestConfig): Promise<void> {
  const { signal } = config;
  const cancelToken = config.cancelToken as TokenLike | undefined;
  const canceled = () => new CanceledError(undefined, undefined, config);
  if (signal?.aborted || cancelToken?.reason) return Promise.reject(canceled());
  if (ms <= 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const onCancel = () => {
      clearTimeout(timer);
      done();
      reject(canceled());
    };
    const done = () => {
      signal?.removeEventListener?.('abort', onCancel);
      cancelToken?.unsubscribe(onCancel);
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    signal?.addEventListener?.('abort', onCancel);
    cancelToken?.subscribe(onCancel);
  });
}

/** A response with `status`, settled as axios's `settle` does. */
function settle(
  status: number,
  retryAfter: number | string | undefined,
  config: InternalAxiosRequestConfig,
): Promise<AxiosResponse> {
  // Plain: an AxiosHeaders of our copy of axios is lost on an instance of another copy (attempt.ts).
  const headers = retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };
  const response: AxiosResponse = { data: '', status, statusText: 'Injected by faultyAdapter', headers, config };
  const { validateStatus } = config;
  if (!validateStatus || validateStatus(status)) return Promise.resolve(response);
  const code = status >= 500 ? AxiosError.ERR_BAD_RESPONSE : AxiosError.ERR_BAD_REQUEST;
  return Promise.reject(new AxiosError(`Request failed with status code ${status}`, code, config, undefined, response));
}

/** A network failure with `code`, made as the http adapter makes one from a system error (the code also in `cause`). */
function networkError(code: string, config: InternalAxiosRequestConfig): Promise<never> {
  const cause = Object.assign(new Error(`${code} (injected by faultyAdapter)`), { code });
  // As AxiosError.from makes it (whose types axios's CommonJS declarations before 1.8 lack).
  return Promise.reject(Object.assign(new AxiosError(cause.message, code, config), { cause }));
}
