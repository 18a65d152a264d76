import type { AxiosInstance, InternalAxiosRequestConfig } from 'axios';
import axios, { isCancel } from 'axios';
import { expect } from 'chai';
import nock from 'nock';
import type sinon from 'sinon';
import type { RetryOptions } from '../../lib/index.js';
import { attachRetry, getRetryState } from '../../lib/index.js';
import { fakeClock, ORIGIN, outcome, until } from '../helpers.js';
import type { TestServer } from '../server.js';
import { itLeakFree, startServer } from '../server.js';

/** An instance whose request interceptor `later` is registered before attachRetry: it runs after ours, on every attempt. */
function withLaterInterceptor(
  later: (config: InternalAxiosRequestConfig) => InternalAxiosRequestConfig,
  options: Partial<RetryOptions>,
  baseURL = ORIGIN,
): AxiosInstance {
  const api = axios.create({ baseURL });
  api.interceptors.request.use(later);
  attachRetry(api, { baseDelay: 0, budget: false, ...options });
  return api;
}

/** GET requests to ORIGIN answer `statuses` in order; each request's path and headers are noted. */
function script(...statuses: number[]): { path: string; headers: Record<string, unknown> }[] {
  const seen: { path: string; headers: Record<string, unknown> }[] = [];
  for (const status of statuses) {
    nock(ORIGIN)
      .get(() => true)
      .reply(function (path) {
        seen.push({ path, headers: { ...this.req.headers } });
        return [status, 'null', { 'Content-Type': 'application/json' }];
      });
  }
  return seen;
}

/** The outcome of a call that must settle within a bounded real time. */
async function settled<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  let result: { value?: T; error?: unknown } | undefined;
  void outcome(promise).then((r) => (result = r));
  await until(() => result !== undefined);
  return result ?? {};
}

/** Without options (the lightest path) and with a per-attempt timer (the tracked path). */
const PATHS: [string, Partial<RetryOptions>][] = [
  ['without options', {}],
  ['with attemptTimeout', { attemptTimeout: 30_000 }],
];

describe('hostile review: request interceptors registered before attachRetry (they run after ours)', () => {
  let server: TestServer | undefined;
  itLeakFree(
    'An interceptor that sets config.signal to a signal of its own cancels the call when that signal aborts, even with attemptTimeout set.',
    async () => {
      server = await startServer(() => {});
      const logout = new AbortController();
      const later = (config: InternalAxiosRequestConfig) => {
        config.signal = logout.signal;
        return config;
      };
      const call = withLaterInterceptor(later, { attemptTimeout: 30_000 }, server.url).get('/x');
      await until(() => server?.hits() === 1);
      logout.abort();
      expect(isCancel((await settled(call)).error)).to.equal(true);
    },
    async () => {
      await server?.close();
      server = undefined;
    },
  );

  for (const [name, options] of PATHS) {
    it(`An interceptor that appends to the URL and the base URL still sends every attempt to the same URL (${name}).`, async () => {
      const seen = script(503, 503, 503);
      const later = (config: InternalAxiosRequestConfig) => {
        config.url = `${config.url}${config.url?.includes('?') ? '&' : '?'}api_key=k`;
        config.baseURL = `${config.baseURL}/v2`;
        return config;
      };
      const { error } = await outcome(withLaterInterceptor(later, { ...options, retries: 2 }).get('/users'));
      expect(getRetryState(error)?.stopReason).to.equal('retries-exhausted');
      expect(seen.map((s) => s.path)).to.deep.equal(Array(3).fill('/v2/users?api_key=k'));
    });

    it(`An interceptor that appends a hop and sets a token when absent gives each attempt one hop and the fresh token (${name}).`, async () => {
      const seen = script(503, 200);
      let token = 'old';
      const later = (config: InternalAxiosRequestConfig) => {
        config.headers.set('X-Hops', [config.headers.get('X-Hops'), 'hop'].filter(Boolean).join(','));
        if (!config.headers.has('Authorization')) config.headers.set('Authorization', `Bearer ${token}`);
        token = 'new'; // refreshed while the first attempt was in flight
        return config;
      };
      expect((await withLaterInterceptor(later, options).get('/x')).status).to.equal(200);
      expect(seen.map((s) => [s.headers['x-hops'], s.headers.authorization])).to.deep.equal([
        ['hop', 'Bearer old'],
        ['hop', 'Bearer new'],
      ]);
    });
  }
});

