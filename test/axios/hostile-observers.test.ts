import type { AxiosError, AxiosInstance } from 'axios';
import axios from 'axios';
import { expect } from 'chai';
import nock from 'nock';
import type { RetryOptions } from '../../lib/index.js';
import {
  AdaptiveThrottle,
  attachRetry,
  CircuitBreaker,
  Cooldown,
  getRetryState,
  RetryBudget,
  retryBatch,
} from '../../lib/index.js';
import { client, idle, ORIGIN, outcome } from '../helpers.js';
import type { TestServer } from '../server.js';
import { itLeakFree, startServer } from '../server.js';

/** Our observer warnings, from process 'warning' events (emitted on the next tick). */
const warned: Error[] = [];
const onWarning = (warning: Error & { code?: string }) => {
  if (warning.code === 'AXIOS_REBOUND_OBSERVER_FAILED') warned.push(warning);
};
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);

const statusOf = (error: unknown) => (error as AxiosError).response?.status;

let server: TestServer | undefined;
/** Requests per path: `/charge` answers 503; `/reset` drops the connection once the request is in. */
const received = new Map<string, string[]>();
async function paymentServer(): Promise<AxiosInstance> {
  received.clear();
  server = await startServer((_n, req, res) => {
    const path = req.url ?? '';
    received.set(path, [...(received.get(path) ?? []), String(req.headers['idempotency-key'] ?? 'none')]);
    if (path === '/reset') {
      req.socket.destroy();
      return;
    }
    res.statusCode = 503;
    res.end();
  });
  return axios.create({ baseURL: server.url });
}
const real = (title: string, body: () => Promise<void>) =>
  itLeakFree(title, body, async () => {
    await server?.close();
    server = undefined;
  });

