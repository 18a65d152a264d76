import type http from 'node:http';
import type { AxiosError } from 'axios';
import axios from 'axios';
import { expect } from 'chai';
import nock from 'nock';
import type sinon from 'sinon';
import { attachRetry, getRetryState } from '../../lib/index.js';
import { counted, drive, fakeClock, ORIGIN, outcome, until } from '../helpers.js';
import type { TestServer } from '../server.js';
import { itLeakFree, startServer } from '../server.js';

const statusOf = (error: unknown) => (error as AxiosError | undefined)?.response?.status;

/**
 * Requests a retry storm may send before the endpoint answers 200: a storm then ends instead
 * of running on after the test, and the test fails on the count instead of hanging.
 */
const STORM_CAP = 8;

/** `path` answers 503 to every GET until STORM_CAP have arrived, then 200; returns how many arrived. */
function downUntilCap(path: string): () => number {
  let hits = 0;
  nock(ORIGIN)
    .persist()
    .get(path)
    .reply(() => {
      hits += 1;
      return hits > STORM_CAP ? [200, 'storm'] : [503, 'down'];
    });
  return () => hits;
}

describe('attaching again after detach() (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = fakeClock();
  });
  afterEach(() => clock.restore());

  it('A new call under the new policy makes exactly one request while an old call waits to retry, and the old call finishes under its old policy.', async () => {
    const { api, inFlight } = counted();
    const old = attachRetry(api, { retries: 2, baseDelay: 100, jitter: 'none', budget: false });
    const oldHits = downUntilCap('/old');
    const downHits = downUntilCap('/down');
    const first = outcome(api.get('/old'));
    // The old call's first attempt failed and its backoff timer is set: it is waiting to retry.
    await until(() => oldHits() === 1 && inFlight() === 0 && clock.countTimers() === 1);
    old.detach();
    const fresh = attachRetry(api, { retries: 0, budget: false });

    const { error } = await drive(clock, api.get('/down'), () => inFlight() === 0);
    expect(downHits(), 'requests for one call with retries: 0').to.equal(1);
    expect(statusOf(error)).to.equal(503);
    expect(getRetryState(error)).to.include({ attempt: 1, retries: 0, stopReason: 'retries-exhausted' });
    expect(fresh.stats()).to.include({ requests: 1, attempts: 1, retries: 0 });

    const { value: oldCall } = await drive(clock, first, () => inFlight() === 0);
    expect(oldHits(), 'retries: 2 under the old policy').to.equal(3);
    expect(statusOf(oldCall?.error)).to.equal(503);
    expect(getRetryState(oldCall?.error)).to.include({ attempt: 3, retries: 2, stopReason: 'retries-exhausted' });
    expect(old.stats(), 'the old call counted where it began').to.include({ requests: 1, attempts: 3, retries: 2 });
  });

  it('A response interceptor r => r.data registered before attachRetry does not let a detached attachment retry the calls of the next one.', async () => {
    const { api, inFlight } = counted();
    api.interceptors.response.use((response) => response.data);
    const old = attachRetry(api, { retries: 3, baseDelay: 100, jitter: 'none', budget: false });
    nock(ORIGIN).get('/ok').reply(200, { ok: true });
    expect(await api.get('/ok')).to.deep.equal({ ok: true });
    // No call in flight: the old attachment has nothing left to finish.
    old.detach();
    const fresh = attachRetry(api, { retries: 0, budget: false });
    const downHits = downUntilCap('/down');
    const { error, value } = await drive(clock, api.get('/down'), () => inFlight() === 0);

    expect(downHits(), 'requests for one call with retries: 0').to.equal(1);
    expect(value).to.equal(undefined);
    expect(statusOf(error)).to.equal(503);
    expect(getRetryState(error)).to.include({ attempt: 1, retries: 0, stopReason: 'retries-exhausted' });
    expect(fresh.stats()).to.include({ attempts: 1, retries: 0 });
  });
});

describe('detach() after a call that never reached the adapter', () => {
  // The call was begun by our request interceptor, and the error of the interceptor that threw
  // after ours leads back to no call: it is never counted as ended, so our response interceptor
  // stays after detach() (README, How it composes). It handles nothing but what it began.
  it('A request interceptor registered before attachRetry that throws leaves an interceptor of ours that handles nothing after detach().', async () => {
    const api = axios.create({ baseURL: ORIGIN });
    let fail = true;
    api.interceptors.request.use((config) => {
      if (fail) throw new Error('no token');
      return config;
    });
    const handle = attachRetry(api, { retries: 2, baseDelay: 1 });
    const { error } = await outcome(api.get('/x'));
    expect((error as Error).message).to.equal('no token');
    expect(handle.stats()).to.include({ requests: 0, attempts: 0 });
    handle.detach();
    fail = false;
    nock(ORIGIN).get('/x').reply(503);
    const after = await outcome(api.get('/x'));
    expect((after.error as AxiosError).response?.status).to.equal(503);
    expect(getRetryState(after.error)).to.equal(undefined);
    expect(handle.stats()).to.include({ requests: 0, attempts: 0 });
    expect(nock.isDone()).to.equal(true);
  });
});

describe('attaching again after detach() against a real server on 127.0.0.1', () => {
  let server: TestServer | undefined;
  let held: http.ServerResponse | undefined;

  /** `promise`, or 'watchdog' if it has not settled within `ms` of real time; leaves no timer. */
  async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'watchdog'> {
    let timer: NodeJS.Timeout | undefined;
    const watchdog = new Promise<'watchdog'>((resolve) => {
      timer = setTimeout(() => resolve('watchdog'), ms);
    });
    try {
      return await Promise.race([promise, watchdog]);
    } finally {
      clearTimeout(timer);
    }
  }

  itLeakFree(
    'A failing GET under retries: 0 is sent once while a call of the detached attachment is still open, and that call keeps its old policy.',
    async () => {
      let downHits = 0;
      let slowHits = 0;
      server = await startServer((_n, req, res) => {
        if (req.url === '/slow') {
          slowHits += 1;
          // The first attempt is held open until the test lets it fail; the retry succeeds.
          if (slowHits === 1) held = res;
          else res.end('slow but fine');
          return;
        }
        downHits += 1;
        res.statusCode = downHits > STORM_CAP ? 200 : 503;
        res.end();
      });
      const api = axios.create({ baseURL: server.url });
      const old = attachRetry(api, { retries: 5, baseDelay: 1, jitter: 'none', budget: false });
      const slow = outcome(api.get('/slow'));
      await until(() => held !== undefined);
      old.detach();
      attachRetry(api, { retries: 0, budget: false });

      const fresh = await within(outcome(api.get('/down')), 5000);
      expect(fresh, 'the new call settled').to.not.equal('watchdog');
      expect(downHits, 'requests for one call with retries: 0').to.equal(1);
      expect(statusOf(fresh === 'watchdog' ? undefined : fresh.error)).to.equal(503);

      held?.writeHead(503).end();
      const finished = await within(slow, 5000);
      expect(finished, 'the old call settled').to.not.equal('watchdog');
      const response = finished === 'watchdog' ? undefined : finished.value;
      expect(response?.data).to.equal('slow but fine');
      expect(getRetryState(response)).to.include({ attempt: 2, retries: 5 });
    },
    async () => {
      held = undefined;
      await server?.close();
      server = undefined;
    },
  );
});
