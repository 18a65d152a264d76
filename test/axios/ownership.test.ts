import type { AxiosInstance } from 'axios';
import axios, { AxiosError, isCancel } from 'axios';
import { expect } from 'chai';
import nock from 'nock';
import type { CircuitTransition, RetryOptions, RetryStats } from '../../lib/index.js';
import { attachRetry, CircuitBreaker, getRetryState, retry, withRetry } from '../../lib/index.js';
import { ORIGIN, outcome, until } from '../helpers.js';
import type { TestServer } from '../server.js';
import { itLeakFree, startServer } from '../server.js';

/** Our observer warnings, from process 'warning' events (emitted on the next tick). */
const warned: Error[] = [];
const onWarning = (warning: Error & { code?: string }) => {
  if (warning.code === 'AXIOS_REBOUND_OBSERVER_FAILED') warned.push(warning);
};
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** An instance whose own interceptors come first: its request ones then run after ours, its response ones before. */
function instance(baseURL: string, before: (api: AxiosInstance) => unknown, options: Partial<RetryOptions>) {
  const api = axios.create({ baseURL });
  before(api);
  return { api, handle: attachRetry(api, { baseDelay: 1, jitter: 'none', budget: false, ...options }) };
}
const none = () => {};
/** A request interceptor that throws `error` whenever `when()` says so. */
const throwingRequests = (when: () => boolean, error: Error) => (api: AxiosInstance) =>
  api.interceptors.request.use((config) => {
    if (when()) throw error;
    return config;
  });
/** A response interceptor that replaces every error with one of its own: no config, no cause. */
const wrapping = (api: AxiosInstance) =>
  api.interceptors.response.use(undefined, () => {
    throw new Error('wrapped');
  });

/** The outcome of a call that must settle within `ms` of real time. */
async function within<T>(promise: Promise<T>, ms = 3000): Promise<{ value?: T; error?: unknown }> {
  let result: { value?: T; error?: unknown } | undefined;
  void outcome(promise).then((r) => (result = r));
  await until(() => result !== undefined, ms);
  return result ?? {};
}
const counts = ({ requests, successes, failures, giveUps }: RetryStats) => ({ requests, successes, failures, giveUps });
const statusOf = (error: unknown) => (error as AxiosError).response?.status;

let server: TestServer | undefined;
/** A real server answering request `n` with `status(n)`, or never when that is undefined. */
async function serve(status: (n: number) => number | undefined): Promise<string> {
  server = await startServer((n, _req, res) => {
    const code = status(n);
    if (code === undefined) return;
    res.statusCode = code;
    res.end();
  });
  return server.url;
}
const real = (title: string, body: () => Promise<void>) =>
  itLeakFree(title, body, async () => {
    await server?.close();
    server = undefined;
  });
const hits = () => server?.hits() ?? 0;

