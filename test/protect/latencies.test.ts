import { expect } from 'chai';
import { Latencies, WARM_UP_SAMPLES } from '../../lib/protect/latencies.js';

const A = 'http://a.test';

function recordMany(latencies: Latencies, origin: string, ms: number, times: number, now = 0): void {
  for (let i = 0; i < times; i++) latencies.record(origin, ms, now);
}

describe('Latencies (the p95 behind hedge delay "p95")', () => {
  it('gives no percentile before the warm-up, then the 95th of what it has', () => {
    const latencies = new Latencies();
    for (let i = 1; i < WARM_UP_SAMPLES; i++) latencies.record(A, i, 0);
    expect(latencies.p95(A)).to.equal(undefined);
    latencies.record(A, WARM_UP_SAMPLES, 0);
    // 1..20: the 19th smallest.
    expect(latencies.p95(A)).to.equal(19);
  });

  it('rests on the last 1 000 samples: 40 slow ones among them stay under the 95th', () => {
    const latencies = new Latencies();
    recordMany(latencies, A, 10, 960);
    recordMany(latencies, A, 1000, 40);
    // A window of the last 100 would hold 40 slow samples, and its p95 would be 1 000 ms.
    expect(latencies.p95(A)).to.equal(10);
    recordMany(latencies, A, 1000, 60);
    // 100 of the last 1 000 are slow now.
    expect(latencies.p95(A)).to.equal(1000);
  });

  it('forgets samples older than the last 1 000', () => {
    const latencies = new Latencies();
    recordMany(latencies, A, 1000, 1000);
    expect(latencies.p95(A)).to.equal(1000);
    recordMany(latencies, A, 10, 1000);
    expect(latencies.p95(A)).to.equal(10);
  });

  it('computes again only once 5 % of the window is new, and at least 10 samples', () => {
    const latencies = new Latencies();
    recordMany(latencies, A, 10, 20);
    expect(latencies.p95(A)).to.equal(10);
    recordMany(latencies, A, 1000, 9);
    expect(latencies.p95(A), 'after 9 new samples').to.equal(10);
    latencies.record(A, 1000, 0);
    expect(latencies.p95(A), 'after 10').to.equal(1000);

    const full = new Latencies();
    recordMany(full, A, 10, 951);
    recordMany(full, A, 1000, 49);
    expect(full.p95(A)).to.equal(10);
    // 51 of the last 1 000 are slow, but only 2 samples are new.
    recordMany(full, A, 1000, 2);
    expect(full.p95(A), 'after 2 new samples').to.equal(10);
    recordMany(full, A, 1000, 48);
    expect(full.p95(A), 'after 50').to.equal(1000);
  });

  it('keeps at most maxOrigins origins and none idle past idleMs', () => {
    const latencies = new Latencies(2, 1000);
    for (const origin of ['http://1.test', 'http://2.test', 'http://3.test']) recordMany(latencies, origin, 5, 20, 0);
    expect(latencies.p95('http://1.test')).to.equal(undefined);
    expect(latencies.p95('http://3.test')).to.equal(5);
    latencies.record('http://4.test', 5, 2000);
    expect(latencies.p95('http://2.test')).to.equal(undefined);
    expect(latencies.p95('http://3.test')).to.equal(undefined);
  });
});
