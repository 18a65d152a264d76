import type { AxiosError } from 'axios';
import axios from 'axios';
import { expect } from 'chai';
import nock from 'nock';
import type sinon from 'sinon';
import type { RetryOptions } from '../../lib/index.js';
import { attachRetry, getRetryState } from '../../lib/index.js';
import { drive, fakeClock, ORIGIN, outcome, until } from '../helpers.js';

const statusOf = (error: unknown) => (error as AxiosError).response?.status;
/** Interceptors still registered (axios keeps an ejected one's slot as null). */
const liveHandlers = (manager: unknown) =>
  ((manager as { handlers?: unknown[] }).handlers ?? []).filter((h) => h !== null).length;

describe('hostile review: detach() while calls are under way', () => {
  describe('during the backoff wait (fake time)', () => {
    let clock: sinon.SinonFakeTimers;
    beforeEach(() => {
      clock = fakeClock();
    });
    afterEach(() => clock.restore());

    /** An attached instance (nothing registered before it), and detach() once the first wait has begun. */
    async function detachDuringWait<T>(retries: number, call: (api: ReturnType<typeof axios.create>) => Promise<T>) {
      const api = axios.create({ baseURL: ORIGIN });
      const handle = attachRetry(api, { retries, baseDelay: 100, jitter: 'none' });
      const seen = { responses: 0, errors: [] as unknown[] };
      api.interceptors.response.use(
        (response) => {
          seen.responses += 1;
          return response.data;
        },
        (error: unknown) => {
          seen.errors.push(error);
          throw error;
        },
      );
      const pending = call(api);
      await until(() => clock.countTimers() === 1);
      handle.detach();
      return { seen, result: await drive(clock, pending, () => true) };
    }

    it('A response interceptor added after attachRetry that unwraps r => r.data resolves the call to the data, once.', async () => {
      nock(ORIGIN).get('/x').reply(503).get('/x').reply(200, { user: 'ada' });
      const { seen, result } = await detachDuringWait(1, (api) => api.get('/x'));
      expect(result.value).to.deep.equal({ user: 'ada' });
      expect(seen).to.deep.equal({ responses: 1, errors: [] });
    });

    it('An error handler added after attachRetry sees the final error once.', async () => {
      nock(ORIGIN).get('/x').times(2).reply(503);
      const { seen, result } = await detachDuringWait(1, (api) => api.get('/x'));
      expect(statusOf(result.error)).to.equal(503);
      expect(getRetryState(result.error)).to.include({ attempt: 2, stopReason: 'retries-exhausted' });
      expect(seen).to.deep.equal({ responses: 0, errors: [result.error] });
    });
  });

  for (const [name, options] of [
    ['without options', {}],
    ['with attemptTimeout', { attemptTimeout: 30_000 }],
  ] as [string, Partial<RetryOptions>][]) {
    it(`A call whose first attempt is in flight when detach() is called is still retried under its policy (${name}).`, async () => {
      const api = axios.create({ baseURL: ORIGIN });
      const handle = attachRetry(api, { baseDelay: 0, ...options });
      let seen = 0;
      api.interceptors.response.use((response) => {
        seen += 1;
        return response;
      });
      nock(ORIGIN)
        .get('/x')
        .reply(() => {
          handle.detach();
          return [503];
        })
        .get('/x')
        .reply(200, 'fine');
      const response = await api.get('/x');
      expect(response.data).to.equal('fine');
      expect(getRetryState(response)?.attempt).to.equal(2);
      expect(seen, 'the interceptor added after attachRetry saw the response').to.equal(1);
      // Once that call has ended, our response interceptor is gone too, and new calls are not retried.
      expect(liveHandlers(api.interceptors.response)).to.equal(1);
      nock(ORIGIN).get('/y').reply(503);
      const { error } = await outcome(api.get('/y'));
      expect(statusOf(error)).to.equal(503);
      expect(getRetryState(error)).to.equal(undefined);
    });
  }
});
