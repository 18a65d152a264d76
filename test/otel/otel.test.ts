import type { MeterProvider } from '@opentelemetry/api';
import axios from 'axios';
import { expect } from 'chai';
import { RetryBudget } from '../../lib/index.js';
import { attachRetryWithTelemetry, BACKOFF_EVENT, GIVE_UP_EVENT } from '../../lib/otel/index.js';
import type { TestServer } from '../server.js';
import { startServer } from '../server.js';
import { countAndSum, resendCounts, startMetrics, startTelemetry } from './telemetry.js';

/** Small real delays (no fake timers: the sockets are real): 2 ms, then 4 ms. */
const FAST = { retries: 3, baseDelay: 2, jitter: 'none', budget: false } as const;

describe('axios-rebound/otel with the real OpenTelemetry SDK and instrumentations', () => {
  let telemetry: ReturnType<typeof startTelemetry>;
  let meters: ReturnType<typeof startMetrics>;
  let server: TestServer;
  /** The statuses the server answers with, in order; 200 after them. */
  let statuses: number[] = [];

  before(async () => {
    telemetry = startTelemetry();
    server = await startServer((n, _req, res) => {
      res.statusCode = statuses[n - 1 - served] ?? 200;
      res.end('{}');
    });
  });
  let served = 0;
  beforeEach(() => {
    served = server.hits();
    telemetry.exporter.reset();
    meters = startMetrics();
  });
  afterEach(() => meters.shutdown());
  after(async () => {
    await server.close();
    await telemetry.stop();
  });

  const host = () => new URL(server.url);
  const callAttributes = () => ({
    'http.request.method': 'GET',
    'server.address': '127.0.0.1',
    'server.port': Number(host().port),
  });

  for (const adapter of ['http', 'fetch'] as const) {
    describe(`under the ${adapter} adapter (instrumentation-${adapter === 'http' ? 'http' : 'undici'})`, () => {
      it('gives a call that succeeds on its third attempt three CLIENT spans in the caller’s trace, resend_count absent, 1, 2', async () => {
        statuses = [503, 503];
        const api = axios.create({ baseURL: server.url, adapter });
        attachRetryWithTelemetry(api, FAST, { meterProvider: meters.meterProvider });
        let status = 0;
        const caller = await telemetry.underCallerSpan(async () => {
          status = (await api.get('/flaky?token=secret')).status;
        });
        expect(status).to.equal(200);
        const spans = telemetry.clientSpans();
        expect(spans).to.have.length(3);
        expect(resendCounts(spans)).to.deep.equal([undefined, 1, 2]);
        for (const span of spans) {
          expect(span.spanContext().traceId).to.equal(caller.spanContext().traceId);
          expect(span.parentSpanContext?.spanId).to.equal(caller.spanContext().spanId);
        }
        expect(spans.map((s) => s.attributes['http.response.status_code'])).to.deep.equal([503, 503, 200]);
      });

      it('puts each backoff wait on the caller’s span, and records the call’s retries and total delay', async () => {
        statuses = [503, 503];
        const api = axios.create({ baseURL: server.url, adapter });
        attachRetryWithTelemetry(api, FAST, { meterProvider: meters.meterProvider });
        const caller = await telemetry.underCallerSpan(() => api.get('/flaky'));
        expect(caller.events.map((e) => [e.name, e.attributes])).to.deep.equal([
          [BACKOFF_EVENT, { 'axios_rebound.attempt': 1, 'axios_rebound.backoff.delay': 0.002, 'error.type': '503' }],
          [BACKOFF_EVENT, { 'axios_rebound.attempt': 2, 'axios_rebound.backoff.delay': 0.004, 'error.type': '503' }],
        ]);
        const [retries] = await meters.points('axios_rebound.client.call.retries');
        expect(retries?.attributes).to.deep.equal(callAttributes());
        expect(countAndSum(retries)).to.deep.equal({ count: 1, sum: 2 });
        const [delay] = await meters.points('axios_rebound.client.call.retry_delay');
        expect(delay?.attributes).to.deep.equal(callAttributes());
        expect(countAndSum(delay)).to.deep.equal({ count: 1, sum: 0.006 });
        expect(await meters.points('axios_rebound.client.give_ups')).to.deep.equal([]);
      });
    });
  }

  it('goes on when the meters throw, even a value String() cannot show, and reports it once', async () => {
    const odd = Object.create(null) as object;
    const fail = () => {
      throw odd;
    };
    const broken = {
      getMeter: () => ({ createHistogram: () => ({ record: fail }), createCounter: () => ({ add: fail }) }),
    } as unknown as MeterProvider;
    const warned: string[] = [];
    const onWarning = (warning: Error & { code?: string }) => {
      if (warning.code === 'AXIOS_REBOUND_OBSERVER_FAILED') warned.push(warning.message);
    };
    process.on('warning', onWarning);
    try {
      statuses = [503, 503, 500];
      const api = axios.create({ baseURL: server.url });
      attachRetryWithTelemetry(api, FAST, { meterProvider: broken });
      expect((await api.get('/flaky')).status).to.equal(200);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warned).to.deep.equal([
        'axios-rebound/otel: recording telemetry threw (object); ignored, the call goes on. Reported once.',
      ]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('records the give-up on the caller’s span and counts it by stop reason', async () => {
    statuses = [503, 503];
    const api = axios.create({ baseURL: server.url });
    attachRetryWithTelemetry(api, { ...FAST, retries: 1 }, { meterProvider: meters.meterProvider });
    const caller = await telemetry.underCallerSpan(() => api.get('/down'));
    expect(resendCounts(telemetry.clientSpans())).to.deep.equal([undefined, 1]);
    expect(caller.events.map((e) => [e.name, e.attributes])).to.deep.equal([
      [BACKOFF_EVENT, { 'axios_rebound.attempt': 1, 'axios_rebound.backoff.delay': 0.002, 'error.type': '503' }],
      [
        GIVE_UP_EVENT,
        { 'axios_rebound.attempt': 2, 'axios_rebound.stop_reason': 'retries-exhausted', 'error.type': '503' },
      ],
    ]);
    const giveUps = await meters.points('axios_rebound.client.give_ups');
    expect(giveUps.map((p) => [p.attributes, p.value])).to.deep.equal([
      [{ ...callAttributes(), 'axios_rebound.stop_reason': 'retries-exhausted' }, 1],
    ]);
    expect(countAndSum((await meters.points('axios_rebound.client.call.retries'))[0])).to.deep.equal({
      count: 1,
      sum: 1,
    });
    expect(await meters.points('axios_rebound.client.refusals')).to.deep.equal([]);
  });

  it('counts a retry the budget refused as a give-up and a refusal, and no retries', async () => {
    statuses = [503];
    const api = axios.create({ baseURL: server.url });
    const budget = new RetryBudget({ ratio: 0, minRetriesPerSecond: 0 });
    attachRetryWithTelemetry(api, { ...FAST, budget }, { meterProvider: meters.meterProvider });
    const caller = await telemetry.underCallerSpan(() => api.get('/down'));
    expect(caller.events.map((e) => e.attributes?.['axios_rebound.stop_reason'])).to.deep.equal(['budget']);
    const expected = [[{ ...callAttributes(), 'axios_rebound.stop_reason': 'budget' }, 1]];
    const pairs = async (name: string) => (await meters.points(name)).map((p) => [p.attributes, p.value]);
    expect(await pairs('axios_rebound.client.give_ups')).to.deep.equal(expected);
    expect(await pairs('axios_rebound.client.refusals')).to.deep.equal(expected);
    expect(await meters.points('axios_rebound.client.call.retries')).to.deep.equal([]);
  });

  it('leaves a first-attempt success as it was: one span without resend_count, no event, no metric', async () => {
    statuses = [];
    const api = axios.create({ baseURL: server.url });
    attachRetryWithTelemetry(api, FAST, { meterProvider: meters.meterProvider });
    const caller = await telemetry.underCallerSpan(() => api.get('/fine'));
    expect(resendCounts(telemetry.clientSpans())).to.deep.equal([undefined]);
    expect(caller.events).to.deep.equal([]);
    for (const name of ['axios_rebound.client.call.retries', 'axios_rebound.client.give_ups']) {
      expect(await meters.points(name)).to.deep.equal([]);
    }
  });

  it('never shows the URL path or query in a metric attribute', async () => {
    statuses = [503];
    const api = axios.create({ baseURL: server.url });
    attachRetryWithTelemetry(api, FAST, { meterProvider: meters.meterProvider });
    // Words no port number or host can contain.
    await api.get('/users/id-zq7x?token=secret-wv9k');
    const [point] = await meters.points('axios_rebound.client.call.retries');
    expect(point).to.not.equal(undefined);
    expect(JSON.stringify(point?.attributes)).not.to.match(/users|zq7x|token|wv9k/);
  });
});