describe('an attempt that begins always ends', () => {
  let now = 0;
  const breaker = () => new CircuitBreaker({ failureThreshold: 1, openMs: 1000, now: () => now });
  beforeEach(() => {
    now = 0;
    warned.length = 0;
    process.on('warning', onWarning);
  });
  afterEach(() => process.off('warning', onWarning));

  real('A request interceptor that throws on the first attempt or on the replay leaves no timer behind.', async () => {
    const url = await serve((n) => (n === 1 ? 503 : 200));
    for (const throwOn of [1, 2]) {
      const boom = new Error(`signing failed on pass ${throwOn}`);
      let pass = 0;
      const { api } = instance(
        url,
        throwingRequests(() => ++pass === throwOn, boom),
        { attemptTimeout: 30_000 },
      );
      expect((await outcome(api.get('/x'))).error).to.equal(boom);
    }
  });

  real('A response interceptor that replaces every error leaves no timer behind, and the stats add up.', async () => {
    const { api, handle } = instance(await serve(() => 503), wrapping, { attemptTimeout: 30_000, retries: 2 });
    expect((await outcome(api.get('/x'))).error).to.have.property('message', 'wrapped');
    const { requests, successes, failures } = handle.stats();
    expect(requests).to.equal(successes + failures);
  });

  it('A half-open probe killed by a request interceptor that throws leaves the probe slot free.', async () => {
    let kill = false;
    const killing = throwingRequests(() => kill, new Error('token refresh failed'));
    const { api } = instance(ORIGIN, killing, { retries: 0, circuitBreaker: breaker() });
    nock(ORIGIN).get('/x').reply(503).get('/x').times(2).reply(200);
    expect(statusOf((await outcome(api.get('/x'))).error)).to.equal(503);
    now = 1000;
    kill = true;
    expect((await outcome(api.get('/x'))).error).to.have.property('message', 'token refresh failed');
    kill = false;
    expect((await api.get('/x')).status).to.equal(200);
    expect((await api.get('/x')).status).to.equal(200);
  });

  it('A half-open probe whose error a response interceptor replaces still reopens the circuit, then closes it.', async () => {
    const { api, handle } = instance(ORIGIN, wrapping, { retries: 0, circuitBreaker: breaker() });
    nock(ORIGIN).get('/x').times(2).reply(503).get('/x').reply(200);
    expect((await outcome(api.get('/x'))).error).to.have.property('message', 'wrapped');
    now = 1000;
    expect((await outcome(api.get('/x'))).error).to.have.property('message', 'wrapped');
    expect(handle.stats().circuits[ORIGIN]).to.include({ state: 'open' });
    now = 3000;
    expect((await api.get('/x')).status).to.equal(200);
    expect(handle.stats().circuits).to.deep.equal({});
  });

  /** A state-change observer that throws every time, and the moves it saw. */
  const throwingObserver = () => {
    const moves: string[] = [];
    const hook = ({ from, to }: CircuitTransition) => {
      moves.push(`${from}->${to}`);
      throw new Error('dashboard down');
    };
    return { moves, policy: { retries: 0, baseDelay: 0, budget: false, onCircuitStateChange: hook } as const };
  };
  const cycle = ['closed->open', 'open->half-open', 'half-open->closed'];

  it('An onCircuitStateChange that throws changes no outcome, and the circuit opens, half-opens and closes.', async () => {
    const { moves, policy } = throwingObserver();
    const { api } = instance(ORIGIN, none, { ...policy, circuitBreaker: breaker() });
    nock(ORIGIN).get('/x').reply(503).get('/x').reply(200);
    expect(statusOf((await outcome(api.get('/x'))).error)).to.equal(503);
    now = 1000;
    expect((await api.get('/x')).status).to.equal(200);
    expect(moves).to.deep.equal(cycle);
    await tick();
    expect(warned).to.have.length(1);
  });

  it('Under retry(fn) and withRetry, an onCircuitStateChange that throws changes no outcome either.', async () => {
    const { moves, policy } = throwingObserver();
    const down = () => Promise.reject(new Error('down'));
    const shared = breaker();
    const first = await outcome(retry(down, { ...policy, circuitBreaker: shared }));
    expect(first.error).to.have.property('message', 'down');
    now = 1000;
    expect(await retry(() => 'up', { ...policy, circuitBreaker: shared })).to.equal('up');
    const call = withRetry((up: boolean) => (up ? 'up' : down()), { ...policy, circuitBreaker: breaker() });
    expect((await outcome(call(false))).error).to.have.property('message', 'down');
    now = 2000;
    expect(await call(true)).to.equal('up');
    expect(moves).to.deep.equal([...cycle, ...cycle]);
    await tick();
    expect(warned).to.have.length(1);
  });

  const boom = new Error('hook failed');
  const throwing = () => {
    throw boom;
  };
  const hooks = [{ onRetry: throwing }, { shouldRetry: throwing }];
  const hookError = { requests: 1, successes: 0, failures: 1, giveUps: { 'hook-error': 1 } };

  it('An onRetry or a shouldRetry that throws fails the call with its error, counted once as a hook-error.', async () => {
    for (const hook of hooks) {
      const { api, handle } = instance(ORIGIN, none, hook);
      nock(ORIGIN).get('/x').reply(503);
      expect((await outcome(api.get('/x'))).error).to.equal(boom);
      expect(counts(handle.stats())).to.deep.equal(hookError);
      expect(getRetryState(boom)?.stopReason).to.equal('hook-error');
    }
  });

  it('Under withRetry, an onRetry or a shouldRetry that throws is counted once as a hook-error.', async () => {
    for (const hook of hooks) {
      const call = withRetry(() => Promise.reject(new Error('down')), { ...hook, baseDelay: 0, budget: false });
      expect((await outcome(call())).error).to.equal(boom);
      expect(counts(call.stats())).to.deep.equal(hookError);
      expect(getRetryState(boom)?.stopReason).to.equal('hook-error');
    }
  });
});

