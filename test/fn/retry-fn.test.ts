import axios from 'axios';
import { expect } from 'chai';
import nock from 'nock';
import type sinon from 'sinon';
import type { AttemptInfo } from '../../lib/index.js';
import {
  attachRetry,
  CircuitBreaker,
  CircuitOpenError,
  getRetryState,
  RetryBudget,
  retry,
  withRetry,
} from '../../lib/index.js';
import { drive, fakeClock, ORIGIN, outcome, recordingLogger } from '../helpers.js';

/** A function that fails `failures` times with `error`, then returns 'done'; it notes when it ran. */
function flaky(failures: number, error: () => unknown = () => new Error('boom')) {
  const calls: { at: number; info: AttemptInfo }[] = [];
  const fn = (info: AttemptInfo) => {
    calls.push({ at: Date.now(), info });
    if (calls.length <= failures) throw error();
    return 'done';
  };
  return { fn, calls };
}

describe('retry(fn) and withRetry (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = fakeClock();
  });
  afterEach(() => clock.restore());
  const settle = <T>(p: Promise<T>) => drive(clock, p, () => true);

  it('retries any failure with the same backoff as the interceptor, and returns the value', async () => {
    const { fn, calls } = flaky(3);
    const { value } = await settle(retry(fn, { baseDelay: 100, jitter: 'none', budget: false }));
    expect(value).to.equal('done');
    expect(calls.map((c) => c.at)).to.deep.equal([0, 100, 300, 700]);
    expect(calls.map((c) => c.info.attempt)).to.deep.equal([1, 2, 3, 4]);
  });

  it('rejects with the last error, whose story getRetryState tells', async () => {
    const { fn, calls } = flaky(10, () => Object.assign(new Error('unavailable'), { code: 'EUNAVAILABLE' }));
    const { error } = await settle(retry(fn, { retries: 2, baseDelay: 1, budget: false }));
    expect((error as Error).message).to.equal('unavailable');
    expect(calls).to.have.length(3);
    const state = getRetryState(error);
    expect(state).to.include({ attempt: 3, retries: 2, stopReason: 'retries-exhausted' });
    expect(state?.history.map((h) => h.code)).to.deep.equal(['EUNAVAILABLE', 'EUNAVAILABLE', 'EUNAVAILABLE']);
  });

  it('does not retry an abort, and a shouldRetry decides the rest', async () => {
    const aborted = flaky(5, () => Object.assign(new Error('stop'), { name: 'AbortError' }));
    const first = await settle(retry(aborted.fn, { budget: false }));
    expect(aborted.calls).to.have.length(1);
    expect(getRetryState(first.error)?.stopReason).to.equal('aborted');

    const picky = flaky(5, () => new TypeError('bad input'));
    const second = await settle(retry(picky.fn, { shouldRetry: ({ error }) => !(error instanceof TypeError) }));
    expect(picky.calls).to.have.length(1);
    expect(getRetryState(second.error)?.stopReason).to.equal('not-retryable');
  });

  it('gives each attempt a signal that aborts at attemptTimeout, and stops waiting for a function that ignores it', async () => {
    const signals: AbortSignal[] = [];
    const { error } = await settle(
      retry(
        ({ signal }) => {
          signals.push(signal);
          return new Promise(() => {}); // never settles, ignores the signal
        },
        { attemptTimeout: 50, retries: 1, baseDelay: 10, jitter: 'none', budget: false },
      ),
    );
    expect((error as Error).message).to.equal('attempt timeout of 50ms exceeded');
    expect(signals.map((s) => s.aborted)).to.deep.equal([true, true]);
    expect(Date.now()).to.equal(110);
    expect(clock.countTimers()).to.equal(0);
  });

  it('keeps the deadline and cancels a wait when the caller aborts', async () => {
    const slow = flaky(10);
    const { error } = await settle(retry(slow.fn, { deadline: 1000, baseDelay: 400, jitter: 'none', budget: false }));
    expect(getRetryState(error)?.stopReason).to.equal('deadline');
    expect(slow.calls.map((c) => c.at)).to.deep.equal([0, 400]);

    const controller = new AbortController();
    const waiting = flaky(10);
    const call = outcome(
      retry(waiting.fn, {
        signal: controller.signal,
        baseDelay: 10_000,
        budget: false,
        onRetry: () => {
          controller.abort();
        },
      }),
    );
    const { error: abortError } = await call;
    expect((abortError as Error).name).to.equal('AbortError');
    expect(getRetryState(abortError)?.stopReason).to.equal('aborted');
    expect(clock.countTimers()).to.equal(0);
  });

  it('shares one budget with the interceptor: one engine, one budget', async () => {
    const budget = new RetryBudget({ ratio: 0, minRetriesPerSecond: 2 });
    const api = axios.create({ baseURL: ORIGIN });
    attachRetry(api, { budget, baseDelay: 0 });
    nock(ORIGIN).get('/x').reply(503).get('/x').reply(503).get('/x').reply(200);
    await drive(clock, api.get('/x'), () => true);
    const { fn, calls } = flaky(5);
    const { error } = await settle(retry(fn, { budget, baseDelay: 0 }));
    expect(calls).to.have.length(1);
    expect(getRetryState(error)?.stopReason).to.equal('budget');
  });

  it('fails fast through a shared breaker once it is open', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2 });
    const { fn, calls } = flaky(10);
    await settle(retry(fn, { circuitBreaker: breaker, retries: 5, baseDelay: 0, budget: false, name: 'search' }));
    expect(calls).to.have.length(2);
    const { error } = await settle(retry(fn, { circuitBreaker: breaker, name: 'search' }));
    expect(error).to.be.instanceOf(CircuitOpenError);
    expect(calls).to.have.length(2);
  });

  it('logs and calls hooks as the interceptor does, with no request config', async () => {
    const logger = recordingLogger();
    const seen: unknown[] = [];
    const { fn } = flaky(1);
    await settle(
      retry(fn, {
        name: 'embed',
        logger,
        baseDelay: 5,
        jitter: 'none',
        onRetry: ({ config, attempt }) => void seen.push([config, attempt]),
      }),
    );
    expect(seen).to.deep.equal([[undefined, 1]]);
    expect(logger.lines.map((l) => l.line)).to.deep.equal([
      'axios-rebound: embed attempt 1/4 failed (Error in 0ms); retrying in 5ms',
      'axios-rebound: embed attempt 2/4 succeeded (in 0ms) after 1 retry, 5ms in total',
    ]);
  });

  it('withRetry wraps a function with the same signature, sharing a budget and stats between calls', async () => {
    let failures = 1;
    const embed = withRetry(
      async (text: string, dims: number) => {
        if (failures-- > 0) throw new Error('flaky');
        return `${text}:${dims}`;
      },
      { baseDelay: 0 },
    );
    const { value } = await settle(embed('hello', 3));
    expect(value).to.equal('hello:3');
    await settle(embed('again', 4));
    expect(embed.stats()).to.deep.include({ requests: 2, attempts: 3, retries: 1, successes: 2 });
  });

  it('rejects bad options with a TypeError naming them', () => {
    expect(() => retry(() => 1, { retries: -1 })).to.throw(TypeError, /"retries"/);
  });
});
