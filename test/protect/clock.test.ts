import { expect } from 'chai';
import type sinon from 'sinon';
import { nonDecreasing } from '../../lib/clock.js';
import { CircuitBreaker, RetryBudget } from '../../lib/index.js';
import { fakeTime, HOUR } from '../fake-time.js';

describe('durations on a monotonic clock', () => {
  describe('nonDecreasing', () => {
    it('passes a clock that moves forward through unchanged', () => {
      const times = [5, 5, 7, 100];
      const now = nonDecreasing(() => times.shift() ?? 0);
      expect([now(), now(), now(), now()]).to.deep.equal([5, 5, 7, 100]);
    });

    it('goes on from where it was when the clock steps back, instead of waiting for it to catch up', () => {
      const times = [1000, 1500, -HOUR, -HOUR + 200, -HOUR + 1200];
      const now = nonDecreasing(() => times.shift() ?? 0);
      expect(Array.from({ length: 5 }, now)).to.deep.equal([1000, 1500, 1500, 1700, 2700]);
    });
  });

  describe('across a wall-clock step (fake timers)', () => {
    let clock: sinon.SinonFakeTimers;
    beforeEach(() => {
      clock = fakeTime();
    });
    afterEach(() => clock.restore());

    const stepWallClock = (ms: number) => clock.setSystemTime(Date.now() + ms);
    const drain = (budget: RetryBudget) => {
      let granted = 0;
      while (granted < 100 && budget.tryRetry()) granted += 1;
      return granted;
    };
    const KEY = 'http://api.test';
    const open = (breaker: CircuitBreaker) => expect(breaker.record(KEY, 'failure', false)).to.include({ to: 'open' });

    it('refills the budget floor a second later after the wall clock steps back, even on an injected Date.now', () => {
      const budget = new RetryBudget({ ratio: 0, minRetriesPerSecond: 2, now: Date.now });
      expect(drain(budget)).to.equal(2);
      stepWallClock(-HOUR);
      expect(budget.available()).to.equal(0);
      clock.tick(999);
      expect(budget.available()).to.equal(0);
      clock.tick(1);
      expect(drain(budget)).to.equal(2);
    });

    it('half-opens a circuit after openMs though the wall clock stepped back an hour, even on an injected Date.now', () => {
      const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 1000, now: Date.now });
      open(breaker);
      stepWallClock(-HOUR);
      expect(breaker.acquire(KEY)).to.deep.equal({ allowed: false, retryAfterMs: 1000 });
      clock.tick(999);
      expect(breaker.acquire(KEY)).to.deep.equal({ allowed: false, retryAfterMs: 1 });
      clock.tick(1);
      expect(breaker.acquire(KEY)).to.include({ allowed: true, probe: true });
    });

    it('with the default clock, ignores wall-clock steps either way: budget floor', () => {
      const budget = new RetryBudget({ ratio: 0, minRetriesPerSecond: 2 });
      expect(drain(budget)).to.equal(2);
      stepWallClock(HOUR);
      expect(budget.available()).to.equal(0);
      clock.tick(500);
      stepWallClock(-2 * HOUR);
      clock.tick(499);
      expect(budget.available()).to.equal(0);
      clock.tick(1);
      expect(budget.available()).to.equal(2);
    });

    it('with the default clock, ignores wall-clock steps either way: open time', () => {
      const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 1000 });
      open(breaker);
      stepWallClock(HOUR);
      expect(breaker.acquire(KEY)).to.deep.equal({ allowed: false, retryAfterMs: 1000 });
      stepWallClock(-2 * HOUR);
      clock.tick(999);
      expect(breaker.acquire(KEY)).to.deep.equal({ allowed: false, retryAfterMs: 1 });
      clock.tick(1);
      expect(breaker.acquire(KEY)).to.include({ allowed: true, probe: true });
    });

    it('shows openUntil in wall-clock time, for people reading stats', () => {
      const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 1000 });
      open(breaker);
      stepWallClock(-HOUR);
      expect(breaker.snapshot()[KEY]).to.deep.equal({
        state: 'open',
        consecutiveFailures: 1,
        openUntil: Date.now() + 1000,
      });
    });
  });
});
