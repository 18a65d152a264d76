import { expect } from 'chai';
import type sinon from 'sinon';
import type { AttemptVerdict } from '../../lib/index.js';
import { CircuitBreaker } from '../../lib/index.js';
import { fakeTime } from '../fake-time.js';

const origin = (i: number) => `https://customer-${i}.example`;

describe('CircuitBreaker keeps only the circuits that hold something, within bounds (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = fakeTime();
  });
  afterEach(() => clock.restore());

  const call = (breaker: CircuitBreaker, key: string, verdict: AttemptVerdict) => {
    const admission = breaker.acquire(key);
    return admission.allowed ? breaker.record(key, verdict, admission.probe) : undefined;
  };
  const kept = (breaker: CircuitBreaker) => Object.keys(breaker.snapshot());

  it('keeps no circuit for 100 000 origins that each answered once', () => {
    const breaker = new CircuitBreaker();
    for (let i = 0; i < 100_000; i++) call(breaker, origin(i), 'success');
    for (let i = 0; i < 100; i++) call(breaker, origin(i), 'neutral');
    expect(kept(breaker)).to.have.length(0);
  });

  it('in rate mode keeps successes until they leave the window (they count against the rate), within maxCircuits', () => {
    const breaker = new CircuitBreaker({ failureRate: 0.5, windowMs: 1000 });
    for (let i = 0; i < 100_000; i++) call(breaker, origin(i), 'success');
    expect(kept(breaker)).to.have.length(1000);
    clock.tick(999);
    expect(kept(breaker)).to.have.length(1000);
    clock.tick(1);
    expect(kept(breaker)).to.have.length(0);
  });

  it('keeps at most maxCircuits failing origins, forgetting the least recently used first', () => {
    const breaker = new CircuitBreaker();
    for (let i = 0; i < 5000; i++) {
      call(breaker, origin(i), 'failure');
      call(breaker, origin(0), 'failure');
    }
    const keys = kept(breaker);
    expect(keys).to.have.length(1000);
    expect(keys).to.include.members([origin(0), origin(4999), origin(4001)]);
    expect(keys).not.to.include(origin(4000));
    expect(breaker.snapshot()[origin(0)]).to.include({ state: 'open' });
  });

  it('evicts closed circuits for room, never open ones: a new origin then goes untracked', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, maxCircuits: 2 });
    const strict = new CircuitBreaker({ failureThreshold: 2, maxCircuits: 2 });
    call(strict, origin(1), 'failure');
    call(strict, origin(1), 'failure');
    call(strict, origin(2), 'failure');
    call(strict, origin(3), 'failure');
    expect(strict.snapshot()).to.have.keys(origin(1), origin(3));
    expect(call(breaker, origin(1), 'failure')).to.include({ to: 'open' });
    expect(call(breaker, origin(2), 'failure')).to.include({ to: 'open' });
    expect(call(breaker, origin(3), 'failure')).to.equal(undefined);
    expect(breaker.acquire(origin(3))).to.deep.equal({ allowed: true, probe: false });
    expect(breaker.snapshot()).to.have.keys(origin(1), origin(2));
  });

  it('forgets a circuit unused for circuitIdleMs, and only then', () => {
    const breaker = new CircuitBreaker({ openMs: 1000, maxOpenMs: 1000, circuitIdleMs: 60_000 });
    for (let i = 0; i < 5; i++) call(breaker, origin(1), 'failure');
    call(breaker, origin(2), 'failure');
    clock.tick(59_999);
    expect(breaker.snapshot()).to.deep.equal({
      [origin(2)]: { state: 'closed', consecutiveFailures: 1 },
      [origin(1)]: { state: 'half-open', consecutiveFailures: 5 },
    });
    clock.tick(1);
    expect(kept(breaker)).to.have.length(0);
  });

  it('keeps an open circuit that callers keep asking for, however long', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 1000, maxOpenMs: 30_000, circuitIdleMs: 30_000 });
    call(breaker, origin(1), 'failure');
    for (let t = 0; t < 10; t++) {
      clock.tick(20_000);
      call(breaker, origin(1), 'failure');
    }
    expect(breaker.snapshot()[origin(1)]).to.include({ state: 'open' });
  });

  it('ignores the late answer of a probe whose circuit was forgotten, and still frees a neutral probe', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 1000, maxOpenMs: 1000, circuitIdleMs: 5000 });
    call(breaker, origin(1), 'failure');
    clock.tick(1000);
    expect(breaker.acquire(origin(1))).to.include({ allowed: true, probe: true });
    expect(breaker.record(origin(1), 'neutral', true)).to.equal(undefined);
    expect(breaker.acquire(origin(1))).to.include({ allowed: true, probe: true });
    clock.tick(5000);
    expect(breaker.record(origin(1), 'failure', true)).to.equal(undefined);
    expect(kept(breaker)).to.have.length(0);
  });
});
