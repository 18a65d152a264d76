import { CanceledError } from 'axios';
import { expect } from 'chai';
import nock from 'nock';
import type sinon from 'sinon';
import { getRetryState } from '../../lib/index.js';
import { client, drive, fakeClock, idle, ORIGIN, outcome, until } from '../helpers.js';

/** Scripts GET /x to answer `replies` in order, noting the (fake) time each request arrived. */
function script(replies: [number, Record<string, string>?][]): number[] {
  const arrivals: number[] = [];
  for (const [status, headers] of replies) {
    nock(ORIGIN)
      .get('/x')
      .reply(() => {
        arrivals.push(Date.now());
        return [status, '', headers ?? {}];
      });
  }
  return arrivals;
}

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - (times[i] ?? 0));

describe('retry timing (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = fakeClock();
  });
  afterEach(() => clock.restore());

  it('waits exactly baseDelay·factor^(n-1) before retry n', async () => {
    const arrivals = script([[503], [503], [503], [200]]);
    const { api, inFlight } = client({ baseDelay: 100, jitter: 'none' });
    const { value } = await drive(clock, api.get('/x'), () => inFlight() === 0);
    expect(value?.status).to.equal(200);
    expect(gaps(arrivals)).to.deep.equal([100, 200, 400]);
    expect(getRetryState(value)?.history.map((r) => r.delayMs)).to.deep.equal([100, 200, 400, undefined]);
  });

  it('caps the growth at maxDelay', async () => {
    const arrivals = script([[503], [503], [503], [200]]);
    const { api, inFlight } = client({ baseDelay: 100, factor: 10, maxDelay: 250, jitter: 'none' });
    await drive(clock, api.get('/x'), () => inFlight() === 0);
    expect(gaps(arrivals)).to.deep.equal([100, 250, 250]);
  });

  for (const [jitter, low, high] of [
    ['full', 0, 400],
    ['equal', 200, 400],
  ] as const) {
    it(`keeps ${jitter} jitter within ${low}..${high}ms for a 400ms step, and varies it`, async () => {
      const third: number[] = [];
      const { api, inFlight } = client({ baseDelay: 100, jitter, budget: false });
      for (let i = 0; i < 30; i++) {
        const arrivals = script([[503], [503], [503], [200]]);
        await drive(clock, api.get('/x'), () => inFlight() === 0);
        third.push(gaps(arrivals)[2] ?? -1);
      }
      for (const gap of third) expect(gap).to.be.within(low, high);
      expect(new Set(third).size).to.be.greaterThan(10);
    });
  }

  it('keeps decorrelated jitter within base..3·previous', async () => {
    const { api, inFlight } = client({ baseDelay: 100, jitter: 'decorrelated', maxDelay: 10_000, budget: false });
    for (let i = 0; i < 20; i++) {
      const arrivals = script([[503], [503], [503], [200]]);
      await drive(clock, api.get('/x'), () => inFlight() === 0);
      let previous = 100;
      for (const gap of gaps(arrivals)) {
        expect(gap).to.be.within(100, 3 * previous);
        previous = gap;
      }
    }
  });

  it('waits the Retry-After seconds, spread at most 20% above, instead of the backoff', async () => {
    const arrivals = script([[429, { 'Retry-After': '2' }], [200]]);
    const { api, inFlight } = client({ baseDelay: 10, jitter: 'none' });
    await drive(clock, api.get('/x'), () => inFlight() === 0);
    expect(gaps(arrivals)[0]).to.be.within(2000, 2400);
  });

  it('waits until the Retry-After HTTP-date', async () => {
    const when = new Date(Date.now() + 5000).toUTCString();
    const arrivals = script([[503, { 'Retry-After': when }], [200]]);
    const { api, inFlight } = client({ baseDelay: 10, jitter: 'none' });
    await drive(clock, api.get('/x'), () => inFlight() === 0);
    expect(gaps(arrivals)[0]).to.be.within(5000, 6000);
  });

  it('falls back to the backoff for a garbage or negative Retry-After', async () => {
    const arrivals = script([[503, { 'Retry-After': 'in a while' }], [503, { 'Retry-After': '-4' }], [200]]);
    const { api, inFlight } = client({ baseDelay: 50, jitter: 'none' });
    await drive(clock, api.get('/x'), () => inFlight() === 0);
    expect(gaps(arrivals)).to.deep.equal([50, 100]);
  });

  it('gives up at once on a Retry-After above maxRetryAfter, scheduling nothing', async () => {
    const arrivals = script([[503, { 'Retry-After': '3600' }], [200]]);
    const { api, inFlight } = client();
    const { error } = await drive(clock, api.get('/x'), () => inFlight() === 0);
    expect(arrivals).to.deep.equal([0]);
    expect(getRetryState(error)?.stopReason).to.equal('retry-after-too-long');
  });

  it('gives up at once on a Retry-After past the deadline', async () => {
    const arrivals = script([[503, { 'Retry-After': '10' }], [200]]);
    const { api, inFlight } = client({ deadline: 5000 });
    const { error } = await drive(clock, api.get('/x'), () => inFlight() === 0);
    expect(arrivals).to.have.length(1);
    expect(Date.now()).to.equal(0);
    expect(getRetryState(error)?.stopReason).to.equal('deadline');
  });

  it('schedules no retry whose wait would pass the deadline', async () => {
    const arrivals = script([[503], [503], [503], [200]]);
    const { api, inFlight } = client({ baseDelay: 400, jitter: 'none', deadline: 1000 });
    const { error } = await drive(clock, api.get('/x'), () => inFlight() === 0);
    // Waits 400, then the next 800 would end at 1200 > 1000: stop at 400.
    expect(arrivals).to.deep.equal([0, 400]);
    expect(getRetryState(error)?.stopReason).to.equal('deadline');
  });

  it('cancels a backoff wait at once on abort: CanceledError, timer cleared, nothing more sent', async () => {
    const arrivals = script([[503], [200]]);
    const controller = new AbortController();
    let waiting = false;
    const { api } = client({
      baseDelay: 10_000,
      jitter: 'none',
      onRetry: () => {
        waiting = true;
      },
    });
    const call = outcome(api.get('/x', { signal: controller.signal }));
    await until(() => waiting);
    await idle();
    expect(clock.countTimers()).to.equal(1);
    controller.abort();
    const { error } = await call;
    expect(error).to.be.instanceOf(CanceledError);
    expect(getRetryState(error)?.stopReason).to.equal('aborted');
    expect(clock.countTimers()).to.equal(0);
    expect(Date.now()).to.equal(0);
    await clock.tickAsync(20_000);
    expect(arrivals).to.have.length(1);
  });

  it('does not retry when the signal was aborted during the failed attempt', async () => {
    const controller = new AbortController();
    nock(ORIGIN)
      .get('/x')
      .reply(() => {
        controller.abort();
        return [503];
      });
    const { api, inFlight } = client({ baseDelay: 100 });
    const { error } = await drive(clock, api.get('/x', { signal: controller.signal }), () => inFlight() === 0);
    expect(getRetryState(error)?.stopReason).to.equal('aborted');
    expect(clock.countTimers()).to.equal(0);
  });
});
