import type { AxiosError } from 'axios';
import { expect } from 'chai';
import nock from 'nock';
import type { GiveUpContext, RetryEventContext } from '../../lib/index.js';
import { getRetryState } from '../../lib/index.js';
import { client, netError, ORIGIN, outcome, recordingLogger } from '../helpers.js';

describe('hooks and logger', () => {
  it('awaits onRetry before each retry with the failed attempt, its delay and the state', async () => {
    const events: RetryEventContext[] = [];
    let finishedWaiting = false;
    const { api } = client({
      baseDelay: 5,
      onRetry: async (ctx) => {
        expect(Object.isFrozen(ctx)).to.equal(true);
        events.push(ctx);
        await new Promise((resolve) => setImmediate(resolve));
        finishedWaiting = true;
      },
    });
    nock(ORIGIN).get('/x').reply(503).get('/x').reply(429).get('/x').reply(200);
    await api.get('/x');
    expect(finishedWaiting).to.equal(true);
    expect(events.map((e) => [e.attempt, e.delayMs, (e.error as AxiosError).response?.status])).to.deep.equal([
      [1, 5, 503],
      [2, 10, 429],
    ]);
    expect(events[0]?.config?.url).to.equal('/x');
    expect(events[0]?.state.history[0]?.delayMs).to.equal(5);
  });

  it('calls onGiveUp once with the stop reason before the call rejects', async () => {
    const calls: GiveUpContext[] = [];
    const { api } = client({ retries: 1, onGiveUp: (ctx) => void calls.push(ctx) });
    nock(ORIGIN).get('/x').times(2).reply(503);
    const { error } = await outcome(api.get('/x'));
    expect(calls).to.have.length(1);
    expect(calls[0]).to.include({ attempt: 2, stopReason: 'retries-exhausted', error });
  });

  it('rejects with an error thrown by onRetry and makes no further attempt', async () => {
    const boom = new Error('hook failed');
    const { api } = client({
      onRetry: () => {
        throw boom;
      },
    });
    nock(ORIGIN).get('/x').reply(503).get('/x').reply(200);
    const { error } = await outcome(api.get('/x'));
    expect(error).to.equal(boom);
    expect(nock.pendingMocks()).to.have.length(1);
  });

  it('rejects with an error thrown by shouldRetry or onGiveUp', async () => {
    const { api } = client({ shouldRetry: () => Promise.reject(new Error('classifier down')) });
    nock(ORIGIN).get('/x').reply(503).get('/x').reply(200);
    expect((await outcome(api.get('/x'))).error).to.have.property('message', 'classifier down');

    const other = client({ retries: 0, onGiveUp: () => Promise.reject(new Error('alerting down')) });
    nock(ORIGIN).get('/y').reply(503);
    expect((await outcome(other.api.get('/y'))).error).to.have.property('message', 'alerting down');
  });

  it('logs one warn line per retry, info on success after retries, with the details that matter', async () => {
    const logger = recordingLogger();
    const { api } = client({ baseDelay: 3, logger, idempotencyKey: { generate: () => 'key-1' } });
    nock(ORIGIN).post('/pay').reply(503).post('/pay').replyWithError(netError('ECONNRESET')).post('/pay').reply(200);
    await api.post('/pay', {}, { headers: { 'X-Request-ID': 'req-9' } });
    expect(logger.lines.map((l) => l.level)).to.deep.equal(['warn', 'warn', 'info']);
    const [first, second, done] = logger.lines.map((l) => l.line);
    expect(first).to.match(
      /^axios-rebound: POST http:\/\/api\.test\/pay attempt 1\/4 failed \(503 in \d+ms\); retrying in 3ms \[idempotency-key=key-1 x-request-id=req-9\]$/,
    );
    expect(second).to.match(/attempt 2\/4 failed \(ECONNRESET in \d+ms\); retrying in 6ms/);
    expect(done).to.match(/attempt 3\/4 succeeded \(200 in \d+ms\) after 2 retries, \d+ms in total/);
  });

  it("logs no line for a failure it never retried: that is the caller's to handle", async () => {
    const logger = recordingLogger();
    const { api } = client({ logger });
    nock(ORIGIN).get('/x').reply(404);
    nock(ORIGIN).post('/pay').reply(503);
    expect(getRetryState((await outcome(api.get('/x'))).error)?.stopReason).to.equal('not-retryable');
    expect(getRetryState((await outcome(api.post('/pay', {}))).error)?.stopReason).to.equal('not-retryable');
    expect(logger.lines).to.deep.equal([]);
  });

  it('logs an error line when it gives up after retries, naming the reason', async () => {
    const logger = recordingLogger();
    const { api } = client({ logger, retries: 1 });
    nock(ORIGIN).get('/x').times(2).reply(503);
    const { error } = await outcome(api.get('/x'));
    expect(getRetryState(error)?.stopReason).to.equal('retries-exhausted');
    const last = logger.lines[logger.lines.length - 1];
    expect(last?.level).to.equal('error');
    expect(last?.line).to.match(
      /GET http:\/\/api\.test\/x attempt 2\/2 failed \(503 in \d+ms\); giving up \(retries-exhausted\)$/,
    );
  });

  it('warns when a protection keeps a retryable failure from its first retry', async () => {
    const logger = recordingLogger();
    const { api } = client({ logger, maxRetryAfter: 1000 });
    nock(ORIGIN).get('/x').reply(503, '', { 'Retry-After': '120' });
    const { error } = await outcome(api.get('/x'));
    expect(getRetryState(error)?.stopReason).to.equal('retry-after-too-long');
    expect(logger.lines.map((l) => l.level)).to.deep.equal(['warn']);
    expect(logger.lines[0]?.line).to.match(/giving up \(retry-after-too-long\)$/);
  });

  it('stays silent on a first-attempt success', async () => {
    const logger = recordingLogger();
    const { api } = client({ logger });
    nock(ORIGIN).get('/x').reply(200);
    await api.get('/x');
    expect(logger.lines).to.deep.equal([]);
  });
});