describe('hostile review: what user code cannot change', () => {
  beforeEach(() => {
    warned.length = 0;
    unhandled.length = 0;
    process.on('warning', onWarning);
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('warning', onWarning);
    process.off('unhandledRejection', onUnhandled);
  });

  const retryAnything: Partial<RetryOptions> = { retries: 2, baseDelay: 0, budget: false, shouldRetry: () => true };

  real(
    'With shouldRetry saying yes, a POST without an idempotency key is sent once: after a 503, and after a reset once the server acted.',
    async () => {
      const api = await paymentServer();
      attachRetry(api, retryAnything);
      for (const path of ['/charge', '/reset']) {
        const { error } = await outcome(api.post(path, { amount: 10 }));
        expect(getRetryState(error)?.stopReason).to.equal('not-retryable');
        expect(received.get(path)).to.deep.equal(['none']);
      }
    },
  );

  real(
    'With shouldRetry saying yes, a POST with an idempotency key is retried, with the same key every time.',
    async () => {
      const api = await paymentServer();
      attachRetry(api, { ...retryAnything, idempotencyKey: true });
      for (const path of ['/charge', '/reset']) {
        const { error } = await outcome(api.post(path, { amount: 10 }));
        expect(getRetryState(error)?.stopReason).to.equal('retries-exhausted');
        const keys = received.get(path) ?? [];
        expect(keys).to.have.length(3);
        expect(new Set(keys).size).to.equal(1);
        expect(keys[0]).to.not.equal('none');
      }
    },
  );

  it('A logger whose method returns a rejected promise leaves no unhandled rejection, changes no outcome and is reported once.', async () => {
    const shipperDown = () => Promise.reject(new Error('log shipper down'));
    const { api } = client({ logger: { info: shipperDown, warn: shipperDown, error: shipperDown } });
    nock(ORIGIN).get('/x').times(2).reply(503).get('/x').reply(200, 'fine');
    const response = await api.get('/x');
    expect(response.data).to.equal('fine');
    expect(getRetryState(response)?.attempt).to.equal(3);
    await idle();
    expect(unhandled).to.deep.equal([]);
    expect(warned).to.have.length(1);
    expect(warned[0]?.message).to.contain('log shipper down');
  });

  it('A Cooldown key that throws an object without a prototype on a 429 is reported, and the 429 stands.', async () => {
    const odd = Object.create(null) as object;
    const key = () => {
      throw odd;
    };
    const { api } = client({ retries: 0, cooldown: new Cooldown({ key }) });
    nock(ORIGIN).get('/x').reply(429, '', { 'Retry-After': '1' });
    const { error } = await outcome(api.get('/x'));
    // String(odd) throws: reporting it must not turn into the call's error.
    expect((error as AxiosError).response?.status).to.equal(429);
    await idle();
    expect(unhandled).to.deep.equal([]);
    expect(warned.map((w) => w.message)).to.deep.equal([
      'axios-rebound: cooldown threw (object); ignored, the call goes on. Reported once.',
    ]);
  });

  it('A call an open circuit refused leaves no adapter of ours in its config: re-sent with retry: false after detach(), it reaches the server.', async () => {
    const api = axios.create({ baseURL: ORIGIN });
    const handle = attachRetry(api, {
      retries: 0,
      circuitBreaker: new CircuitBreaker({ failureThreshold: 1, openMs: 60_000 }),
    });
    nock(ORIGIN).get('/x').reply(503).get('/x').reply(200, 'reached');
    expect(statusOf((await outcome(api.get('/x'))).error)).to.equal(503);
    const refused = (await outcome(api.get('/x'))).error as AxiosError;
    expect(refused.code).to.equal('ERR_CIRCUIT_OPEN');
    expect(refused.config?.adapter).to.deep.equal(api.defaults.adapter);
    handle.detach();
    const again = await api.request({ ...refused.config, retry: false });
    expect(again.data).to.equal('reached');
  });

  it('A breaker key function that throws fails the call with its error, and the call is counted.', async () => {
    const boom = new Error('key boom');
    const key = () => {
      throw boom;
    };
    const { api, handle } = client({ circuitBreaker: new CircuitBreaker({ key }) });
    expect((await outcome(api.get('/x'))).error).to.equal(boom);
    const { requests, successes, failures } = handle.stats();
    expect({ requests, successes, failures }).to.deep.equal({ requests: 1, successes: 0, failures: 1 });
  });

  it('A key function that returns a Promise fails the call with a TypeError naming it, before anything is sent.', async () => {
    // What a JavaScript caller (or a cast) can pass: an async key function.
    const key = (async () => ORIGIN) as unknown as () => string;
    const guards: [string, Partial<RetryOptions>][] = [
      ['CircuitBreaker', { circuitBreaker: new CircuitBreaker({ key }) }],
      ['AdaptiveThrottle', { throttle: new AdaptiveThrottle({ key }) }],
      ['Cooldown', { cooldown: new Cooldown({ key }) }],
    ];
    for (const [owner, options] of guards) {
      const cooldown = options.cooldown;
      // A cooldown asks for a key only while it holds some origin.
      if (cooldown instanceof Cooldown) cooldown.coolDown('http://other.test', 60_000);
      const scope = nock(ORIGIN).get('/x').reply(200);
      const { api } = client(options);
      const { error } = await outcome(api.get('/x'));
      expect(error, owner).to.be.instanceOf(TypeError);
      expect((error as Error).message, owner).to.equal(
        `axios-rebound: ${owner} option "key" must be a function that returns a string, got a Promise`,
      );
      expect(getRetryState(error)?.stopReason, owner).to.equal('hook-error');
      expect(scope.isDone(), owner).to.equal(false);
      nock.cleanAll();
    }
  });

  it('A rejected Promise where a value was due fails the call with a TypeError, and is not left unhandled.', async () => {
    const rejected = () => Promise.reject(new Error('async by mistake'));
    const cases: Partial<RetryOptions>[] = [
      { backoff: rejected as unknown as () => number },
      { circuitBreaker: new CircuitBreaker({ key: rejected as unknown as () => string }) },
    ];
    for (const options of cases) {
      nock(ORIGIN).get('/x').reply(503).get('/x').reply(200);
      const { api } = client(options);
      const { error } = await outcome(api.get('/x'));
      expect(error).to.be.instanceOf(TypeError);
      expect((error as Error).message).to.contain('got a Promise');
      nock.cleanAll();
    }
    await idle();
    expect(unhandled).to.deep.equal([]);
  });

  it('A breaker whose record throws, or a budget whose recordRequest throws, leaves the outcome and the probe slot alone.', async () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 1000, now: () => now });
    class BrokenBudget extends RetryBudget {
      override recordRequest(): void {
        throw new Error('budget clock failed');
      }
    }
    const { api } = client({ retries: 0, circuitBreaker: breaker, budget: new BrokenBudget() });
    nock(ORIGIN).get('/x').reply(503);
    await outcome(api.get('/x'));
    expect(breaker.snapshot()[ORIGIN]?.state).to.equal('open');
    now = 1000;
    // The half-open probe: the budget throws after the breaker gave it its slot.
    nock(ORIGIN).get('/x').reply(200, 'probe');
    expect((await api.get('/x')).data).to.equal('probe');
    expect(breaker.snapshot()[ORIGIN]).to.equal(undefined);

    // A breaker-like whose record throws: the server's answer still reaches the caller.
    const throwing = new CircuitBreaker();
    throwing.record = () => {
      throw new Error('record failed');
    };
    const other = client({ circuitBreaker: throwing });
    nock(ORIGIN).get('/y').reply(200, 'answered');
    expect((await other.api.get('/y')).data).to.equal('answered');
    await idle();
    expect(warned.map((w) => w.message).filter((m) => /budget|circuitBreaker/.test(m))).to.deep.equal([
      'axios-rebound: budget threw (Error: budget clock failed); ignored, the call goes on. Reported once.',
      'axios-rebound: circuitBreaker threw (Error: record failed); ignored, the call goes on. Reported once.',
    ]);
  });

  it('A bad per-request option fails the call with a TypeError naming it, and the call is counted.', async () => {
    const { api, handle } = client();
    const { error } = await outcome(api.get('/x', { retry: { retries: -1 } }));
    expect(error).to.be.instanceOf(TypeError);
    expect((error as Error).message).to.contain('"retries"');
    const { requests, successes, failures } = handle.stats();
    expect({ requests, successes, failures }).to.deep.equal({ requests: 1, successes: 0, failures: 1 });
  });

  it('A retryBatch whose onProgress throws still resolves with its full report, and the failure is reported once.', async () => {
    const items = Array.from({ length: 6 }, (_, id) => ({ id }));
    const report = await retryBatch(items, (item) => item.id * 10, {
      concurrency: 2,
      onProgress: () => {
        throw new Error('progress bar crashed');
      },
    });
    expect([...report.succeeded.entries()]).to.deep.equal(items.map(({ id }) => [id, id * 10]));
    expect(report.failed.size).to.equal(0);
    await idle();
    expect(warned).to.have.length(1);
    expect(warned[0]?.message).to.contain('progress bar crashed');
  });
});
