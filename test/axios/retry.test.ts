import { Readable } from 'node:stream';
import axios, { AxiosError } from 'axios';
import { expect } from 'chai';
import nock from 'nock';
import { attachRetry, getRetryState } from '../../lib/index.js';
import { client, netError, ORIGIN, outcome } from '../helpers.js';

describe('retrying through the interceptors (nock)', () => {
  it('retries 503 until success and tells the story in getRetryState', async () => {
    const { api } = client();
    const scope = nock(ORIGIN).get('/model').times(2).reply(503).get('/model').reply(200, { ok: true });
    const response = await api.get('/model');
    expect(response.data).to.deep.equal({ ok: true });
    expect(scope.isDone()).to.equal(true);
    const state = getRetryState(response);
    expect(state).to.include({ attempt: 3, retries: 3 });
    expect(state?.stopReason).to.equal(undefined);
    expect(state?.history.map((r) => [r.attempt, r.status])).to.deep.equal([
      [1, 503],
      [2, 503],
      [3, 200],
    ]);
  });

  for (const status of [408, 429, 500, 502, 503, 504]) {
    it(`retries ${status}`, async () => {
      const { api } = client({ retries: 1 });
      const scope = nock(ORIGIN).get('/x').reply(status).get('/x').reply(200, 'done');
      expect((await api.get('/x')).data).to.equal('done');
      expect(scope.isDone()).to.equal(true);
    });
  }

  for (const status of [400, 401, 403, 404]) {
    it(`does not retry ${status}`, async () => {
      const { api } = client();
      nock(ORIGIN).get('/x').reply(status).get('/x').reply(200);
      const { error } = await outcome(api.get('/x'));
      expect((error as AxiosError).response?.status).to.equal(status);
      expect(nock.pendingMocks()).to.have.length(1);
      expect(getRetryState(error)).to.include({ attempt: 1, stopReason: 'not-retryable' });
    });
  }

  it('gives up after the last retry with the last real AxiosError', async () => {
    const { api } = client({ retries: 2 });
    const scope = nock(ORIGIN).get('/x').times(3).reply(503, 'busy');
    const { error } = await outcome(api.get('/x'));
    expect(scope.isDone()).to.equal(true);
    expect(error).to.be.instanceOf(AxiosError);
    expect(axios.isAxiosError(error)).to.equal(true);
    expect((error as AxiosError).response?.data).to.equal('busy');
    const state = getRetryState(error);
    expect(state).to.include({ attempt: 3, stopReason: 'retries-exhausted' });
    expect(JSON.parse(JSON.stringify(state))).to.deep.equal(state);
    expect(() => JSON.stringify((error as AxiosError).toJSON())).not.to.throw();
  });

  it('retries network errors such as a reset', async () => {
    const { api } = client();
    nock(ORIGIN).get('/x').replyWithError(netError('ECONNRESET', 'socket hang up')).get('/x').reply(200, 'ok');
    const response = await api.get('/x');
    expect(response.data).to.equal('ok');
    expect(getRetryState(response)?.history[0]).to.include({ attempt: 1, code: 'ECONNRESET' });
  });

  it('does not retry network errors when retryOnNetworkError is false', async () => {
    const { api } = client({ retryOnNetworkError: false });
    nock(ORIGIN).get('/x').replyWithError(netError('ECONNREFUSED')).get('/x').reply(200);
    const { error } = await outcome(api.get('/x'));
    expect((error as AxiosError).code).to.equal('ECONNREFUSED');
    expect(nock.pendingMocks()).to.have.length(1);
  });

  it('never retries a POST without an idempotency key', async () => {
    const { api } = client();
    nock(ORIGIN).post('/pay').reply(503).post('/pay').reply(201);
    const { error } = await outcome(api.post('/pay', { amount: 5 }));
    expect((error as AxiosError).response?.status).to.equal(503);
    expect(nock.pendingMocks()).to.have.length(1);
    expect(getRetryState(error)?.stopReason).to.equal('not-retryable');
  });

  it('retries a POST with idempotencyKey: true, sending the same key on every attempt', async () => {
    const { api } = client();
    const keys: string[] = [];
    const record = function (this: nock.ReplyFnContext) {
      keys.push(String(this.req.headers['idempotency-key']));
    };
    nock(ORIGIN)
      .post('/pay')
      .times(2)
      .reply(function () {
        record.call(this);
        return [503];
      })
      .post('/pay')
      .reply(function () {
        record.call(this);
        return [201, 'paid'];
      });
    const response = await api.post('/pay', { amount: 5 }, { retry: { idempotencyKey: true } });
    expect(response.status).to.equal(201);
    expect(keys).to.have.length(3);
    expect(new Set(keys).size).to.equal(1);
    expect(keys[0]).to.match(/^[0-9a-f-]{36}$/);
    expect(getRetryState(response)?.idempotencyKey).to.equal(keys[0]);
  });

  it('keeps a key the caller set, and that key alone makes the POST retryable', async () => {
    const { api } = client();
    const keys: unknown[] = [];
    nock(ORIGIN)
      .post('/pay')
      .reply(function () {
        keys.push(this.req.headers['idempotency-key']);
        return [503];
      })
      .post('/pay')
      .reply(function () {
        keys.push(this.req.headers['idempotency-key']);
        return [201];
      });
    await api.post('/pay', {}, { headers: { 'Idempotency-Key': 'order-42' } });
    expect(keys).to.deep.equal(['order-42', 'order-42']);
  });

  it('rejects, unsent, a request whose key generator returns no key', async () => {
    const { api } = client({ idempotencyKey: { generate: () => '' } });
    const scope = nock(ORIGIN).post('/pay').reply(201);
    const { error } = await outcome(api.post('/pay', {}));
    expect(error).to.be.instanceOf(TypeError);
    expect((error as Error).message).to.match(/idempotencyKey\.generate must return a non-empty string/);
    expect(scope.isDone()).to.equal(false);
  });

  it('applies a per-request override over the instance options', async () => {
    const { api } = client({ retries: 5 });
    const scope = nock(ORIGIN).get('/x').times(2).reply(503);
    const { error } = await outcome(api.get('/x', { retry: { retries: 1 } }));
    expect(scope.isDone()).to.equal(true);
    expect(getRetryState(error)).to.include({ attempt: 2, retries: 1, stopReason: 'retries-exhausted' });
  });

  it('never retries a request with retry: false, and keeps no state for it', async () => {
    const { api } = client();
    nock(ORIGIN).get('/health').reply(503).get('/health').reply(200);
    const { error } = await outcome(api.get('/health', { retry: false }));
    expect((error as AxiosError).response?.status).to.equal(503);
    expect(nock.pendingMocks()).to.have.length(1);
    expect(getRetryState(error)).to.equal(undefined);
  });

  it('lets shouldRetry replace the classification, still bounded by retries', async () => {
    const seen: number[] = [];
    const { api } = client({
      retries: 2,
      shouldRetry: ({ error, attempt }) => {
        seen.push(attempt);
        return (error as AxiosError).response?.status === 404;
      },
    });
    const scope = nock(ORIGIN).get('/eventually').times(3).reply(404);
    const { error } = await outcome(api.get('/eventually'));
    expect(scope.isDone()).to.equal(true);
    expect(seen).to.deep.equal([1, 2]);
    expect(getRetryState(error)?.stopReason).to.equal('retries-exhausted');
  });

  it('does not retry a request whose body is a stream', async () => {
    const { api } = client();
    nock(ORIGIN).put('/upload').reply(503).put('/upload').reply(200);
    const { error } = await outcome(api.put('/upload', Readable.from(['chunk'])));
    expect((error as AxiosError).response?.status).to.equal(503);
    expect(getRetryState(error)?.stopReason).to.equal('body-not-replayable');
    expect(nock.pendingMocks()).to.have.length(1);
  });

  it('refuses to attach twice to the same instance, and allows it again after detach', () => {
    const api = axios.create();
    const handle = attachRetry(api);
    expect(() => attachRetry(api)).to.throw(Error, /already/);
    handle.detach();
    expect(() => attachRetry(api).detach()).not.to.throw();
  });

  it('stops retrying new requests after detach', async () => {
    const { api, handle } = client();
    handle.detach();
    nock(ORIGIN).get('/x').reply(503).get('/x').reply(200);
    const { error } = await outcome(api.get('/x'));
    expect((error as AxiosError).response?.status).to.equal(503);
    expect(getRetryState(error)).to.equal(undefined);
  });

  it('lets a request under way when detach() is called finish under its policy', async () => {
    let detachNow = (): void => undefined;
    const { api, handle } = client({ onRetry: () => detachNow() });
    detachNow = () => handle.detach();
    const scope = nock(ORIGIN).get('/x').times(2).reply(503).get('/x').reply(200, 'late');
    const response = await api.get('/x');
    expect(response.data).to.equal('late');
    expect(scope.isDone()).to.equal(true);
  });

  it('exposes the normalized options on the handle', () => {
    const { handle } = client({ retries: 7 });
    expect(handle.options).to.include({ retries: 7, maxDelay: 30_000 });
    expect(Object.isFrozen(handle.options)).to.equal(true);
  });
});
