import axios from 'axios';
import { expect } from 'chai';
import nock from 'nock';
import {
  AdaptiveThrottle,
  attachRetry,
  CircuitBreaker,
  getRetryState,
  retry,
  ThrottledError,
} from '../../lib/index.js';
import { client, ORIGIN, outcome } from '../helpers.js';

/** A throttle that rejects whatever its probability, once it has one (random 0). */
const strict = () => new AdaptiveThrottle({ random: () => 0, maxRejectionProbability: 1, minRequests: 0 });

describe('the adaptive throttle under attachRetry and retry(fn)', () => {
  afterEach(() => nock.cleanAll());

  it('rejects a request locally once the backend refuses, unsent, with ERR_THROTTLED and stop reason throttled', async () => {
    const throttle = strict();
    const { api, handle } = client({ throttle, retries: 0 });
    nock(ORIGIN).get('/x').reply(503);
    await outcome(api.get('/x'));
    const scope = nock(ORIGIN).get('/x').reply(200);
    const { error } = await outcome(api.get('/x'));
    expect(error).to.be.instanceOf(ThrottledError);
    expect(error).to.include({ code: 'ERR_THROTTLED', key: ORIGIN });
    expect((error as ThrottledError).probability).to.equal(0.5);
    expect(getRetryState(error)?.stopReason).to.equal('throttled');
    expect(scope.isDone()).to.equal(false);
    expect(handle.stats()).to.deep.include({
      requests: 2,
      failures: 2,
      giveUps: { 'retries-exhausted': 1, throttled: 1 },
      throttle: { [ORIGIN]: { requests: 2, accepts: 0, rejectionProbability: 2 / 3 } },
    });
  });

  it('ends a call with its last real failure when a retry is throttled', async () => {
    const throttle = strict();
    const { api } = client({ throttle, retries: 3 });
    const scope = nock(ORIGIN).get('/x').reply(503);
    const { error } = await outcome(api.get('/x'));
    expect((error as { response?: { status: number } }).response?.status).to.equal(503);
    expect(getRetryState(error)).to.include({ attempt: 1, stopReason: 'throttled' });
    expect(scope.isDone()).to.equal(true);
  });

  it('counts accepted answers (a 404 too) so that the throttle lets everything through', async () => {
    const throttle = strict();
    const { api } = client({ throttle, retries: 0 });
    nock(ORIGIN).get('/x').times(3).reply(404);
    for (let i = 0; i < 3; i++) await outcome(api.get('/x'));
    expect(throttle.snapshot()[ORIGIN]).to.deep.equal({ requests: 3, accepts: 3, rejectionProbability: 0 });
  });

  it("never holds a half-open circuit's probe slot with a rejected attempt", async () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 1000, now: () => now });
    const throttle = strict();
    const { api } = client({ throttle, circuitBreaker: breaker, retries: 0 });
    nock(ORIGIN).get('/x').reply(503);
    await outcome(api.get('/x'));
    now = 2000;
    // The throttle rejects (p = 1/2, random 0): the breaker is not asked, so the probe stays free.
    const { error } = await outcome(api.get('/x'));
    expect(error).to.be.instanceOf(ThrottledError);
    const state = breaker.snapshot()[ORIGIN]?.state;
    expect(state === 'open' || state === 'half-open').to.equal(true);
    expect(breaker.acquire(ORIGIN)).to.include({ allowed: true, probe: true });
  });

  it('is refused as true under attachRetry, naming what to pass', () => {
    expect(() => attachRetry(axios.create(), { throttle: true })).to.throw(
      TypeError,
      /option "throttle" must be an AdaptiveThrottle or false under attachRetry, got true \(pass new AdaptiveThrottle\(\)/,
    );
  });

  it('reports an isRejection that throws once, and the outcome stands', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      const throttle = new AdaptiveThrottle({
        isRejection: () => {
          throw new Error('broken');
        },
      });
      const { api } = client({ throttle });
      nock(ORIGIN).get('/x').reply(200);
      expect((await api.get('/x')).status).to.equal(200);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.some((w) => w.includes('throttle threw (Error: broken)'))).to.equal(true);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('throttles retry(fn) by name with throttle: true (one throttle in the process)', async () => {
    let calls = 0;
    const fail = () => {
      calls += 1;
      throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    };
    const name = `throttled-${Math.random()}`;
    const options = { name, throttle: true, retries: 0, budget: false } as const;
    // The process-wide throttle's random is Math.random: refuse until it rejects once.
    let rejected: unknown;
    for (let i = 0; i < 200 && !rejected; i++) {
      const { error } = await outcome(retry(fail, options));
      if (getRetryState(error)?.stopReason === 'throttled') rejected = error;
    }
    expect(rejected).to.be.instanceOf(ThrottledError);
    expect(rejected).to.include({ key: name });
    expect(calls).to.be.below(200);
  });
});