describe('a request under way finishes under its policy', () => {
  const firstFails = (n: number) => (n === 1 ? 503 : undefined);

  real(
    'After detach() during a backoff wait, the call makes retries + 1 attempts and new calls none more.',
    async () => {
      const controller = new AbortController();
      const options = { retries: 2, baseDelay: 20, onRetry: () => handle.detach() };
      const { api, handle } = instance(await serve(() => 503), none, options);
      let settled = false;
      const call = outcome(api.get('/x', { signal: controller.signal })).finally(() => (settled = true));
      // Bounded, and the runaway call of old cut, so that a failure shows as a count, not a hang.
      await until(() => settled || hits() > 3).finally(() => controller.abort());
      expect(hits()).to.equal(3);
      expect(getRetryState((await call).error)?.stopReason).to.equal('retries-exhausted');
      expect(statusOf((await outcome(api.get('/y'))).error)).to.equal(503);
      expect(hits()).to.equal(4);
    },
  );

  real('A replay sent after detach() still times out at its attemptTimeout.', async () => {
    const options = { retries: 1, attemptTimeout: 200, onRetry: () => handle.detach() };
    const { api, handle } = instance(await serve(firstFails), none, options);
    const { error } = await within(api.get('/x'));
    expect(error).to.be.instanceOf(AxiosError).with.property('message', 'attempt timeout of 200ms exceeded');
    expect(getRetryState(error)).to.include({ attempt: 2, stopReason: 'retries-exhausted' });
  });

  real("The caller's abort cancels a replay sent after detach().", async () => {
    const controller = new AbortController();
    const options = { retries: 1, attemptTimeout: 30_000, onRetry: () => handle.detach() };
    const { api, handle } = instance(await serve(firstFails), none, options);
    const call = within(api.get('/x', { signal: controller.signal }));
    await until(() => hits() === 2);
    controller.abort();
    const { error } = await call;
    expect(isCancel(error)).to.equal(true);
    expect(getRetryState(error)?.stopReason).to.equal('aborted');
  });
});

// A response interceptor registered before attachRetry sits between the adapter and ours. When
// it turns the outcome into something that leads back to no call (an error with no config and
// no cause, a value that is not a response), that call is not ours to see: it is not counted,
// and the counts still add up (README, Stats).
describe("a call hidden by a user's interceptor leaves the counts consistent", () => {
  it('An error replaced with one that has no config and no cause is not counted; the rest add up.', async () => {
    const { api, handle } = instance(ORIGIN, wrapping, {});
    nock(ORIGIN).get('/x').reply(503);
    nock(ORIGIN).get('/y').reply(200);
    await outcome(api.get('/x'));
    await api.get('/y');
    const stats = handle.stats();
    expect(stats).to.include({ requests: 1, successes: 1, failures: 0 });
    expect(stats.requests).to.equal(stats.successes + stats.failures);
  });

  it('A response unwrapped to its data (r => r.data) is not counted; a retried call still is.', async () => {
    const { api, handle } = instance(ORIGIN, (a) => a.interceptors.response.use((r) => r.data), {});
    nock(ORIGIN).get('/x').reply(200, { ok: true });
    nock(ORIGIN).get('/y').reply(503).get('/y').reply(200, { ok: 2 });
    expect(await api.get('/x')).to.deep.equal({ ok: true });
    expect(await api.get('/y')).to.deep.equal({ ok: 2 });
    const stats = handle.stats();
    expect(stats.requests).to.equal(stats.successes + stats.failures);
  });
});
