import axios, { AxiosError } from 'axios';
import { expect } from 'chai';
import nock from 'nock';
import type { CircuitTransition } from '../../lib/index.js';
import { attachRetry, CircuitBreaker, CircuitOpenError, getRetryState, RetryBudget } from '../../lib/index.js';
import { client, ORIGIN, outcome, recordingLogger } from '../helpers.js';

/** Every request to the origin gets `status`; returns the number the server received. */
function outage(status = 503): () => number {
  let received = 0;
  const reply = (): [number, string] => {
    received += 1;
    return [status, 'down'];
  };
  nock(ORIGIN).persist().get(/.*/).reply(reply).post(/.*/).reply(reply);
  return () => received;
}

describe('budget and breaker through the interceptors (nock)', () => {
  describe('retry budget', () => {
    const CALLERS = 200;

    it('without a budget, a full outage costs retries + 1 requests per caller', async () => {
      const received = outage();
      const { api } = client({ retries: 3, budget: false });
      await Promise.all(Array.from({ length: CALLERS }, () => outcome(api.get('/x'))));
      expect(received()).to.equal(CALLERS * 4);
    });

    it('with a budget, a full outage costs at most (1 + ratio) per caller plus the floor', async () => {
      const received = outage();
      const logger = recordingLogger();
      const budget = new RetryBudget({ ratio: 0.2, minRetriesPerSecond: 1, windowMs: 10_000 });
      const { api, handle } = client({ retries: 3, budget, logger });
      const results = await Promise.all(Array.from({ length: CALLERS }, () => outcome(api.get('/x'))));
      const floor = 1; // one retry in the second this outage lasts
      expect(received()).to.be.within(CALLERS, CALLERS * 1.2 + floor);
      expect(received()).to.equal(CALLERS + CALLERS * 0.2 + floor);
      const reasons = results.map((r) => getRetryState(r.error)?.stopReason);
      expect(reasons.filter((r) => r === 'budget').length).to.be.greaterThan(CALLERS / 2);
      expect(results.every((r) => r.error instanceof AxiosError && r.error.response?.status === 503)).to.equal(true);
      const budgetWarnings = logger.lines.filter((l) => l.line.includes('retry budget exhausted'));
      expect(budgetWarnings).to.have.length(1);
      expect(handle.stats().giveUps.budget).to.equal(reasons.filter((r) => r === 'budget').length);
    });

    it('is shared by instances given the same RetryBudget', async () => {
      outage();
      const budget = new RetryBudget({ ratio: 0, minRetriesPerSecond: 3 }); // 3 retries in this second
      const a = client({ retries: 1, budget });
      const b = client({ retries: 1, budget });
      for (let i = 0; i < 3; i++) await outcome(a.api.get('/x'));
      const { error } = await outcome(b.api.get('/x'));
      expect(getRetryState(error)).to.include({ attempt: 1, stopReason: 'budget' });
      expect(a.handle.stats().retries).to.equal(3);
    });

    it('can be switched off per request', async () => {
      const received = outage();
      const budget = new RetryBudget({ ratio: 0, minRetriesPerSecond: 0 });
      const { api } = client({ retries: 2, budget });
      await outcome(api.get('/x', { retry: { budget: false } }));
      expect(received()).to.equal(3);
    });
  });

  describe('circuit breaker', () => {
    it('is off by default, and on with a CircuitBreaker of your own (true is refused: it would bundle the breaker)', () => {
      expect(client().handle.options.circuitBreaker).to.equal(false);
      const breaker = new CircuitBreaker();
      expect(client({ circuitBreaker: breaker }).handle.options.circuitBreaker).to.equal(breaker);
      expect(() => client({ circuitBreaker: true })).to.throw(
        TypeError,
        'option "circuitBreaker" must be a CircuitBreaker or false under attachRetry, got true',
      );
    });

    it('refuses circuitBreaker: true per request too, before anything is sent', async () => {
      const { api } = client();
      const scope = nock(ORIGIN).get('/x').reply(200);
      const { error } = await outcome(api.get('/x', { retry: { circuitBreaker: true } }));
      expect(error).to.be.instanceOf(TypeError).with.property('message').that.contains('new CircuitBreaker()');
      expect(scope.isDone()).to.equal(false);
      nock.cleanAll();
    });

    it('fails fast once open, sending nothing: CircuitOpenError, an AxiosError with the config and retryAfterMs', async () => {
      const received = outage();
      const { api, handle } = client({
        retries: 0,
        circuitBreaker: new CircuitBreaker({ failureThreshold: 2, openMs: 5000 }),
      });
      await outcome(api.get('/a'));
      await outcome(api.get('/b'));
      expect(received()).to.equal(2);
      const { error } = await outcome(api.get('/c', { headers: { 'X-Request-ID': 'r1' } }));
      expect(received()).to.equal(2);
      expect(error).to.be.instanceOf(CircuitOpenError);
      expect(error).to.be.instanceOf(AxiosError);
      expect(axios.isAxiosError(error)).to.equal(true);
      const open = error as CircuitOpenError;
      expect(open.code).to.equal('ERR_CIRCUIT_OPEN');
      expect(open.key).to.equal(ORIGIN);
      expect(open.retryAfterMs).to.be.within(1, 5000);
      expect(open.config?.url).to.equal('/c');
      expect(getRetryState(error)).to.include({ attempt: 0, stopReason: 'circuit-open' });
      expect(handle.stats().circuits[ORIGIN]).to.include({ state: 'open', consecutiveFailures: 2 });
    });

    it('stops a retry that falls due while the circuit is open, with the last real error', async () => {
      const received = outage();
      const { api } = client({
        retries: 5,
        budget: false,
        circuitBreaker: new CircuitBreaker({ failureThreshold: 3 }),
      });
      const { error } = await outcome(api.get('/x'));
      expect(received()).to.equal(3);
      expect((error as AxiosError).response?.status).to.equal(503);
      expect(getRetryState(error)).to.include({ attempt: 3, stopReason: 'circuit-open' });
    });

    it('is not tripped by the caller’s 4xx, and is tripped by a POST’s 503 even though that is not retried', async () => {
      const breaker = new CircuitBreaker({ failureThreshold: 2 });
      const { api } = client({ circuitBreaker: breaker });
      const received = outage(404);
      for (let i = 0; i < 10; i++) await outcome(api.get('/missing'));
      expect(received()).to.equal(10);
      // A circuit with nothing counted is not even kept.
      expect(breaker.snapshot()[ORIGIN]).to.equal(undefined);
      nock.cleanAll();
      outage(503);
      await outcome(api.post('/pay', {}));
      await outcome(api.post('/pay', {}));
      expect(breaker.snapshot()[ORIGIN]?.state).to.equal('open');
    });

    it('reports each state change to onCircuitStateChange and the logger', async () => {
      outage();
      const changes: CircuitTransition[] = [];
      const logger = recordingLogger();
      let now = 0;
      const { api } = client({
        retries: 0,
        logger,
        circuitBreaker: new CircuitBreaker({ failureThreshold: 1, openMs: 1000, now: () => now }),
        onCircuitStateChange: (change) => void changes.push(change),
      });
      await outcome(api.get('/x'));
      now = 1000;
      nock.cleanAll();
      nock(ORIGIN).get('/x').reply(200);
      await api.get('/x');
      expect(changes).to.deep.equal([
        { key: ORIGIN, from: 'closed', to: 'open' },
        { key: ORIGIN, from: 'open', to: 'half-open' },
        { key: ORIGIN, from: 'half-open', to: 'closed' },
      ]);
      const circuitLines = logger.lines.filter((l) => l.line.includes('circuit'));
      expect(circuitLines.map((l) => [l.level, l.line])).to.deep.equal([
        ['warn', `axios-rebound: circuit ${ORIGIN} closed -> open`],
        ['info', `axios-rebound: circuit ${ORIGIN} open -> half-open`],
        ['info', `axios-rebound: circuit ${ORIGIN} half-open -> closed`],
      ]);
    });

    it('keeps one circuit per origin for one instance', async () => {
      const breaker = new CircuitBreaker({ failureThreshold: 1 });
      const api = axios.create();
      attachRetry(api, { retries: 0, circuitBreaker: breaker });
      nock('http://down.test').get('/x').reply(503);
      nock('http://up.test').get('/x').times(2).reply(200);
      await outcome(api.get('http://down.test/x'));
      expect((await api.get('http://up.test/x')).status).to.equal(200);
      expect((await outcome(api.get('http://down.test/x'))).error).to.be.instanceOf(CircuitOpenError);
      expect((await api.get('http://up.test/x')).status).to.equal(200);
    });
  });

  describe('stats', () => {
    it('counts requests, attempts, retries, outcomes and give-ups, and shows budget and circuits', async () => {
      const { api, handle } = client({ retries: 2, circuitBreaker: new CircuitBreaker() });
      nock(ORIGIN).get('/ok').reply(200).get('/flaky').reply(503).get('/flaky').reply(200);
      nock(ORIGIN).get('/down').times(3).reply(503).get('/missing').reply(404);
      await api.get('/ok');
      await api.get('/flaky');
      await outcome(api.get('/down'));
      await outcome(api.get('/missing'));
      await outcome(api.get('/unmanaged', { retry: false }));
      const stats = handle.stats();
      expect(stats).to.deep.include({
        requests: 4,
        attempts: 7,
        retries: 3,
        successes: 2,
        failures: 2,
        giveUps: { 'retries-exhausted': 1, 'not-retryable': 1 },
      });
      // 0.2 × 4 first attempts earn no whole retry, so the 3 retries came from this second's floor of 10.
      expect(stats.budget).to.deep.equal({ available: 7, window: { ms: 10_000, firstAttempts: 4, retries: 3 } });
      // /down failed 3 times; the 404 after it is the caller's mistake and resets nothing.
      expect(stats.circuits).to.deep.equal({ [ORIGIN]: { state: 'closed', consecutiveFailures: 3 } });
      expect(JSON.parse(JSON.stringify(stats))).to.deep.equal(stats);
    });
  });
});
