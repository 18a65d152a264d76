import type { InternalAxiosRequestConfig } from 'axios';
import { expect } from 'chai';
import type sinon from 'sinon';
import { CircuitBreaker } from '../../lib/index.js';
import { originOf } from '../../lib/protect/origin.js';
import { fakeTime, WALL_START } from '../fake-time.js';

const KEY = 'http://api.test';

describe('CircuitBreaker (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = fakeTime();
  });
  afterEach(() => clock.restore());

  const fail = (breaker: CircuitBreaker, times: number) => {
    const transitions = [];
    for (let i = 0; i < times; i++) {
      const admission = breaker.acquire(KEY);
      if (!admission.allowed) break;
      transitions.push(breaker.record(KEY, 'failure', admission.probe));
    }
    return transitions.filter(Boolean);
  };
  const state = (breaker: CircuitBreaker) => breaker.snapshot()[KEY];

  it('has the documented defaults', () => {
    expect(new CircuitBreaker().options).to.include({
      failureThreshold: 5,
      failureRate: undefined,
      minimumRequests: 10,
      windowMs: 10_000,
      openMs: 30_000,
      maxOpenMs: 300_000,
      halfOpenProbes: 1,
      maxCircuits: 1000,
      circuitIdleMs: 600_000,
    });
    expect(new CircuitBreaker({ maxOpenMs: 3_600_000 }).options.circuitIdleMs).to.equal(3_600_000);
  });

  it('opens after failureThreshold consecutive failures; a success in between resets the count', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 3 });
    fail(breaker, 2);
    breaker.acquire(KEY);
    breaker.record(KEY, 'success', false);
    expect(state(breaker), 'nothing counted, nothing kept').to.equal(undefined);
    expect(fail(breaker, 2)).to.deep.equal([]);
    expect(state(breaker)).to.deep.equal({ state: 'closed', consecutiveFailures: 2 });
    expect(fail(breaker, 1)).to.deep.equal([{ key: KEY, from: 'closed', to: 'open' }]);
    expect(state(breaker)).to.deep.equal({ state: 'open', consecutiveFailures: 3, openUntil: WALL_START + 30_000 });
  });

  it('refuses while open, telling how long until a probe may go', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 1000 });
    fail(breaker, 1);
    clock.tick(400);
    expect(breaker.acquire(KEY)).to.deep.equal({ allowed: false, retryAfterMs: 600 });
  });

  it('goes half-open after openMs and lets halfOpenProbes through; a probe success closes it', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 1000, halfOpenProbes: 2 });
    fail(breaker, 1);
    clock.tick(1000);
    expect(breaker.acquire(KEY)).to.deep.equal({
      allowed: true,
      probe: true,
      ticket: 1,
      transition: { key: KEY, from: 'open', to: 'half-open' },
    });
    expect(breaker.acquire(KEY)).to.deep.equal({ allowed: true, probe: true, ticket: 1 });
    expect(breaker.acquire(KEY)).to.deep.equal({ allowed: false, retryAfterMs: 0 });
    expect(breaker.record(KEY, 'success', true)).to.deep.equal({ key: KEY, from: 'half-open', to: 'closed' });
    expect(state(breaker)).to.equal(undefined);
    // The other probe's late answer moves nothing.
    expect(breaker.record(KEY, 'failure', true)).to.equal(undefined);
    expect(breaker.acquire(KEY)).to.deep.equal({ allowed: true, probe: false });
  });

  it('reopens after a failed probe for twice as long, up to maxOpenMs, and starts over once closed', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 1000, maxOpenMs: 3000 });
    fail(breaker, 1);
    const openFor: number[] = [];
    for (let i = 0; i < 3; i++) {
      const until = state(breaker)?.openUntil ?? 0;
      openFor.push(until - Date.now());
      clock.tick(until - Date.now());
      expect(fail(breaker, 1)).to.deep.equal([{ key: KEY, from: 'half-open', to: 'open' }]);
    }
    expect(openFor).to.deep.equal([1000, 2000, 3000]);
    clock.tick(3000);
    const probe = breaker.acquire(KEY);
    expect(probe).to.include({ allowed: true, probe: true });
    breaker.record(KEY, 'success', true);
    fail(breaker, 1);
    expect((state(breaker)?.openUntil ?? 0) - Date.now()).to.equal(1000);
  });

  it('leaves a half-open circuit as it is on a neutral probe, freeing the probe slot', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 10 });
    fail(breaker, 1);
    clock.tick(10);
    expect(breaker.acquire(KEY)).to.include({ allowed: true });
    expect(breaker.record(KEY, 'neutral', true)).to.equal(undefined);
    expect(breaker.acquire(KEY)).to.include({ allowed: true, probe: true });
  });

  it('does not count neutral outcomes (the caller’s 4xx, a cancel) as failures', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2 });
    for (let i = 0; i < 10; i++) breaker.record(KEY, 'neutral', false);
    expect(state(breaker)).to.equal(undefined);
    fail(breaker, 1);
    for (let i = 0; i < 10; i++) breaker.record(KEY, 'neutral', false);
    expect(state(breaker)).to.deep.equal({ state: 'closed', consecutiveFailures: 1 });
  });

  it('in rate mode opens on failureRate of at least minimumRequests in the window', () => {
    const breaker = new CircuitBreaker({ failureRate: 0.5, minimumRequests: 10, windowMs: 1000 });
    const outcome = (verdict: 'success' | 'failure') => breaker.record(KEY, verdict, false);
    for (let i = 0; i < 4; i++) outcome('success');
    for (let i = 0; i < 5; i++) expect(outcome('failure'), `failure ${i + 1} of 9 requests`).to.equal(undefined);
    // 10 requests, 6 failed: over the rate.
    expect(outcome('failure')).to.deep.equal({ key: KEY, from: 'closed', to: 'open' });
  });

  it('in rate mode forgets failures that left the window', () => {
    const breaker = new CircuitBreaker({ failureRate: 0.5, minimumRequests: 4, windowMs: 1000 });
    breaker.record(KEY, 'failure', false);
    breaker.record(KEY, 'failure', false);
    breaker.record(KEY, 'failure', false);
    clock.tick(1100);
    breaker.record(KEY, 'success', false);
    breaker.record(KEY, 'success', false);
    breaker.record(KEY, 'success', false);
    expect(breaker.record(KEY, 'failure', false)).to.equal(undefined);
    expect(state(breaker)?.state).to.equal('closed');
  });

  it('in rate mode counts successes before the first failure: they dilute the rate', () => {
    const breaker = new CircuitBreaker({ failureRate: 0.5, minimumRequests: 4, windowMs: 1000 });
    for (let i = 0; i < 6; i++) breaker.record(KEY, 'success', false);
    for (let i = 0; i < 5; i++) expect(breaker.record(KEY, 'failure', false)).to.equal(undefined);
    expect(breaker.record(KEY, 'failure', false)).to.deep.equal({ key: KEY, from: 'closed', to: 'open' });
  });

  it('keeps one circuit per key, by default the origin of the request URL', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1 });
    const a = breaker.keyOf({ baseURL: 'http://a.test:8080/v1', url: '/x' } as InternalAxiosRequestConfig);
    const b = breaker.keyOf({ url: 'https://b.test/y?z=1' } as InternalAxiosRequestConfig);
    expect([a, b]).to.deep.equal(['http://a.test:8080', 'https://b.test']);
    breaker.record(a, 'failure', false);
    expect(breaker.acquire(a).allowed).to.equal(false);
    expect(breaker.acquire(b).allowed).to.equal(true);
    expect(originOf({ url: '/relative-without-base' })).to.equal('/relative-without-base');
  });

  it('rejects invalid settings by name', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0 })).to.throw(TypeError, /"failureThreshold"/);
    expect(() => new CircuitBreaker({ failureRate: 1.5 })).to.throw(TypeError, /"failureRate"/);
    expect(() => new CircuitBreaker({ openMs: 100, maxOpenMs: 50 })).to.throw(TypeError, /"maxOpenMs"/);
    expect(() => new CircuitBreaker({ halfOpenProbes: 1.5 })).to.throw(TypeError, /"halfOpenProbes"/);
    expect(() => new CircuitBreaker({ maxCircuits: 0 })).to.throw(TypeError, /"maxCircuits"/);
    expect(() => new CircuitBreaker({ circuitIdleMs: Number.NaN })).to.throw(TypeError, /"circuitIdleMs"/);
    expect(() => new CircuitBreaker({ maxOpenMs: 60_000, circuitIdleMs: 30_000 })).to.throw(
      TypeError,
      /"circuitIdleMs" must be >= maxOpenMs/,
    );
    expect(() => new CircuitBreaker({ toString: 1 } as never)).to.throw(TypeError, /unknown CircuitBreaker option/);
    expect(() => new CircuitBreaker({ treshold: 1 } as never)).to.throw(
      TypeError,
      /unknown CircuitBreaker option "treshold"/,
    );
  });
});
