import type { AxiosError } from 'axios';
import axios, { isCancel } from 'axios';
import { expect } from 'chai';
import nock from 'nock';
import type { Logger } from '../../lib/index.js';
import { attachRetry, CircuitBreaker, getRetryState, retry } from '../../lib/index.js';
import { fakeClock, idle, ORIGIN, outcome } from '../helpers.js';
import type { TestServer } from '../server.js';
import { itLeakFree, startServer } from '../server.js';

/** Findings of the last hostile review, one test each. */
describe('hostile review: the last round', () => {
  describe('a request interceptor that hangs on a replay (real server on 127.0.0.1)', () => {
    let server: TestServer | undefined;
    const real = (title: string, body: () => Promise<void>) =>
      itLeakFree(title, body, async () => {
        await server?.close();
        server = undefined;
      });

    /** An instance whose interceptor (registered before ours, so it runs after) never ends on the 2nd pass. */
    async function hanging(options: Parameters<typeof attachRetry>[1]) {
      server = await startServer((_n, _req, res) => {
        res.statusCode = 503;
        res.end();
      });
      const api = axios.create({ baseURL: server.url });
      let passes = 0;
      api.interceptors.request.use((config) => (++passes === 2 ? new Promise<never>(() => {}) : config));
      const handle = attachRetry(api, { baseDelay: 1, jitter: 'none', ...options });
      return { api, handle, hits: () => server?.hits() ?? 0 };
    }

    real('ends the call at its deadline with the last real error, counted', async () => {
      const { api, handle, hits } = await hanging({ deadline: 200 });
      const { error } = await outcome(api.get('/x'));
      expect((error as AxiosError).response?.status).to.equal(503);
      expect(getRetryState(error)).to.include({ attempt: 1, stopReason: 'deadline' });
      expect(hits()).to.equal(1);
      expect(handle.stats()).to.include({ requests: 1, failures: 1, attempts: 1, retries: 0 });
    });

    real("ends the call at the caller's abort with a CanceledError", async () => {
      const { api } = await hanging({});
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const { error } = await outcome(api.get('/x', { signal: controller.signal }));
      expect(isCancel(error)).to.equal(true);
      expect(getRetryState(error)?.stopReason).to.equal('aborted');
    });
  });

  it('tells the story of the latest call when a config is sent again through another instance', async () => {
    nock(ORIGIN).get('/x').times(2).reply(503).get('/x').reply(200, 'ok');
    const first = axios.create({ baseURL: ORIGIN });
    attachRetry(first, { retries: 1, baseDelay: 0 });
    const failed = await outcome(first.get('/x'));
    expect(getRetryState(failed.error)?.attempt).to.equal(2);
    const second = axios.create({ baseURL: ORIGIN });
    attachRetry(second);
    const response = await second.request((failed.error as AxiosError).config ?? {});
    expect(getRetryState(response)).to.include({ attempt: 1 });
    expect(getRetryState(response)?.stopReason).to.equal(undefined);
  });

  it("counts a fast-path call whose error a user's interceptor wrapped with it as the cause", async () => {
    nock(ORIGIN).get('/x').reply(404);
    const api = axios.create({ baseURL: ORIGIN });
    api.interceptors.response.use(undefined, (error: unknown) => {
      throw new Error('wrapped', { cause: error });
    });
    const handle = attachRetry(api);
    expect(((await outcome(api.get('/x'))).error as Error).message).to.equal('wrapped');
    expect(handle.stats()).to.include({ requests: 1, failures: 1 });
  });

  it('counts a call whose breaker key function throws something that is not an Error', async () => {
    const api = axios.create({ baseURL: ORIGIN });
    const key = () => {
      throw 'no key';
    };
    const handle = attachRetry(api, { circuitBreaker: new CircuitBreaker({ key }) });
    expect((await outcome(api.get('/x'))).error).to.equal('no key');
    expect(handle.stats()).to.include({ requests: 1, failures: 1 });
    expect(handle.stats().giveUps).to.deep.equal({ 'hook-error': 1 });
  });

  it('lets a logger whose method cannot even be read change no outcome', async () => {
    nock(ORIGIN).get('/x').reply(503).get('/x').reply(200, 'fine');
    const logger = Object.defineProperty({}, 'warn', {
      get() {
        throw new Error('getter boom');
      },
    }) as Logger;
    const api = axios.create({ baseURL: ORIGIN });
    attachRetry(api, { baseDelay: 0, logger });
    expect((await api.get('/x')).data).to.equal('fine');
  });

  it('rejects, never throws, when retry(fn) cannot make its idempotency key', async () => {
    const generate = () => {
      throw new Error('no entropy');
    };
    let call: Promise<unknown> | undefined;
    expect(() => {
      call = retry(() => 1, { idempotencyKey: { generate } });
    }).to.not.throw();
    expect(((await outcome(call ?? Promise.resolve())).error as Error).message).to.equal('no entropy');
  });
  it('keeps a fast-path startedAt as the wall time of its start, whole ms, when the wall clock steps and another call starts', async () => {
    const clock = fakeClock();
    try {
      clock.setSystemTime(1_700_000_000_000);
      clock.tick(12.7);
      const pending: (() => void)[] = [];
      const api = axios.create({
        baseURL: ORIGIN,
        adapter: (config) =>
          new Promise((resolve) =>
            pending.push(() => resolve({ data: 'ok', status: 200, statusText: 'OK', headers: {}, config })),
          ),
      });
      attachRetry(api);
      const startedAt = Date.now();
      const first = api.get('/a');
      await idle();
      clock.tick(5);
      clock.setSystemTime(Date.now() + 3_600_000);
      const second = api.get('/b');
      await idle();
      for (const release of pending) release();
      const [a, b] = await Promise.all([first, second]);
      expect(getRetryState(a)?.startedAt).to.equal(startedAt);
      expect(getRetryState(b)?.startedAt).to.equal(startedAt + 5 + 3_600_000);
    } finally {
      clock.restore();
    }
  });
});
