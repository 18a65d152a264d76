import type { Readable } from 'node:stream';
import type { AxiosInstance } from 'axios';
import axios, { AxiosError, CanceledError } from 'axios';
import { expect } from 'chai';
import type { RetryOptions } from '../../lib/index.js';
import { attachRetry, CircuitBreaker, CircuitOpenError, getRetryState } from '../../lib/index.js';
import { outcome, until } from '../helpers.js';
import type { TestServer } from '../server.js';
import { itLeakFree, startServer } from '../server.js';

describe('against a real server on 127.0.0.1', () => {
  let server: TestServer | undefined;

  const real = (title: string, body: () => Promise<void>) =>
    itLeakFree(title, body, async () => {
      await server?.close();
      server = undefined;
    });

  function api(options: Partial<RetryOptions>): AxiosInstance {
    const instance = axios.create({ baseURL: server?.url ?? '' });
    attachRetry(instance, { baseDelay: 1, jitter: 'none', ...options });
    return instance;
  }

  real('times out a silent attempt after attemptTimeout and retries it', async () => {
    server = await startServer((n, _req, res) => {
      if (n > 1) res.end('late but fine');
      // The first request is accepted and never answered.
    });
    const response = await api({ attemptTimeout: 200 }).get('/slow');
    expect(response.data).to.equal('late but fine');
    expect(server.hits()).to.equal(2);
    expect(getRetryState(response)?.history[0]).to.include({ attempt: 1, code: 'ETIMEDOUT' });
  });

  real('stops at the deadline, cutting the running attempt short', async () => {
    server = await startServer(() => {
      // Never answers.
    });
    const { error } = await outcome(api({ attemptTimeout: 5000, deadline: 250 }).get('/never'));
    expect(error).to.be.instanceOf(AxiosError);
    expect((error as AxiosError).code).to.equal('ETIMEDOUT');
    expect((error as AxiosError).message).to.equal('deadline of 250ms exceeded');
    expect(getRetryState(error)).to.include({ attempt: 1, stopReason: 'deadline' });
    expect(server.hits()).to.equal(1);
  });

  real('does not retry a timed-out attempt when retries is 0, and still says why', async () => {
    server = await startServer(() => {});
    const { error } = await outcome(api({ attemptTimeout: 100, retries: 0 }).get('/never'));
    expect((error as AxiosError).message).to.equal('attempt timeout of 100ms exceeded');
    expect(getRetryState(error)?.stopReason).to.equal('retries-exhausted');
    expect(server.hits()).to.equal(1);
  });

  real('retries after the connection is reset', async () => {
    server = await startServer((n, req, res) => {
      if (n === 1) req.socket.destroy();
      else res.end('ok');
    });
    const response = await api({}).get('/flaky');
    expect(response.data).to.equal('ok');
    expect(getRetryState(response)?.history[0]?.code).to.equal('ECONNRESET');
  });

  real('aborts during a real backoff wait at once, leaving no timer', async () => {
    server = await startServer((_n, _req, res) => {
      res.statusCode = 503;
      res.end();
    });
    const controller = new AbortController();
    let waiting = false;
    const call = outcome(
      api({
        baseDelay: 60_000,
        maxDelay: 60_000,
        onRetry: () => {
          waiting = true;
        },
      }).get('/down', {
        signal: controller.signal,
      }),
    );
    await until(() => waiting);
    controller.abort();
    const { error } = await call;
    expect(error).to.be.instanceOf(CanceledError);
    expect(getRetryState(error)?.stopReason).to.equal('aborted');
    expect(server.hits()).to.equal(1);
  });

  real('destroys a failed stream response before retrying, so its socket is released', async () => {
    let firstClosed = false;
    server = await startServer((n, _req, res) => {
      if (n === 1) {
        // A 503 whose body never ends: only the client destroying it frees the socket.
        res.writeHead(503, { 'Content-Type': 'text/plain' });
        res.write('partial');
        res.on('close', () => (firstClosed = true));
        return;
      }
      res.end('stream body');
    });
    const response = await api({}).get<Readable>('/stream', { responseType: 'stream' });
    const chunks: Buffer[] = [];
    for await (const chunk of response.data) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).to.equal('stream body');
    await until(() => firstClosed);
    expect(firstClosed).to.equal(true);
  });
  // With only our (synchronous) interceptor on the instance, axios runs request interceptors in
  // its synchronous mode, which before 1.19 called an absent rejection handler and broke: these
  // run against the floor axios too (scripts/axios-floor.sh).
  real('rejects a bad per-request option with a TypeError naming it, sending nothing', async () => {
    server = await startServer((_n, _req, res) => res.end('ok'));
    const instance = api({});
    const { error } = await outcome(instance.get('/x', { retry: { retries: -1 } }));
    expect(error).to.be.instanceOf(TypeError);
    expect((error as Error).message).to.match(/"retries"/);
    expect(server.hits()).to.equal(0);
    expect((await instance.get('/x')).data).to.equal('ok');
  });

  real('fails fast with CircuitOpenError while the circuit is open, and counts it', async () => {
    server = await startServer((_n, _req, res) => {
      res.statusCode = 503;
      res.end();
    });
    const instance = axios.create({ baseURL: server.url });
    const handle = attachRetry(instance, {
      retries: 0,
      circuitBreaker: new CircuitBreaker({ failureThreshold: 1, openMs: 60_000 }),
    });
    await outcome(instance.get('/down'));
    const { error } = await outcome(instance.get('/down'));
    expect(error).to.be.instanceOf(CircuitOpenError);
    expect(getRetryState(error)?.stopReason).to.equal('circuit-open');
    expect(server.hits()).to.equal(1);
    expect(handle.stats()).to.include({ requests: 2, failures: 2 });
    expect(handle.stats().giveUps).to.deep.equal({ 'retries-exhausted': 1, 'circuit-open': 1 });
  });
  real("lets the caller's abort reach a streamed response's body after the attempt has ended", async () => {
    server = await startServer((_n, _req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('first chunk');
      // The rest never comes: only the caller's abort ends the body.
    });
    const controller = new AbortController();
    const response = await api({ attemptTimeout: 5000 }).get<Readable>('/stream', {
      responseType: 'stream',
      signal: controller.signal,
    });
    const ended = new Promise<unknown>((resolve) => {
      response.data.on('error', resolve);
      response.data.on('close', () => resolve('closed'));
    });
    response.data.resume();
    controller.abort();
    const reason = await ended;
    expect(reason === 'closed' || (reason as AxiosError).code === 'ERR_CANCELED', String(reason)).to.equal(true);
    expect(response.data.destroyed).to.equal(true);
  });
  real("lets the caller's abort reach a streamed body under the fetch adapter too", async () => {
    server = await startServer((_n, _req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('first chunk');
    });
    const controller = new AbortController();
    const response = await api({ attemptTimeout: 5000 }).get<ReadableStream<Uint8Array>>('/stream', {
      adapter: 'fetch',
      responseType: 'stream',
      signal: controller.signal,
    });
    const reader = response.data.getReader();
    expect((await reader.read()).done).to.equal(false);
    controller.abort();
    const ended = await reader.read().then(
      (result) => (result.done ? 'done' : 'more'),
      () => 'errored',
    );
    expect(ended).to.equal('errored');
  });
});
