import { expect } from 'chai';
import type { FailureFacts } from '../../lib/decide/decision.js';
import { decide } from '../../lib/decide/decision.js';
import { normalizeOptions } from '../../lib/decide/options.js';

/** A 503 that carries `Retry-After: value`, as decide reads it. */
const retryAfter = (value: unknown) => ({
  status: 503,
  headers: (name: string) => (name === 'retry-after' ? value : undefined),
});

const facts = (overrides: Partial<FailureFacts> = {}): FailureFacts => ({
  attempt: 1,
  canceled: false,
  deadlineReached: false,
  retryable: true,
  bodyReplayable: true,
  response: undefined,
  previousDelay: undefined,
  elapsedMs: 0,
  wallNow: 1_000_000,
  ...overrides,
});
const options = normalizeOptions({ jitter: 'none', baseDelay: 100 });
const half = () => 0.5;

describe('decide', () => {
  it('retries a retryable failure after the backoff delay', () => {
    expect(decide(facts({ attempt: 2 }), options)).to.deep.equal({ retry: true, delayMs: 200, scheduled: false });
  });

  it('stops with the reason that applies first', () => {
    expect(decide(facts({ canceled: true, retryable: false }), options)).to.deep.equal({
      retry: false,
      reason: 'aborted',
    });
    expect(decide(facts({ deadlineReached: true }), options)).to.deep.equal({ retry: false, reason: 'deadline' });
    expect(decide(facts({ retryable: false }), options)).to.deep.equal({ retry: false, reason: 'not-retryable' });
    expect(decide(facts({ attempt: 4 }), options)).to.deep.equal({ retry: false, reason: 'retries-exhausted' });
    expect(decide(facts({ bodyReplayable: false }), options)).to.deep.equal({
      retry: false,
      reason: 'body-not-replayable',
    });
  });

  it('waits at least the Retry-After, spread up to 20% above it', () => {
    expect(decide(facts({ response: retryAfter('10') }), options, () => 0)).to.deep.equal({
      retry: true,
      delayMs: 10_000,
      scheduled: false,
    });
    expect(decide(facts({ response: retryAfter('10') }), options, half)).to.deep.equal({
      retry: true,
      delayMs: 11_000,
      scheduled: false,
    });
    expect(decide(facts({ response: retryAfter('10') }), options, () => 0.999999)).to.deep.equal({
      retry: true,
      delayMs: 12_000,
      scheduled: false,
    });
  });

  it('keeps the backoff when Retry-After is 0, past, garbage or ignored', () => {
    for (const value of ['0', 'Thu, 01 Jan 1970 00:00:00 GMT', 'soon', '-3']) {
      expect(decide(facts({ attempt: 2, response: retryAfter(value) }), options), value).to.deep.equal({
        retry: true,
        delayMs: 200,
        scheduled: false,
      });
    }
    const ignoring = normalizeOptions({ respectRetryAfter: false, jitter: 'none', baseDelay: 100 });
    expect(decide(facts({ response: retryAfter('30') }), ignoring)).to.deep.equal({
      retry: true,
      delayMs: 100,
      scheduled: false,
    });
  });

  it('gives up at once on a Retry-After above maxRetryAfter', () => {
    expect(decide(facts({ response: retryAfter('61') }), options)).to.deep.equal({
      retry: false,
      reason: 'retry-after-too-long',
    });
    expect(decide(facts({ response: retryAfter('60') }), options, () => 0)).to.deep.equal({
      retry: true,
      delayMs: 60_000,
      scheduled: false,
    });
  });

  it('never schedules a wait that passes the deadline', () => {
    const bounded = normalizeOptions({ jitter: 'none', baseDelay: 100, deadline: 1000 });
    expect(decide(facts({ elapsedMs: 800 }), bounded)).to.deep.equal({ retry: true, delayMs: 100, scheduled: false });
    expect(decide(facts({ elapsedMs: 900 }), bounded)).to.deep.equal({ retry: false, reason: 'deadline' });
    expect(decide(facts({ response: retryAfter('2') }), bounded)).to.deep.equal({ retry: false, reason: 'deadline' });
  });

  it('calls a retry scheduled only when a 429 said when to come back', () => {
    const status = (code: number, value: unknown) => ({ ...retryAfter(value), status: code });
    const scheduled = (response: FailureFacts['response']) => {
      const decision = decide(facts({ response }), options, () => 0);
      return decision.retry && decision.scheduled;
    };
    expect(scheduled(status(429, '2'))).to.equal(true);
    expect(scheduled(status(429, undefined))).to.equal(false);
    expect(scheduled(status(429, '0'))).to.equal(false);
    expect(scheduled(status(503, '2'))).to.equal(false);
    expect(scheduled(undefined)).to.equal(false);
  });
});
