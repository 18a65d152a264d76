import type { AxiosAdapter } from 'axios';
import axios, { AxiosError } from 'axios';
import { expect } from 'chai';
import nock from 'nock';
import sinon from 'sinon';
import { canceledError } from '../../lib/errors.js';
import { attachRetry, getRetryState } from '../../lib/index.js';
import { HOUR, WALL_START } from '../fake-time.js';
import { client, drive, ORIGIN } from '../helpers.js';

/**
 * The wall clock (`Date`) steps as NTP or a resumed VM would step it; timers and
 * `performance.now()` go on as if nothing happened, and they are what the policy must run on.
 */
describe('a step of the wall clock in the middle of a call', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: WALL_START, toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
  });
  afterEach(() => clock.restore());

  /** Steps the wall clock by `ms` after `afterMs` of (fake) time. */
  const stepAt = (afterMs: number, ms: number) => setTimeout(() => clock.setSystemTime(Date.now() + ms), afterMs);

  /** An adapter that answers only when aborted, noting when each attempt began and ended (monotonic). */
  function silentAdapter() {
    const attempts: { began: number; ended?: number }[] = [];
    const adapter: AxiosAdapter = (config) =>
      new Promise((_resolve, reject) => {
        const attempt: { began: number; ended?: number } = { began: performance.now() };
        attempts.push(attempt);
        config.signal?.addEventListener?.('abort', () => {
          attempt.ended = performance.now();
          reject(canceledError(undefined, config));
        });
      });
    return { adapter, attempts };
  }

  it('A step back of an hour during a backoff wait does not extend a deadline of 800 ms.', async () => {
    const { api, inFlight } = client({ deadline: 800, baseDelay: 500, backoff: 'constant', retries: 10 });
    nock(ORIGIN).get('/x').times(11).reply(503);
    const started = performance.now();
    let stepped = false;
    const call = api.get('/x', {
      retry: {
        onRetry: () => {
          if (!stepped) stepAt(100, -HOUR);
          stepped = true;
        },
      },
    });
    const { error } = await drive(clock, call, () => inFlight() === 0);
    expect(performance.now() - started).to.be.at.most(800);
    expect(getRetryState(error)).to.include({ attempt: 2, stopReason: 'deadline' });
    expect(nock.pendingMocks()).to.have.length(1);
  });

  it('An attempt after a step back or forward still times out after its attemptTimeout, no sooner, no later.', async () => {
    const { adapter, attempts } = silentAdapter();
    const api = axios.create({ adapter });
    attachRetry(api, { attemptTimeout: 300, deadline: 10_000, retries: 2, baseDelay: 100, backoff: 'constant' });
    stepAt(100, -HOUR); // during the first attempt
    stepAt(500, 2 * HOUR); // during the second
    const { error } = await drive(clock, api.get('http://api.test/x'), () => true);
    expect(attempts.map((a) => (a.ended ?? Infinity) - a.began)).to.deep.equal([300, 300, 300]);
    expect(error).to.have.property('message', 'attempt timeout of 300ms exceeded');
    const state = getRetryState(error);
    expect(state?.stopReason).to.equal('retries-exhausted');
    expect(state?.history.map((h) => h.durationMs)).to.deep.equal([300, 300, 300]);
    expect(state?.startedAt).to.equal(WALL_START);
  });

  // A call on the fast path (no timer, deadline, breaker or key) keeps its wall-clock start
  // beside its monotonic one: a step during that first attempt must not move startedAt.
  it('startedAt is the wall time read when the call started, even if the clock steps during its first attempt.', async () => {
    for (const fails of [true, false]) {
      const api = axios.create({
        adapter: (config) =>
          new Promise((resolve, reject) =>
            setTimeout(() => {
              const response = { status: fails ? 503 : 200, statusText: '', headers: {}, config, data: '' };
              if (fails) reject(new AxiosError('unavailable', AxiosError.ERR_BAD_RESPONSE, config, {}, response));
              else resolve(response);
            }, 200),
          ),
      });
      attachRetry(api, { retries: 0 });
      const started = Date.now();
      stepAt(100, -HOUR);
      const { value, error } = await drive(clock, api.get('http://api.test/x'), () => true);
      expect(getRetryState(value ?? error)?.startedAt, fails ? 'failure' : 'success').to.equal(started);
    }
  });
});