describe('hostile review: response interceptors and shared tokens', () => {
  it('A response interceptor before ours that unwraps a JSON null body still resolves the call after a retry.', async () => {
    script(503, 200);
    const api = axios.create({ baseURL: ORIGIN });
    api.interceptors.response.use((response) => response.data);
    const handle = attachRetry(api, { baseDelay: 0 });
    const { value, error } = await outcome(api.get('/x'));
    expect(error).to.equal(undefined);
    expect(value).to.equal(null);
    expect(handle.stats()).to.include({ requests: 1, successes: 1, attempts: 2 });
  });

  it("A request interceptor after ours that mirrors each request to another attached instance leaves the call's attempts its own.", async () => {
    const hits = { main: 0, mirror: 0 };
    nock(ORIGIN)
      .get('/x')
      .times(10)
      .reply(() => [503, String(++hits.main)])
      .get('/mirror/x')
      .times(10)
      .reply(() => [503, String(++hits.mirror)]);
    const mirror = axios.create({ baseURL: ORIGIN });
    const mirrorHandle = attachRetry(mirror, { retries: 0 });
    const api = axios.create({ baseURL: ORIGIN });
    const handle = attachRetry(api, { retries: 2, baseDelay: 0, budget: false });
    const mirrored: Promise<unknown>[] = [];
    api.interceptors.request.use((config) => {
      mirrored.push(mirror.request({ ...config, url: `/mirror${config.url}` }).catch(() => {}));
      return config;
    });
    const { error } = await outcome(api.get('/x'));
    await Promise.all(mirrored);
    expect(getRetryState(error)).to.include({ attempt: 3, stopReason: 'retries-exhausted' });
    expect(getRetryState(error)?.history).to.have.length(3);
    expect(hits).to.deep.equal({ main: 3, mirror: 3 });
    expect(handle.stats()).to.include({ requests: 1, attempts: 3 });
    expect(mirrorHandle.stats()).to.include({ requests: 3, attempts: 3 });
  });

  describe('two calls sharing a CancelToken, cancelled', () => {
    let clock: sinon.SinonFakeTimers;
    beforeEach(() => {
      clock = fakeClock();
    });
    afterEach(() => clock.restore());

    /** Both calls get `reply` for their first attempt; the token is cancelled once `ready()` holds. */
    async function cancelBoth(reply: () => void, ready: () => boolean) {
      const api = axios.create({ baseURL: ORIGIN });
      attachRetry(api, { baseDelay: 100, jitter: 'none' });
      reply();
      const source = axios.CancelToken.source();
      const calls = [api.get('/a', { cancelToken: source.token }), api.get('/b', { cancelToken: source.token })];
      await until(ready);
      source.cancel('user left');
      const errors = await Promise.all(calls.map(async (call) => (await settled(call)).error));
      expect(errors[0]).to.not.equal(errors[1]);
      for (const error of errors) {
        expect(isCancel(error)).to.equal(true);
        expect(error).to.not.equal(source.token.reason);
        expect(error).to.have.property('message', 'user left');
        expect(getRetryState(error)?.stopReason).to.equal('aborted');
      }
    }

    it('During the wait, each call rejects with a CanceledError of its own and says it was aborted.', async () => {
      await cancelBoth(
        () =>
          nock(ORIGIN)
            .get(/\/[ab]/)
            .times(2)
            .reply(503),
        () => clock.countTimers() === 2,
      );
    });

    it('During the first attempt, each call rejects with a CanceledError of its own and says it was aborted.', async () => {
      let inFlight = 0;
      await cancelBoth(
        () =>
          nock(ORIGIN)
            .get(/\/[ab]/)
            .times(2)
            .reply(() => {
              inFlight += 1;
              return new Promise<nock.ReplyFnResult>(() => {});
            }),
        () => inFlight === 2,
      );
    });
  });
});
