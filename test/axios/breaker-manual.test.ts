import { expect } from 'chai';
import nock from 'nock';
import type { CircuitTransition } from '../../lib/index.js';
import { CircuitBreaker, CircuitOpenError, getRetryState, retry } from '../../lib/index.js';
import { client, ORIGIN, outcome, recordingLogger } from '../helpers.js';

describe('a circuit isolated, reset or restored, through the interceptors and retry(fn) (nock)', () => {
  it('fails fast on an isolated origin never seen, sending nothing, until reset', async () => {
    const breaker = new CircuitBreaker();
    const changes: CircuitTransition[] = [];
    const logger = recordingLogger();
    const { api, handle } = client({ circuitBreaker: breaker, logger, onCircuitStateChange: (c) => changes.push(c) });
    const scope = nock(ORIGIN).get('/x').reply(200, 'ok');

    expect(breaker.isolate(ORIGIN)).to.deep.equal({ key: ORIGIN, from: 'closed', to: 'isolated' });
    const { error } = await outcome(api.get('/x'));
    expect(error).to.be.instanceOf(CircuitOpenError).and.include({ key: ORIGIN, code: 'ERR_CIRCUIT_OPEN' });
    expect((error as CircuitOpenError).retryAfterMs).to.equal(Number.POSITIVE_INFINITY);
    expect((error as CircuitOpenError).message).to.equal(
      `axios-rebound: circuit for ${ORIGIN} is isolated until reset`,
    );
    expect(getRetryState(error)?.stopReason).to.equal('circuit-open');
    expect(scope.isDone(), 'nothing sent').to.equal(false);
    expect(handle.stats()).to.deep.include({
      giveUps: { 'circuit-open': 1 },
      circuits: { [ORIGIN]: { state: 'isolated', consecutiveFailures: 0 } },
    });

    expect(breaker.reset(ORIGIN)).to.deep.equal({ key: ORIGIN, from: 'isolated', to: 'closed' });
    expect((await api.get('/x')).data).to.equal('ok');
    expect(scope.isDone()).to.equal(true);
    expect(changes, 'manual changes are returned, not reported to instances').to.deep.equal([]);
    expect(logger.lines.filter(({ line }) => line.startsWith('axios-rebound: circuit '))).to.deep.equal([]);
  });

  it('keeps a restored open circuit open for its remaining time only, then probes and closes', async () => {
    let time = 0;
    const state = {
      version: 1,
      circuits: { [ORIGIN]: { state: 'open', remainingOpenMs: 5000, openMs: 30_000 } },
    } as const;
    const breaker = new CircuitBreaker({ now: () => time, initialState: state });
    const changes: CircuitTransition[] = [];
    const { api } = client({ retries: 0, circuitBreaker: breaker, onCircuitStateChange: (c) => changes.push(c) });
    const scope = nock(ORIGIN).get('/x').reply(200, 'ok');

    time = 4999;
    const { error } = await outcome(api.get('/x'));
    expect(error).to.be.instanceOf(CircuitOpenError).with.property('retryAfterMs', 1);
    expect(scope.isDone()).to.equal(false);
    time = 5000;
    expect((await api.get('/x')).data).to.equal('ok');
    expect(changes).to.deep.equal([
      { key: ORIGIN, from: 'open', to: 'half-open' },
      { key: ORIGIN, from: 'half-open', to: 'closed' },
    ]);
  });

  it('under retry(fn), an isolated name fails fast without calling the function, until reset', async () => {
    const breaker = new CircuitBreaker();
    let calls = 0;
    const fn = () => {
      calls += 1;
      return 'done';
    };
    breaker.isolate('search');
    const { error } = await outcome(retry(fn, { circuitBreaker: breaker, name: 'search' }));
    expect(error).to.be.instanceOf(CircuitOpenError).with.property('retryAfterMs', Number.POSITIVE_INFINITY);
    expect(calls).to.equal(0);
    expect(await retry(fn, { circuitBreaker: breaker, name: 'other' })).to.equal('done');
    breaker.reset('search');
    expect(await retry(fn, { circuitBreaker: breaker, name: 'search' })).to.equal('done');
    expect(calls).to.equal(2);
  });
});
