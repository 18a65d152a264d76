import axios, { type AxiosError } from 'axios';
import { expect } from 'chai';
import { CircuitBreaker, CircuitOpenError, retryBatch } from '../../lib/index.js';
import type { TestServer } from '../server.js';
import { itLeakFree, startServer } from '../server.js';

/**
 * retryBatch against a real server on 127.0.0.1 that answers 503 to the first request for each
 * item, 400 for items marked bad, and counts requests and concurrency.
 */
describe('retryBatch against a real server on 127.0.0.1', function () {
  this.timeout(20_000);
  let server: TestServer | undefined;
  const seen = new Map<string, number>();
  let inFlight = 0;
  let peak = 0;
  let down = false;

  const start = async () => {
    seen.clear();
    inFlight = 0;
    peak = 0;
    down = false;
    server = await startServer((_n, req, res) => {
      const id = req.url?.split('/').pop() ?? '';
      const count = (seen.get(id) ?? 0) + 1;
      seen.set(id, count);
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        if (down) res.writeHead(503).end();
        else if (id.startsWith('bad')) res.writeHead(400).end();
        else if (count === 1) res.writeHead(503).end();
        else res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id, vector: [count] }));
      }, 2);
    });
    return axios.create({ baseURL: server.url });
  };

  const batch = (title: string, body: () => Promise<void>) =>
    itLeakFree(title, body, async () => {
      await server?.close();
      server = undefined;
    });

  batch(
    'retries transient failures per item, reports the rest, never runs an item twice, and keeps to the concurrency',
    async () => {
      const api = await start();
      const items = [
        ...Array.from({ length: 60 }, (_, i) => ({ id: `item-${i}` })),
        ...Array.from({ length: 5 }, (_, i) => ({ id: `bad-${i}` })),
        { id: 'item-3' }, // a duplicate
      ];
      const progress: number[] = [];
      const report = await retryBatch(items, async (item) => (await api.get(`/embed/${item.id}`)).data, {
        concurrency: 6,
        // Every item fails once here, far above what a retry budget lets through (its job).
        budget: false,
        baseDelay: 1,
        onProgress: ({ done }) => void progress.push(done),
      });
      expect(report.succeeded.size).to.equal(60);
      expect(report.failed.size).to.equal(5);
      expect(report.succeeded.get('item-7')).to.deep.equal({ id: 'item-7', vector: [2] });
      for (const [key, { error, state }] of report.failed) {
        expect(key).to.match(/^bad-/);
        expect((error as AxiosError).response?.status).to.equal(400);
        expect(state).to.include({ attempt: 1, stopReason: 'not-retryable' });
      }
      // Each good item: one 503 and one 200; each bad item: one 400; the duplicate: never.
      expect([...seen.entries()].filter(([k]) => k.startsWith('item')).every(([, n]) => n === 2)).to.equal(true);
      expect([...seen.entries()].filter(([k]) => k.startsWith('bad')).every(([, n]) => n === 1)).to.equal(true);
      expect(peak).to.be.at.most(6);
      expect(progress).to.deep.equal(Array.from({ length: 65 }, (_, i) => i + 1));
      expect(report.stats).to.deep.include({ requests: 65, attempts: 125, retries: 60, successes: 60, failures: 5 });
    },
  );

  batch('shares one breaker across the batch, so a dependency that is down is not hammered', async () => {
    const api = await start();
    down = true;
    const report = await retryBatch(
      Array.from({ length: 40 }, (_, i) => `item-${i}`),
      async (id) => (await api.get(`/embed/${id}`)).data,
      { concurrency: 4, baseDelay: 1, circuitBreaker: new CircuitBreaker({ failureThreshold: 3, openMs: 60_000 }) },
    );
    expect(report.succeeded.size).to.equal(0);
    expect(report.failed.size).to.equal(40);
    const requests = [...seen.values()].reduce((a, b) => a + b, 0);
    expect(requests).to.be.at.most(10);
    expect([...report.failed.values()].filter(({ error }) => error instanceof CircuitOpenError).length).to.be.at.least(
      30,
    );
  });

  batch('stops starting items when aborted, reporting those left with the abort reason', async () => {
    const api = await start();
    const controller = new AbortController();
    const report = await retryBatch(
      Array.from({ length: 30 }, (_, i) => `item-${i}`),
      async (id) => (await api.get(`/embed/${id}`)).data,
      {
        concurrency: 2,
        baseDelay: 1,
        signal: controller.signal,
        onProgress: ({ done }) => {
          if (done === 4) controller.abort(new Error('shutting down'));
        },
      },
    );
    expect(report.succeeded.size + report.failed.size).to.equal(30);
    expect(report.succeeded.size).to.be.within(4, 6);
    const reasons = [...report.failed.values()].map(({ error }) => (error as Error).message);
    expect(reasons.filter((m) => m === 'shutting down').length).to.be.at.least(24);
    expect(seen.size).to.be.at.most(6);
  });

  it('rejects a bad concurrency with a TypeError naming it', async () => {
    let error: unknown;
    try {
      await retryBatch([1], async () => 1, { concurrency: 0 });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(TypeError);
    expect((error as Error).message).to.match(/"concurrency"/);
  });
});
