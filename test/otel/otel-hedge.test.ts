import axios from 'axios';
import { expect } from 'chai';
import { attachRetryWithTelemetry } from '../../lib/otel/index.js';
import type { TestServer } from '../server.js';
import { startServer } from '../server.js';
import { countAndSum, startMetrics } from './telemetry.js';

describe('axios-rebound/otel: the hedges metric', () => {
  let server: TestServer;
  let meters: ReturnType<typeof startMetrics>;
  const timers = new Set<NodeJS.Timeout>();

  before(async () => {
    // The first request is answered after 2 s (or never, if its copy is aborted first); the rest at once.
    server = await startServer((n, _req, res) => {
      if (n > 1) {
        res.end('{}');
        return;
      }
      const timer = setTimeout(() => res.end('{}'), 2000);
      timers.add(timer);
      res.on('close', () => clearTimeout(timer));
    });
  });
  beforeEach(() => {
    meters = startMetrics();
  });
  afterEach(() => meters.shutdown());
  after(async () => {
    for (const timer of timers) clearTimeout(timer);
    await server.close();
  });

  it('records axios_rebound.client.call.hedges for a call that was hedged, and no retries', async () => {
    const api = axios.create({ baseURL: server.url });
    attachRetryWithTelemetry(api, { hedge: { delay: 20, maxExtraLoad: 1 } }, { meterProvider: meters.meterProvider });
    expect((await api.get('/search')).status).to.equal(200);
    expect(countAndSum((await meters.points('axios_rebound.client.call.hedges'))[0])).to.deep.equal({
      count: 1,
      sum: 1,
    });
    expect(await meters.points('axios_rebound.client.call.retries')).to.deep.equal([]);
  });
});
