import type { AxiosAdapter, AxiosError } from 'axios';
import axios from 'axios';
import { expect } from 'chai';
import sinon from 'sinon';
import type { RetryState } from '../../lib/index.js';
import { attachRetry, getRetryState } from '../../lib/index.js';
import type { FaultyAdapter } from '../../lib/testing/index.js';
import { faultyAdapter, useTestMode } from '../../lib/testing/index.js';
import { outcome } from '../helpers.js';
import type { TestServer } from '../server.js';
import { startServer } from '../server.js';
import { scripted } from './script.js';

/** Sends `n` requests one after the other through `adapter`; which failed, and how. */
async function run(adapter: FaultyAdapter, n = 50) {
  const api = axios.create({ adapter });
  const seen: (number | string)[] = [];
  for (let i = 0; i < n; i++) {
    const { value, error } = await outcome(api.get('/x'));
    seen.push(value ? value.status : ((error as AxiosError).response?.status ?? String((error as AxiosError).code)));
  }
  return seen;
}

describe('axios-rebound/testing: faultyAdapter', () => {
  const options = { rate: 0.3, statuses: [503, 429], codes: ['ECONNRESET'], seed: 42 };

  it('injects the same faults for the same seed, and others for another seed', async () => {
    const first = faultyAdapter(scripted(200), options);
    const again = faultyAdapter(scripted(200), options);
    const other = faultyAdapter(scripted(200), { ...options, seed: 43 });
    const seen = await run(first);
    expect(await run(again)).to.deep.equal(seen);
    expect(await run(other)).not.to.deep.equal(seen);
    expect(seen).to.include.members([200, 503, 429, 'ECONNRESET']);
    expect(first.injected).to.deep.equal(again.injected);
    expect(first.requests).to.equal(50);
    expect(first.injected.length).to.equal(seen.filter((s) => s !== 200).length);
  });

  it('gives its seed when none is given, so a run can be replayed', async () => {
    const adapter = faultyAdapter(scripted(200), { rate: 0.5 });
    expect(adapter.seed).to.be.a('number');
    const replay = faultyAdapter(scripted(200), { rate: 0.5, seed: adapter.seed });
    expect(await run(replay, 20)).to.deep.equal(await run(adapter, 20));
  });

  it('does not move which requests fail when only the latency or the statuses change', async () => {
    const a = faultyAdapter(scripted(200), { rate: 0.4, statuses: [500], seed: 7 });
    const b = faultyAdapter(scripted(200), { rate: 0.4, statuses: [502], latencyMs: [0, 2], seed: 7 });
    await run(a, 30);
    await run(b, 30);
    expect(b.injected.map((f) => f.request)).to.deep.equal(a.injected.map((f) => f.request));
  });

  it('never sends a request it fails (a counting adapter)', async () => {
    const base = scripted(200);
    const adapter = faultyAdapter(base, { rate: 0.5, seed: 1 });
    const seen = await run(adapter, 40);
    expect(base.sent()).to.equal(seen.filter((s) => s === 200).length);
    expect(base.sent() + adapter.injected.length).to.equal(40);
  });

  describe('over a real server, with axios own adapter', () => {
    let server: TestServer;
    before(async () => {
      server = await startServer((_n, _req, res) => res.end('ok'));
    });
    after(() => server.close());

    it('sends only the requests it does not fail', async () => {
      const adapter = faultyAdapter(undefined, { rate: 0.5, seed: 9 });
      const api = axios.create({ baseURL: server.url, adapter });
      let ok = 0;
      for (let i = 0; i < 20; i++) if ((await outcome(api.get('/'))).value) ok += 1;
      expect(server.hits()).to.equal(ok);
      expect(adapter.injected.length).to.equal(20 - ok);
    });
  });

  it('fails as a real response does: a 503 is retried, a 404 is not', async () => {
    const undo = useTestMode();
    try {
      const retried = axios.create({ adapter: faultyAdapter(scripted(200), { rate: 1, statuses: [503], seed: 1 }) });
      attachRetry(retried, { budget: false });
      const failed = await outcome(retried.get('/x'));
      expect((failed.error as AxiosError).response?.status).to.equal(503);
      expect(getRetryState(failed.error)).to.include({ attempt: 4, stopReason: 'retries-exhausted' });
      const notFound = axios.create({ adapter: faultyAdapter(scripted(200), { rate: 1, statuses: [404], seed: 1 }) });
      attachRetry(notFound, { budget: false });
      const gone = await outcome(notFound.get('/x'));
      expect((gone.error as AxiosError).code).to.equal('ERR_BAD_REQUEST');
      expect(getRetryState(gone.error)).to.include({ attempt: 1, stopReason: 'not-retryable' });
    } finally {
      undo();
    }
  });

  it('gives the Retry-After it is told to, which the retry honours', async () => {
    const undo = useTestMode();
    try {
      const adapter = faultyAdapter(scripted(200), { rate: 1, statuses: [429], retryAfter: 7, seed: 3 });
      const api = axios.create({ adapter });
      attachRetry(api, { budget: false, retries: 1 });
      const { error } = await outcome(api.get('/x'));
      expect((error as AxiosError).response?.headers['retry-after']).to.equal('7');
      // Retry-After is the earliest; the retry comes at 7 s plus a spread of up to 20 % (decision.ts).
      expect((getRetryState(error) as RetryState).history[0]?.delayMs).to.be.within(7000, 8400);
    } finally {
      undo();
    }
  });

  it('respects validateStatus, as settle does', async () => {
    const adapter = faultyAdapter(scripted(200), { rate: 1, statuses: [503], seed: 1 });
    const response = await axios.create({ adapter, validateStatus: () => true }).get('/x');
    expect(response.status).to.equal(503);
  });

  it('makes network errors with the code, as the http adapter does', async () => {
    const adapter = faultyAdapter(scripted(200), { rate: 1, statuses: [], codes: ['ETIMEDOUT'], seed: 1 });
    const api = axios.create({ adapter });
    attachRetry(api, { budget: false, retries: 2, baseDelay: 0 });
    const { error } = await outcome(api.get('/x'));
    expect(error).to.include({ code: 'ETIMEDOUT', isAxiosError: true });
    expect((error as { cause?: { code?: string } }).cause?.code).to.equal('ETIMEDOUT');
    expect(getRetryState(error)).to.include({ attempt: 3, stopReason: 'retries-exhausted' });
  });

  it('adds latency that ends, with a CanceledError, when the request is aborted', async () => {
    const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const base = scripted(200);
      const api = axios.create({ adapter: faultyAdapter(base, { rate: 0, latencyMs: 10_000, seed: 1 }) });
      const controller = new AbortController();
      const pending = outcome(api.get('/x', { signal: controller.signal }));
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(clock.countTimers()).to.equal(1);
      controller.abort();
      const { error } = await pending;
      expect(axios.isCancel(error)).to.equal(true);
      expect(base.sent()).to.equal(0);
      expect(clock.countTimers()).to.equal(0);
    } finally {
      clock.restore();
    }
  });

  it('adds latency drawn from [min, max]', async () => {
    const base = scripted(200);
    const api = axios.create({ adapter: faultyAdapter(base, { rate: 0, latencyMs: [1, 3], seed: 1 }) });
    expect((await api.get('/x')).status).to.equal(200);
  });

  it('names a bad option', () => {
    const bad: [object, RegExp][] = [
      [{ rate: 2 }, /faultyAdapter option "rate" must be a number from 0 to 1, got 2/],
      [{ statuses: [700] }, /"statuses" must be an array of HTTP statuses/],
      [{ statuses: [], codes: [] }, /"statuses" must be non-empty/],
      [{ codes: [''] }, /"codes"/],
      [{ latencyMs: [5, 1] }, /"latencyMs"/],
      [{ latencyMs: -1 }, /"latencyMs"/],
      [{ retryAfter: -1 }, /"retryAfter"/],
      [{ seed: 1.5 }, /"seed" must be an integer/],
      [{ sead: 1 }, /unknown faultyAdapter option "sead"/],
    ];
    for (const [options, message] of bad) {
      expect(() => faultyAdapter(undefined, options), JSON.stringify(options)).to.throw(TypeError, message);
    }
  });

  it('passes an adapter given by name to axios.getAdapter', async () => {
    const adapter = faultyAdapter('fetch' as unknown as AxiosAdapter, { rate: 1, seed: 1 });
    expect((await outcome(axios.create({ adapter }).get('http://127.0.0.1:9/'))).error).to.have.nested.property(
      'response.status',
      503,
    );
  });
});
