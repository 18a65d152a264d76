import { expect } from 'chai';
import type sinon from 'sinon';
import { RetryBudget } from '../../lib/index.js';
import { fakeTime } from '../fake-time.js';

describe('RetryBudget (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = fakeTime();
  });
  afterEach(() => clock.restore());

  const drain = (budget: RetryBudget) => {
    let granted = 0;
    while (granted < 10_000 && budget.tryRetry()) granted += 1;
    return granted;
  };

  it('has the documented defaults', () => {
    expect(new RetryBudget().options).to.include({ ratio: 0.2, minRetriesPerSecond: 10, windowMs: 10_000 });
  });

  it('lets a quiet client retry at the floor rate: minRetriesPerSecond in any second, no more', () => {
    const budget = new RetryBudget({ ratio: 0.2, minRetriesPerSecond: 2, windowMs: 5000 });
    expect(budget.available()).to.equal(2);
    expect(drain(budget)).to.equal(2);
    expect(budget.tryRetry()).to.equal(false);
    // Unused floor does not pile up: after a quiet spell, still 2 in the next second.
    clock.tick(10_000);
    expect(budget.available()).to.equal(2);
    clock.tick(500);
    expect(drain(budget)).to.equal(2);
    clock.tick(1000);
    expect(budget.available()).to.equal(2);
  });

  it('spends what the ratio earned before the floor', () => {
    const budget = new RetryBudget({ ratio: 0.5, minRetriesPerSecond: 1 });
    for (let i = 0; i < 4; i++) budget.recordRequest();
    expect(budget.available()).to.equal(3);
    expect(drain(budget)).to.equal(3);
    expect(budget.snapshot().window).to.deep.include({ firstAttempts: 4, retries: 3 });
  });

  it('adds ratio of a retry for each first attempt', () => {
    const budget = new RetryBudget({ ratio: 0.2, minRetriesPerSecond: 0 });
    for (let i = 0; i < 100; i++) budget.recordRequest();
    expect(budget.available()).to.equal(20);
    expect(drain(budget)).to.equal(20);
    for (let i = 0; i < 4; i++) budget.recordRequest();
    expect(budget.available()).to.equal(0);
    budget.recordRequest();
    expect(budget.available()).to.equal(1);
  });

  it('forgets requests and retries once the window has slid past them', () => {
    const budget = new RetryBudget({ ratio: 0.5, minRetriesPerSecond: 0, windowMs: 1000 });
    for (let i = 0; i < 10; i++) budget.recordRequest();
    expect(drain(budget)).to.equal(5);
    clock.tick(500);
    for (let i = 0; i < 10; i++) budget.recordRequest();
    expect(budget.available()).to.equal(5);
    // The first batch (and the 5 retries taken against it) leaves the window; the second stays.
    clock.tick(600);
    expect(budget.snapshot().window).to.deep.equal({ ms: 1000, firstAttempts: 10, retries: 0 });
    expect(budget.available()).to.equal(5);
    clock.tick(1000);
    expect(budget.snapshot()).to.deep.equal({ available: 0, window: { ms: 1000, firstAttempts: 0, retries: 0 } });
  });

  it('keeps O(1) state however many requests pass', () => {
    const budget = new RetryBudget({ ratio: 0.1, minRetriesPerSecond: 0, windowMs: 1000 });
    for (let i = 0; i < 200_000; i++) {
      budget.recordRequest();
      if (i % 1000 === 0) clock.tick(7);
    }
    // 1000 requests every 7 ms for 1.4 s: the window (exact to a slot, 100 ms) holds 0.9–1 s of them.
    expect(budget.snapshot().window.firstAttempts).to.be.within((900 / 7) * 1000, (1000 / 7) * 1000 + 1000);
  });

  it('says to warn of refusals at most once per window', () => {
    const budget = new RetryBudget({ windowMs: 1000 });
    expect([budget.shouldWarnOfRefusal(), budget.shouldWarnOfRefusal()]).to.deep.equal([true, false]);
    clock.tick(999);
    expect(budget.shouldWarnOfRefusal()).to.equal(false);
    clock.tick(1);
    expect(budget.shouldWarnOfRefusal()).to.equal(true);
  });

  it('runs on an injected clock, for simulations', () => {
    let now = 0;
    const budget = new RetryBudget({ ratio: 1, minRetriesPerSecond: 0, windowMs: 100, now: () => now });
    budget.recordRequest();
    expect(budget.available()).to.equal(1);
    now = 150;
    expect(budget.available()).to.equal(0);
  });

  it('rejects invalid settings by name', () => {
    expect(() => new RetryBudget({ ratio: -0.1 })).to.throw(TypeError, /"ratio"/);
    expect(() => new RetryBudget({ minRetriesPerSecond: NaN })).to.throw(TypeError, /"minRetriesPerSecond"/);
    expect(() => new RetryBudget({ windowMs: 0 })).to.throw(TypeError, /"windowMs"/);
    expect(() => new RetryBudget({ windowsMs: 5 } as never)).to.throw(
      TypeError,
      /unknown RetryBudget option "windowsMs"/,
    );
  });
});
