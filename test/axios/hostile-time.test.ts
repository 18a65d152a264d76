import type { AxiosAdapter, AxiosResponse } from 'axios';
import axios, { AxiosError, isCancel } from 'axios';
import { expect } from 'chai';
import nock from 'nock';
import type sinon from 'sinon';
import type { RetryOptions } from '../../lib/index.js';
import { attachRetry, getRetryState, retry } from '../../lib/index.js';
import { client, drive, fakeClock, idle, ORIGIN, outcome, until } from '../helpers.js';

/** GET /x answers 503 every time; the fake times the requests arrived at are noted. */
function alwaysDown(): number[] {
  const arrivals: number[] = [];
  nock(ORIGIN)
    .get('/x')
    .times(10)
    .reply(() => {
      arrivals.push(Date.now());
      return [503];
    });
  return arrivals;
}

/** The outcome of a call that must settle within a bounded real time, the clock standing still. */
async function settledWithoutTime<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  let result: { value?: T; error?: unknown } | undefined;
  void outcome(promise).then((r) => (result = r));
  await until(() => result !== undefined);
  return result ?? {};
}

const never = () => new Promise<never>(() => {});
/** Each hook, and the retries that make it run after the first attempt (shouldRetry is not asked when none is left). */
const HOOKS = [
  ['A shouldRetry', 'shouldRetry', 1],
  ['An onRetry', 'onRetry', 1],
] as const;

describe('hostile review: the deadline and the caller hold whatever user code takes (fake time)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = fakeClock();
  });
  afterEach(() => clock.restore());

  it('An onRetry that takes 400 ms under a 300 ms deadline sends nothing after the deadline and ends the call at it.', async () => {
    const arrivals = alwaysDown();
    const { api, inFlight } = client({
      deadline: 300,
      retries: 3,
      baseDelay: 100,
      onRetry: () => new Promise<void>((resolve) => setTimeout(resolve, 400)),
    });
    const { error } = await drive(clock, api.get('/x'), () => inFlight() === 0);
    expect(clock.now).to.be.at.most(300);
    expect(arrivals).to.deep.equal([0]);
    expect(getRetryState(error)?.stopReason).to.equal('deadline');
  });

  it('Under retry(fn), an onRetry that takes 400 ms under a 300 ms deadline means fn is not called after the deadline.', async () => {
    const calls: number[] = [];
    const call = retry(
      () => {
        calls.push(Date.now());
        throw new Error('flaky');
      },
      {
        deadline: 300,
        retries: 3,
        baseDelay: 100,
        jitter: 'none',
        budget: false,
        onRetry: () => new Promise<void>((resolve) => setTimeout(resolve, 400)),
      },
    );
    const { error } = await drive(clock, call, () => true);
    expect(clock.now).to.be.at.most(300);
    expect(calls).to.deep.equal([0]);
    expect(getRetryState(error)?.stopReason).to.equal('deadline');
  });

  describe('an adapter of the user that never settles and ignores the signal', () => {
    let calls: number[];
    const hanging: AxiosAdapter = () => {
      calls.push(Date.now());
      return new Promise<AxiosResponse>(() => {});
    };
    beforeEach(() => {
      calls = [];
    });
    const hangingApi = () => {
      const api = axios.create({ baseURL: ORIGIN, adapter: hanging });
      attachRetry(api, { attemptTimeout: 200, retries: 2, baseDelay: 10, jitter: 'none', budget: false });
      return api;
    };

    it('Each attempt ends with ETIMEDOUT at attemptTimeout, and the call after the last one.', async () => {
      const { error } = await drive(clock, hangingApi().get('/x'), () => true);
      expect(calls).to.deep.equal([0, 210, 430]);
      expect(clock.now).to.equal(630);
      expect(error).to.be.instanceOf(AxiosError);
      expect(error).to.include({ code: 'ETIMEDOUT', message: 'attempt timeout of 200ms exceeded' });
      expect(getRetryState(error)?.history.map((r) => r.code)).to.deep.equal(['ETIMEDOUT', 'ETIMEDOUT', 'ETIMEDOUT']);
    });

    it('A caller abort cancels the call at once.', async () => {
      const controller = new AbortController();
      const call = hangingApi().get('/x', { signal: controller.signal });
      await until(() => calls.length === 1);
      controller.abort();
      const { error } = await settledWithoutTime(call);
      expect(isCancel(error)).to.equal(true);
      expect(getRetryState(error)?.stopReason).to.equal('aborted');
      expect(clock.now).to.equal(0);
    });
  });

  for (const [name, hook, retries] of HOOKS) {
    const options = (extra: Partial<RetryOptions>): Partial<RetryOptions> => ({ retries, [hook]: never, ...extra });

    it(`${name} that never settles ends the call at the deadline with 'deadline'.`, async () => {
      const arrivals = alwaysDown();
      const { api, inFlight } = client(options({ deadline: 300 }));
      const { error } = await drive(clock, api.get('/x'), () => inFlight() === 0);
      expect(clock.now).to.equal(300);
      expect((error as AxiosError).response?.status).to.equal(503);
      expect(getRetryState(error)?.stopReason).to.equal('deadline');
      expect(arrivals.every((t) => t <= 300)).to.equal(true);
    });

    it(`${name} that never settles is cut short by the caller's abort: a CanceledError with 'aborted'.`, async () => {
      alwaysDown();
      let called = false;
      const { api } = client(
        options({
          [hook]: () => {
            called = true;
            return never();
          },
        }),
      );
      const controller = new AbortController();
      const call = api.get('/x', { signal: controller.signal });
      await until(() => called);
      await idle();
      controller.abort();
      const { error } = await settledWithoutTime(call);
      expect(isCancel(error)).to.equal(true);
      expect(getRetryState(error)?.stopReason).to.equal('aborted');
    });
  }
  // onGiveUp runs once the call has already given up: a hang ends at the deadline or the abort,
  // and the call keeps the error and the reason it gave up with.
  it('An onGiveUp that never settles lets the call end at the deadline, with the reason it gave up for.', async () => {
    alwaysDown();
    const { api, inFlight } = client({ retries: 0, onGiveUp: never, deadline: 300 });
    const { error } = await drive(clock, api.get('/x'), () => inFlight() === 0);
    expect(clock.now).to.equal(300);
    expect((error as AxiosError).response?.status).to.equal(503);
    expect(getRetryState(error)?.stopReason).to.equal('retries-exhausted');
  });

  it("An onGiveUp that never settles lets the call end at the caller's abort, with the reason it gave up for.", async () => {
    alwaysDown();
    let called = false;
    const { api } = client({
      retries: 0,
      onGiveUp: () => {
        called = true;
        return never();
      },
    });
    const controller = new AbortController();
    const call = api.get('/x', { signal: controller.signal });
    await until(() => called);
    await idle();
    controller.abort();
    const { error } = await settledWithoutTime(call);
    expect((error as AxiosError).response?.status).to.equal(503);
    expect(getRetryState(error)?.stopReason).to.equal('retries-exhausted');
  });
});
