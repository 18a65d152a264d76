import { getEventListeners } from 'node:events';
import type { AxiosError, AxiosInstance } from 'axios';
import axios, { isCancel } from 'axios';
import { expect } from 'chai';
import nock from 'nock';
import type sinon from 'sinon';
import type { RetryOptions, StopReason } from '../../lib/index.js';
import { attachRetry, getRetryState } from '../../lib/index.js';
import { client, drive, fakeClock, idle, ORIGIN, outcome, until } from '../helpers.js';
import type { TestServer } from '../server.js';
import { itLeakFree, startServer } from '../server.js';

/**
 * Issue §4: what an attempt needs (a timer's signal, our tracking) stays out of what the user can
 * see or re-send: `error.config` keeps the caller's signal and no key of ours; re-sent, it is a new call.
 */
describe("the user's config stays the user's", () => {
  describe('on a real server', () => {
    let server: TestServer | undefined;
    const real = (title: string, body: () => Promise<void>) =>
      itLeakFree(title, body, async () => {
        await server?.close();
        server = undefined;
      });

    function api(options: Partial<RetryOptions>): AxiosInstance {
      const instance = axios.create({ baseURL: server?.url ?? '' });
      attachRetry(instance, { baseDelay: 1, jitter: 'none', ...options });
      return instance;
    }

    real("obeys the caller's signal when an auth refresh re-sends error.config after attemptTimeout", async () => {
      const controller = new AbortController();
      server = await startServer((n, _req, res) => {
        if (n === 1) {
          res.statusCode = 401;
          res.end();
        } else controller.abort(); // The re-sent request is held, and the caller gives up.
      });
      const instance = api({ attemptTimeout: 5000 });
      const first = await outcome(instance.get('/me', { signal: controller.signal }));
      const config = (first.error as AxiosError).config;
      expect(config?.signal).to.equal(controller.signal);

      let settled: { error?: unknown } | undefined;
      void outcome(instance.request(config ?? {})).then((result) => (settled = result));
      await until(() => settled !== undefined);
      expect(isCancel(settled?.error)).to.equal(true);
      expect(getRetryState(settled?.error)).to.include({ attempt: 1, stopReason: 'aborted' });
      expect(server.hits()).to.equal(2);
    });

    real('is not cut by an old attempt timer when error.config is re-sent, and starts a fresh state', async () => {
      server = await startServer((n, _req, res) => {
        if (n > 2) res.end('fresh');
        // The first two attempts are never answered: both time out.
      });
      const instance = api({ attemptTimeout: 50, retries: 1 });
      const first = await outcome(instance.get('/me'));
      expect(getRetryState(first.error)).to.include({ attempt: 2, stopReason: 'retries-exhausted' });

      const response = await instance.request((first.error as AxiosError).config ?? {});
      expect(response.data).to.equal('fresh');
      expect(getRetryState(response)?.history.map((r) => r.attempt)).to.deep.equal([1]);
      expect(server.hits()).to.equal(3);
    });

    // The token's reason is one object for every call it cancels (axios rejects each with it):
    // written into, one call's error would carry another's config.
    real("leaves a shared CancelToken's reason as axios made it, with no call's config written in", async () => {
      const source = axios.CancelToken.source();
      server = await startServer((n) => {
        if (n === 2) source.cancel('signed out'); // Both requests are held until then.
      });
      const instance = api({ attemptTimeout: 5000 });
      const results = await Promise.all(
        ['/a', '/b'].map((url) => outcome(instance.get(url, { cancelToken: source.token }))),
      );
      expect(results.map((r) => isCancel(r.error))).to.deep.equal([true, true]);
      expect((source.token.reason as { config?: unknown } | undefined)?.config).to.equal(undefined);
      for (const { error } of results) expect(getRetryState(error)).to.include({ stopReason: 'aborted' });
    });
  });

  describe('cancelling and sharing a signal (fake timers)', () => {
    let clock: sinon.SinonFakeTimers;
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    beforeEach(() => {
      clock = fakeClock();
      warnings.length = 0;
      process.on('warning', onWarning);
    });
    afterEach(() => {
      process.off('warning', onWarning);
      clock.restore();
    });

    /** A GET that fails once, then waits 4 s to retry; its CancelToken is cancelled 100 ms in. */
    async function cancelDuringWait() {
      nock(ORIGIN).get('/x').reply(503);
      const retry = nock(ORIGIN).get('/x').reply(200);
      const given: StopReason[] = [];
      const { api, inFlight } = client({ baseDelay: 4000, onGiveUp: (ctx) => void given.push(ctx.stopReason) });
      const source = axios.CancelToken.source();
      let settled: { error?: unknown } | undefined;
      void outcome(api.get('/x', { cancelToken: source.token })).then((result) => (settled = result));
      await until(() => inFlight() === 0 && clock.countTimers() === 1);
      await clock.tickAsync(100);
      source.cancel('the user left');
      await idle();
      return { settled, given, retry };
    }

    it('cuts a backoff wait short at once when a legacy CancelToken is cancelled, sending nothing more', async () => {
      const { settled, given, retry } = await cancelDuringWait();
      expect(settled, 'settled without waiting out the 4 s').to.not.equal(undefined);
      expect(isCancel(settled?.error)).to.equal(true);
      expect(given).to.deep.equal(['aborted']);
      await clock.tickAsync(10_000);
      expect(retry.isDone(), 'a retry was sent').to.equal(false);
    });

    it('lets getRetryState tell why a call cancelled by its CancelToken during a wait stopped', async () => {
      const { settled } = await cancelDuringWait();
      expect(getRetryState(settled?.error)).to.include({ attempt: 1, stopReason: 'aborted' });
    });

    /** 30 calls that share `signal` and fail once each, then succeed. */
    function shareSignal(options: Partial<RetryOptions>) {
      nock(ORIGIN).get('/x').times(30).reply(503);
      nock(ORIGIN).get('/x').times(30).reply(200);
      const { api, inFlight } = client({ baseDelay: 1000, budget: false, ...options });
      const signal = new AbortController().signal;
      const listeners = () => getEventListeners(signal, 'abort').length;
      return { api, inFlight, signal, listeners };
    }

    it('puts one listener on a signal shared by 30 calls with attemptTimeout, and none after', async () => {
      const { api, inFlight, signal, listeners } = shareSignal({ attemptTimeout: 5000 });
      let peak = 0;
      const calls = Promise.all(Array.from({ length: 30 }, () => api.get('/x', { signal })));
      const { value, error } = await drive(clock, calls, () => {
        peak = Math.max(peak, listeners());
        return inFlight() === 0;
      });
      expect(error).to.equal(undefined);
      expect(value?.map((r) => getRetryState(r)?.attempt)).to.deep.equal(Array(30).fill(2));
      expect(peak).to.equal(1);
      await idle();
      expect(listeners()).to.equal(0);
      expect(warnings.map((w) => w.name)).to.not.include('MaxListenersExceededWarning');
    });

    it('puts one listener on a signal shared by 30 calls without other options, all in flight at once', async () => {
      const { api, inFlight, signal, listeners } = shareSignal({});
      let peak = 0;
      const calls = Promise.all(Array.from({ length: 30 }, () => api.get('/x', { signal })));
      const { value, error } = await drive(clock, calls, () => {
        peak = Math.max(peak, listeners());
        return inFlight() === 0;
      });
      expect([error, value?.length]).to.deep.equal([undefined, 30]);
      // A bare axios instance adds one listener per call in flight; axios-rebound hands each
      // attempt a child of the signal, so the signal itself carries one.
      expect(peak).to.equal(1);
      await idle();
      expect(listeners()).to.equal(0);
      expect(warnings.map((w) => w.name)).to.not.include('MaxListenersExceededWarning');
    });
  });

  describe('no key of ours in the config', () => {
    /** The config keys a bare axios instance has for the same request and outcome. */
    async function bareKeys(status: number): Promise<string[]> {
      nock(ORIGIN).get('/x').query(true).reply(status);
      const { value, error } = await outcome(axios.create({ baseURL: ORIGIN }).get('/x', { params: { q: 1 } }));
      return Object.keys(value?.config ?? (error as AxiosError).config ?? {}).sort();
    }

    function expectNoKeyOfOurs(config: object | undefined, keys: string[]): void {
      expect(Object.keys(config ?? {}).sort()).to.deep.equal(keys);
      expect(JSON.stringify(config)).to.not.match(/rebound/i);
    }

    it('shows none in response.config after a first-time success, while getRetryState works', async () => {
      const keys = await bareKeys(200);
      nock(ORIGIN).get('/x').query(true).reply(200);
      const response = await client().api.get('/x', { params: { q: 1 } });
      expectNoKeyOfOurs(response.config, keys);
      expect(getRetryState(response)).to.include({ attempt: 1 });
    });

    it('shows none in response.config after a failed-then-retried call, with or without attemptTimeout', async () => {
      const keys = await bareKeys(200);
      for (const options of [{}, { attemptTimeout: 5000 }]) {
        nock(ORIGIN).get('/x').query(true).reply(503).get('/x').query(true).reply(200);
        const response = await client(options).api.get('/x', { params: { q: 1 } });
        expectNoKeyOfOurs(response.config, keys);
        expect(getRetryState(response)).to.include({ attempt: 2 });
      }
    });

    it('shows none in error.config when the call fails, while getRetryState says why', async () => {
      const keys = await bareKeys(503);
      nock(ORIGIN).get('/x').query(true).times(2).reply(503);
      const { error } = await outcome(client({ retries: 1, attemptTimeout: 5000 }).api.get('/x', { params: { q: 1 } }));
      expectNoKeyOfOurs((error as AxiosError).config, keys);
      expect(JSON.stringify((error as AxiosError).toJSON())).to.not.match(/rebound/i);
      expect(getRetryState(error)).to.include({ attempt: 2, stopReason: 'retries-exhausted' });
    });
  });
});
